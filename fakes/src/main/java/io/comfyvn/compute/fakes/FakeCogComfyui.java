package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.imageio.ImageIO;

/**
 * A fake {@code cog-comfyui} model ({@code predict.py} and {@code comfyui.py} of
 * fofr/any-comfyui-workflow) in front of the shared {@link FakeExecutor}.
 *
 * <ul>
 *   <li>{@code input_file}: a zip is extracted into the input folder (names kept), a tar is not
 *       supported by the fake, an image or video becomes {@code input.<ext>}; the type is the URL's
 *       extension, else the file's signature ({@code PK} zip, gzip tar, PNG/JPEG/WebP image).
 *   <li>{@code workflow_json}: a UI-format export is refused with cog's words; every string input
 *       ending in {@code .png .jpg .jpeg .webp .mp4 .webm} must be in the input folder by its base
 *       name ({@code "Missing required input files: /tmp/inputs/x.png"}); every string ending in a
 *       weights extension must be on the weights list ({@code "<name> unavailable. View the list of
 *       available weights: ..."}); the fake's list is {@link FakeExecutor#MODELS}.
 *   <li>{@code randomise_seeds} (default true) replaces {@code seed}, {@code noise_seed} and {@code
 *       rand_seed} with random numbers, as cog does: only {@code false} is reproducible.
 *   <li>ComfyUI's refusal ({@link ComfyValidation}) is logged as ComfyUI logs it ({@code [ComfyUI]
 *       invalid prompt: {...}}) and the prediction fails with {@code "ComfyUI Error – Your workflow
 *       could not be run. Please check the logs for details."}.
 *   <li>Output: every file ComfyUI saved in the output folder (plus temp files with {@code
 *       return_temp_files}), sorted by path; {@code .png/.jpg/.jpeg} files are re-encoded as {@code
 *       output_format} unless it is png at quality 100 (webp is a placeholder: the JDK writes
 *       none).
 * </ul>
 */
final class FakeCogComfyui {
  static final String UNAVAILABLE_TAIL =
      " unavailable. View the list of available weights:"
          + " https://github.com/replicate/cog-comfyui/blob/main/supported_weights.md";
  static final String COMFY_ERROR =
      "ComfyUI Error \u2013 Your workflow could not be run. Please check the logs for details.";

  private static final List<String> WEIGHT_TYPES =
      List.of(
          ".ckpt",
          ".safetensors",
          ".sft",
          ".pt",
          ".pth",
          ".bin",
          ".onnx",
          ".torchscript",
          ".engine",
          ".patch");
  private static final List<String> INPUT_TYPES =
      List.of(".png", ".jpg", ".jpeg", ".webp", ".mp4", ".webm");
  private static final List<String> IMAGE_VIDEO =
      List.of(".jpg", ".jpeg", ".png", ".webp", ".mp4", ".mov", ".avi", ".mkv");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One file the model returned. */
  record File(String name, byte[] data, String mime) {}

  /**
   * What the prediction gave: files, or cog's exception text, and the logs it printed.
   *
   * @param steps the sampler steps run, for tqdm lines
   */
  record Result(List<File> files, String error, List<String> logs) {
    boolean failed() {
      return error != null;
    }
  }

  private FakeCogComfyui() {}

  /**
   * Runs {@code predict()} on a prediction's input.
   *
   * @param fetch the bytes of an {@code input_file} URL (the fake's files API), or null
   * @param comfy the ComfyUI cog queues on (the fake Replicate's {@link FakeKit#execute}, which
   *     records the graph it was given: after cog's own checks and seed randomisation, as ComfyUI
   *     receives it)
   */
  static Result predict(
      JsonNode input,
      ObjectMapper mapper,
      Function<String, byte[]> fetch,
      FakeExecutor.Runner comfy) {
    List<String> logs = new ArrayList<>();
    Map<String, byte[]> folder = new TreeMap<>();
    String inputFile = text(input, "input_file");
    if (inputFile != null && !inputFile.isEmpty()) {
      String error = inputs(inputFile, fetch, folder, logs);
      if (error != null) {
        return new Result(List.of(), error, logs);
      }
    }
    String wf = text(input, "workflow_json");
    if (wf == null || wf.isEmpty()) {
      return new Result(
          List.of(), "workflow_json is empty (the fake has no example workflow)", logs);
    }
    if (wf.startsWith("http://") || wf.startsWith("https://")) {
      return new Result(
          List.of(),
          "Failed to download workflow JSON from URL: the fake model fetches nothing",
          logs);
    }
    JsonNode parsed;
    try {
      parsed = mapper.readTree(wf);
    } catch (IOException e) {
      return new Result(List.of(), "Expecting value: line 1 column 1 (char 0)", logs);
    }
    if (!(parsed instanceof ObjectNode graph)) {
      return new Result(List.of(), "'list' object has no attribute 'keys'", logs);
    }
    for (String k : List.of("last_node_id", "last_link_id", "version")) {
      if (graph.has(k)) {
        return new Result(
            List.of(),
            "You need to use the API JSON version of a ComfyUI workflow. To do this go to your"
                + " ComfyUI settings and turn on 'Enable Dev mode Options'. Then you can save your"
                + " ComfyUI workflow via the 'Save (API Format)' button.",
            logs);
      }
    }
    String missing = checkInputs(graph, folder, logs);
    if (missing != null) {
      return new Result(List.of(), missing, logs);
    }
    String weights = checkWeights(graph, logs);
    if (weights != null) {
      return new Result(List.of(), weights, logs);
    }
    if (input.path("randomise_seeds").asBoolean(true)) {
      randomise(graph, logs);
    }
    logs.add("Running workflow");
    FakeExecutor.Run run = comfy.run(graph, folder);
    ObjectNode answer = null;
    if (run.failure() instanceof FakeExecutor.MissingNode) {
      answer = ComfyValidation.answer(graph, run.failure());
    } else if (!ComfyValidation.hasOutputs(graph)) {
      answer = ComfyValidation.answer(graph, null);
    } else if (!run.ok()) {
      answer = ComfyValidation.answer(graph, run.failure());
    }
    if (answer != null) {
      logs.add("[ComfyUI] invalid prompt: " + PythonRepr.of(answer.get("error")));
      logs.add("ComfyUI error: 400 Bad Request");
      return new Result(List.of(), COMFY_ERROR, logs);
    }
    for (FakeExecutor.Step s : run.progress()) {
      if (s.steps() == 0 || s.step() == 1) {
        logs.add(
            "Executing node "
                + s.nodeId()
                + ", title: "
                + graph.path(s.nodeId()).path("_meta").path("title").asText("Unknown")
                + ", class type: "
                + s.classType());
      }
      if (s.steps() > 0) {
        int pct = s.step() * 100 / s.steps();
        logs.add(
            String.format(
                Locale.ROOT, "%3d%%|%-10s| %d/%d", pct, "#".repeat(pct / 10), s.step(), s.steps()));
      }
    }
    boolean temp = input.path("return_temp_files").asBoolean(false);
    TreeMap<String, FakeExecutor.Output> byPath = new TreeMap<>();
    for (FakeExecutor.Output o : run.outputs()) {
      if (o.uiKey().equals("text")) {
        continue; // a text preview is shown, not saved
      }
      String dir = o.type().equals("temp") ? "ComfyUI/temp" : "/tmp/outputs";
      if (o.type().equals("temp") && !temp) {
        continue;
      }
      String sub = o.subfolder().isEmpty() ? "" : o.subfolder() + "/";
      byPath.put(dir + "/" + sub + o.filename(), o);
    }
    String format = input.path("output_format").asText("webp");
    int quality = input.path("output_quality").asInt(95);
    boolean optimise = quality < 100 || format.equals("webp") || format.equals("jpg");
    List<File> files = new ArrayList<>();
    for (FakeExecutor.Output o : byPath.values()) {
      String name = o.filename();
      int dot = name.lastIndexOf('.');
      String ext = dot < 0 ? "" : name.substring(dot);
      if (optimise && List.of(".jpg", ".jpeg", ".png").contains(ext)) {
        String to = name.substring(0, dot) + "." + format;
        files.add(new File(to, reencode(o.data(), format), FakeExecutor.mime(format)));
      } else {
        files.add(new File(name, o.data(), o.mime()));
      }
    }
    return new Result(files, null, logs);
  }

  private static String text(JsonNode input, String field) {
    JsonNode v = input.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** {@code handle_input_file}: what ends up in the input folder, or cog's error. */
  private static String inputs(
      String ref, Function<String, byte[]> fetch, Map<String, byte[]> folder, List<String> logs) {
    byte[] data;
    String ext = "";
    if (ref.startsWith("data:")) {
      int comma = ref.indexOf(',');
      String header = comma < 0 ? "" : ref.substring(5, comma);
      if (comma < 0 || !header.endsWith(";base64")) {
        return "input_file: the fake reads only base64 data URLs";
      }
      try {
        data = java.util.Base64.getDecoder().decode(ref.substring(comma + 1));
      } catch (IllegalArgumentException e) {
        return "input_file: bad base64 in the data URL";
      }
      String mime = header.substring(0, header.length() - ";base64".length());
      ext =
          switch (mime) {
            case "application/zip", "application/x-zip-compressed" -> ".zip";
            case "application/x-tar" -> ".tar";
            case "image/png" -> ".png";
            case "image/jpeg" -> ".jpg";
            case "image/webp" -> ".webp";
            case "video/mp4" -> ".mp4";
            default -> "";
          };
    } else {
      data = fetch == null ? null : fetch.apply(ref);
      if (data == null) {
        return "input_file: could not download " + ref;
      }
      String path = ref.replaceFirst("[?#].*$", "");
      String last = path.substring(path.lastIndexOf('/') + 1);
      ext =
          last.contains(".") ? last.substring(last.lastIndexOf('.')).toLowerCase(Locale.ROOT) : "";
    }
    if (ext.isEmpty()) {
      if (data.length >= 2 && data[0] == 0x1f && (data[1] & 0xff) == 0x8b) {
        ext = ".tar";
      } else if (data.length >= 2 && data[0] == 'P' && data[1] == 'K') {
        ext = ".zip";
      } else {
        String fmt = imageFormat(data);
        if (fmt == null) {
          return "Unable to determine file type for: /tmp/input_file, cannot identify image file";
        }
        ext = "." + fmt;
      }
    }
    if (ext.equals(".zip")) {
      try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(data))) {
        ZipEntry e;
        while ((e = z.getNextEntry()) != null) {
          if (!e.isDirectory() && !e.getName().contains("..")) {
            folder.put(e.getName(), z.readAllBytes());
          }
        }
      } catch (IOException e) {
        return "File is not a zip file";
      }
    } else if (ext.equals(".tar")) {
      return "input_file: the fake model does not read tar files";
    } else if (IMAGE_VIDEO.contains(ext)) {
      folder.put("input" + ext, data);
    } else {
      return "Unsupported file type: " + ext;
    }
    logs.add("====================================");
    logs.add("Inputs uploaded to /tmp/inputs:");
    logs.addAll(folder.keySet());
    logs.add("====================================");
    return null;
  }

  private static String imageFormat(byte[] d) {
    if (d.length > 8 && (d[0] & 0xff) == 0x89 && d[1] == 'P') {
      return "png";
    }
    if (d.length > 3 && (d[0] & 0xff) == 0xff && (d[1] & 0xff) == 0xd8) {
      return "jpeg";
    }
    if (d.length > 12 && d[0] == 'R' && d[8] == 'W' && d[9] == 'E' && d[10] == 'B') {
      return "webp";
    }
    return null;
  }

  /** {@code handle_inputs}: every image or video file a string input names must be there. */
  private static String checkInputs(
      ObjectNode graph, Map<String, byte[]> folder, List<String> logs) {
    logs.add("Checking inputs");
    Set<String> seen = new HashSet<>();
    List<String> missing = new ArrayList<>();
    Set<String> basenames = new HashSet<>();
    folder.keySet().forEach(k -> basenames.add(k.substring(k.lastIndexOf('/') + 1)));
    for (var e : graph.properties()) {
      String ct = e.getValue().path("class_type").asText("");
      if (ct.equals("LoraLoaderFromURL") || ct.equals("LoraLoader")) {
        continue;
      }
      for (JsonNode v : e.getValue().path("inputs")) {
        if (!v.isTextual() || !seen.add(v.asText())) {
          continue;
        }
        String s = v.asText();
        String lower = s.toLowerCase(Locale.ROOT);
        if (INPUT_TYPES.stream().anyMatch(lower::endsWith)) {
          String base = s.substring(s.lastIndexOf('/') + 1);
          String file = "/tmp/inputs/" + base;
          // cog looks for <input folder>/<basename>: a file in a zip's subfolder is not found
          if (folder.containsKey(base)) {
            logs.add("\u2705 " + file);
          } else {
            logs.add("\u274c " + file + " not provided");
            missing.add(file);
          }
        }
      }
    }
    logs.add("====================================");
    return missing.isEmpty() ? null : "Missing required input files: " + String.join(", ", missing);
  }

  /** {@code handle_weights}: every weights file a string input names must be on the list. */
  private static String checkWeights(ObjectNode graph, List<String> logs) {
    logs.add("Checking weights");
    Set<String> have = new HashSet<>();
    Map<String, String> folderOf = new LinkedHashMap<>();
    FakeExecutor.MODELS.forEach(
        (folder, names) ->
            names.forEach(
                n -> {
                  have.add(n);
                  folderOf.put(n, folder);
                }));
    TreeSet<String> wanted = new TreeSet<>();
    for (var e : graph.properties()) {
      for (JsonNode v : e.getValue().path("inputs")) {
        if (v.isTextual() && WEIGHT_TYPES.stream().anyMatch(v.asText()::endsWith)) {
          wanted.add(v.asText());
        }
      }
    }
    for (String w : wanted) {
      if (!have.contains(w)) {
        return w + UNAVAILABLE_TAIL;
      }
      logs.add("\u2705 " + w + " exists in ComfyUI/models/" + folderOf.get(w));
    }
    logs.add("====================================");
    return null;
  }

  private static void randomise(ObjectNode graph, List<String> logs) {
    for (var e : graph.properties()) {
      JsonNode in = e.getValue().path("inputs");
      if (!(in instanceof ObjectNode inputs)) {
        continue;
      }
      for (String k : List.of("seed", "noise_seed", "rand_seed")) {
        if (inputs.path(k).isNumber()) {
          long seed = RANDOM.nextLong() >>> 32;
          logs.add("Randomising " + k + " to " + seed);
          inputs.put(k, seed);
        }
      }
    }
  }

  /** PIL's save as another format: a real JPEG or PNG; WebP a placeholder (the JDK writes none). */
  private static byte[] reencode(byte[] png, String format) {
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
      if (img != null && !format.equals("webp")) {
        BufferedImage rgb =
            new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(img, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(format.equals("png") ? img : rgb, format.equals("png") ? "png" : "jpeg", out);
        return out.toByteArray();
      }
    } catch (IOException e) {
      // fall through to a placeholder
    }
    byte[] d = FakeExecutor.digest(png, format.getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(new byte[] {(byte) (d.length + 4), 0, 0, 0});
    out.writeBytes("WEBP".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(d);
    return out.toByteArray();
  }
}

package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * How every fake "runs" a ComfyUI API-format graph: deterministically, with no model. It stands in
 * for ComfyUI itself, so it reads graphs with its own small tables (not the service's {@code
 * workflow} package): a bug in the service's reading must show up against the fakes, not be
 * mirrored by them.
 *
 * <p>Like ComfyUI it first validates: an unknown node class is a missing node, a loader naming a
 * file the box lacks is a missing model, a {@code LoadImage} naming a file not in the input folder
 * is refused. Then each node "executes" in dependency order (one progress step per node, plus one
 * per sampler step), and each output node saves one file of the size the graph asks for ({@code
 * width}/{@code height} of its latent, else of its input image), with content drawn from the
 * graph's seeds, its first prompt text, its input files and the node id. PNG and GIF outputs are
 * real images; MP4, WebM, animated WebP, FLAC, MP3, Opus, latents and GLB are placeholders that
 * start with their format's signature and are not decodable media.
 */
final class FakeExecutor {
  /** The model files the fake box has, by ComfyUI model folder. */
  static final Map<String, List<String>> MODELS =
      Map.of(
          "checkpoints",
          List.of(
              "sd_xl_base_1.0.safetensors",
              "sd_xl_refiner_1.0.safetensors",
              "v1-5-pruned-emaonly.safetensors",
              "svd_xt.safetensors"),
          "loras",
          List.of("add_detail.safetensors"),
          "vae",
          List.of("sdxl_vae.safetensors", "wan_2.1_vae.safetensors"),
          "text_encoders",
          List.of("umt5_xxl_fp8_e4m3fn_scaled.safetensors", "clip_l.safetensors"),
          "diffusion_models",
          List.of("wan2.1_t2v_1.3B_fp16.safetensors"),
          "clip_vision",
          List.of("clip_vision_h.safetensors"),
          "controlnet",
          List.of("controlnet-canny-sdxl-1.0.safetensors"),
          "upscale_models",
          List.of("RealESRGAN_x4plus.pth"));

  /** Loader class -> (input, folder) pairs, as ComfyUI's loaders list their files. */
  static final Map<String, List<String[]>> LOADERS =
      Map.ofEntries(
          Map.entry("CheckpointLoaderSimple", List.<String[]>of(pair("ckpt_name", "checkpoints"))),
          Map.entry(
              "ImageOnlyCheckpointLoader", List.<String[]>of(pair("ckpt_name", "checkpoints"))),
          Map.entry("LoraLoader", List.<String[]>of(pair("lora_name", "loras"))),
          Map.entry("LoraLoaderModelOnly", List.<String[]>of(pair("lora_name", "loras"))),
          Map.entry("VAELoader", List.<String[]>of(pair("vae_name", "vae"))),
          Map.entry("UNETLoader", List.<String[]>of(pair("unet_name", "diffusion_models"))),
          Map.entry("CLIPLoader", List.<String[]>of(pair("clip_name", "text_encoders"))),
          Map.entry(
              "DualCLIPLoader",
              List.<String[]>of(
                  pair("clip_name1", "text_encoders"), pair("clip_name2", "text_encoders"))),
          Map.entry("CLIPVisionLoader", List.<String[]>of(pair("clip_name", "clip_vision"))),
          Map.entry("ControlNetLoader", List.<String[]>of(pair("control_net_name", "controlnet"))),
          Map.entry("UpscaleModelLoader", List.<String[]>of(pair("model_name", "upscale_models"))));

  /** Input loader class -> the input naming a file in the input folder. */
  static final Map<String, String> INPUT_LOADERS =
      Map.of(
          "LoadImage", "image",
          "LoadImageMask", "image",
          "LoadVideo", "file",
          "LoadAudio", "audio",
          "VHS_LoadVideo", "video");

  /** Output class -> {ui key, extension}; VHS_VideoCombine's extension follows its format. */
  static final Map<String, String[]> OUTPUTS =
      Map.ofEntries(
          Map.entry("SaveImage", new String[] {"images", "png", "output"}),
          Map.entry("PreviewImage", new String[] {"images", "png", "temp"}),
          Map.entry("SaveAnimatedWEBP", new String[] {"images", "webp", "output"}),
          Map.entry("SaveAnimatedPNG", new String[] {"images", "png", "output"}),
          Map.entry("SaveWEBM", new String[] {"images", "webm", "output"}),
          Map.entry("SaveVideo", new String[] {"images", "mp4", "output"}),
          Map.entry("VHS_VideoCombine", new String[] {"gifs", "mp4", "output"}),
          Map.entry("SaveAudio", new String[] {"audio", "flac", "output"}),
          Map.entry("SaveAudioMP3", new String[] {"audio", "mp3", "output"}),
          Map.entry("PreviewAudio", new String[] {"audio", "flac", "temp"}),
          Map.entry("PreviewAny", new String[] {"text", "txt", "temp"}),
          Map.entry("SaveLatent", new String[] {"latents", "latent", "output"}));

  /** Every node class the fake box has (its {@code /object_info}). */
  static final Set<String> NODE_CLASSES = nodeClasses();

  private static Set<String> nodeClasses() {
    java.util.TreeSet<String> s = new java.util.TreeSet<>();
    s.addAll(LOADERS.keySet());
    s.addAll(INPUT_LOADERS.keySet());
    s.addAll(OUTPUTS.keySet());
    s.addAll(
        List.of(
            "CLIPTextEncode",
            "EmptyLatentImage",
            "EmptySD3LatentImage",
            "EmptyHunyuanLatentVideo",
            "KSampler",
            "KSamplerAdvanced",
            "SamplerCustom",
            "RandomNoise",
            "VAEDecode",
            "VAEEncode",
            "VAEDecodeTiled",
            "ImageScale",
            "LatentUpscaleBy",
            "ModelSamplingSD3",
            "WanImageToVideo",
            "SVD_img2vid_Conditioning",
            "VideoLinearCFGGuidance",
            "CreateVideo",
            "ControlNetApply"));
    return java.util.Collections.unmodifiableSet(s);
  }

  private static final Set<String> SAMPLERS =
      Set.of("KSampler", "KSamplerAdvanced", "SamplerCustom");

  /** Frames drawn into a GIF at most: the graph's length beyond that is not drawn. */
  static final int MAX_FRAMES = 8;

  /** Pixels drawn at most: a graph asking for more gets its aspect ratio at this size. */
  static final long MAX_PIXELS = 2048L * 2048;

  private static String[] pair(String a, String b) {
    return new String[] {a, b};
  }

  /** Why a graph did not run, in ComfyUI's own terms. */
  sealed interface Failure {
    /** The node the failure is about. */
    String nodeId();

    /** The node's class. */
    String classType();
  }

  /** A loader names a model file the box lacks ({@code value_not_in_list} in ComfyUI). */
  record MissingModel(
      String nodeId, String classType, String input, String folder, String name, List<String> have)
      implements Failure {}

  /** A node class the box does not have. */
  record MissingNode(String nodeId, String classType) implements Failure {}

  /** A loader names an input file the box lacks. */
  record MissingInput(String nodeId, String classType, String input, String name)
      implements Failure {}

  /**
   * One progress step: node {@code node} of {@code nodes}, sampler step {@code step}/{@code steps}.
   */
  record Step(String nodeId, String classType, int node, int nodes, int step, int steps) {}

  /** One saved file. */
  record Output(
      String nodeId,
      String classType,
      String uiKey,
      String filename,
      String subfolder,
      String type,
      String mime,
      byte[] data,
      int width,
      int height,
      int frames) {}

  /** What running a graph gave: its execution order and progress, then outputs or a failure. */
  record Run(List<String> order, List<Step> progress, List<Output> outputs, Failure failure) {
    boolean ok() {
      return failure == null;
    }
  }

  /**
   * The stand-in ComfyUI as a runner's handler sees it: {@link FakeKit#execute} in the fakes (it
   * records the graph first), {@code FakeExecutor::run} where a test drives a handler alone.
   */
  @FunctionalInterface
  interface Runner {
    Run run(ObjectNode graph, Map<String, byte[]> inputs);
  }

  private FakeExecutor() {}

  /** Orders "9" before "10", as ComfyUI's numbered ids read. */
  static final Comparator<String> NODE_ORDER =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  /**
   * Validates and "runs" a graph.
   *
   * @param graph an API-format graph (assumed an object of objects; the fakes' routes check that)
   * @param inputs the box's input folder: file name -> bytes
   */
  static Run run(ObjectNode graph, Map<String, byte[]> inputs) {
    TreeMap<String, JsonNode> nodes = new TreeMap<>(NODE_ORDER);
    graph.properties().forEach(e -> nodes.put(e.getKey(), e.getValue()));
    Failure failure = validate(nodes, inputs);
    List<String> order = order(nodes);
    if (failure != null) {
      return new Run(order, List.of(), List.of(), failure);
    }
    List<Step> progress = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      JsonNode n = nodes.get(order.get(i));
      String ct = n.path("class_type").asText();
      int steps =
          SAMPLERS.contains(ct)
              ? Math.max(1, Math.min(1000, n.path("inputs").path("steps").asInt(20)))
              : 0;
      if (steps == 0) {
        progress.add(new Step(order.get(i), ct, i + 1, order.size(), 0, 0));
      }
      for (int k = 1; k <= steps; k++) {
        progress.add(new Step(order.get(i), ct, i + 1, order.size(), k, steps));
      }
    }
    byte[] basis = basis(nodes, inputs);
    int[] size = size(nodes, inputs);
    int frames = frames(nodes);
    List<Output> outputs = new ArrayList<>();
    Map<String, Integer> counters = new TreeMap<>();
    for (String id : order) {
      JsonNode n = nodes.get(id);
      String ct = n.path("class_type").asText();
      String[] out = OUTPUTS.get(ct);
      if (out == null) {
        continue;
      }
      String ext = out[1];
      String type = out[2];
      if (ct.equals("VHS_VideoCombine")) {
        ext = vhsExtension(n.path("inputs").path("format").asText("image/gif"));
        if (!n.path("inputs").path("save_output").asBoolean(true)) {
          type = "temp";
        }
      }
      // "video/ComfyUI" saves ComfyUI_00001_.mp4 in the subfolder "video", as ComfyUI does
      String prefix = n.path("inputs").path("filename_prefix").asText("ComfyUI");
      int slash = prefix.lastIndexOf('/');
      String subfolder =
          slash < 0 ? "" : prefix.substring(0, slash).replaceAll("[^A-Za-z0-9_/-]", "_");
      prefix = prefix.substring(slash + 1).replaceAll("[^A-Za-z0-9_-]", "_");
      int counter = counters.merge(subfolder + "/" + prefix, 1, Integer::sum);
      String filename = String.format(Locale.ROOT, "%s_%05d_.%s", prefix, counter, ext);
      byte[] seed = digest(basis, id.getBytes(StandardCharsets.UTF_8));
      boolean animated = !ct.equals("SaveImage") && !ct.equals("PreviewImage");
      int f = animated && out[0].matches("images|gifs") ? frames : 1;
      outputs.add(
          new Output(
              id,
              ct,
              out[0],
              filename,
              subfolder,
              type,
              mime(ext),
              draw(ext, seed, size, f),
              size[0],
              size[1],
              f));
    }
    return new Run(order, progress, outputs, null);
  }

  private static Failure validate(TreeMap<String, JsonNode> nodes, Map<String, byte[]> inputs) {
    for (Map.Entry<String, JsonNode> e : nodes.entrySet()) {
      String ct = e.getValue().path("class_type").asText("");
      if (!NODE_CLASSES.contains(ct)) {
        return new MissingNode(e.getKey(), ct);
      }
    }
    for (Map.Entry<String, JsonNode> e : nodes.entrySet()) {
      String ct = e.getValue().path("class_type").asText("");
      JsonNode in = e.getValue().path("inputs");
      for (String[] spec : LOADERS.getOrDefault(ct, List.of())) {
        JsonNode v = in.get(spec[0]);
        if (v != null
            && v.isTextual()
            && !MODELS.getOrDefault(spec[1], List.of()).contains(v.asText())) {
          return new MissingModel(
              e.getKey(),
              ct,
              spec[0],
              spec[1],
              v.asText(),
              MODELS.getOrDefault(spec[1], List.of()));
        }
      }
      String loaderInput = INPUT_LOADERS.get(ct);
      if (loaderInput != null && in.path(loaderInput).isTextual()) {
        String name = in.get(loaderInput).asText().replace(" [input]", "");
        if (!inputs.containsKey(name)) {
          return new MissingInput(e.getKey(), ct, loaderInput, name);
        }
      }
    }
    return null;
  }

  /** Dependency order, ready nodes in {@link #NODE_ORDER}; nodes on a cycle (never sent) last. */
  static List<String> order(TreeMap<String, JsonNode> nodes) {
    List<String> out = new ArrayList<>();
    java.util.TreeSet<String> left = new java.util.TreeSet<>(NODE_ORDER);
    left.addAll(nodes.keySet());
    boolean moved = true;
    while (!left.isEmpty() && moved) {
      moved = false;
      for (String id : new ArrayList<>(left)) {
        boolean ready = true;
        for (JsonNode v : nodes.get(id).path("inputs")) {
          if (v.isArray() && v.size() == 2 && left.contains(v.get(0).asText())) {
            ready = false;
            break;
          }
        }
        if (ready) {
          out.add(id);
          left.remove(id);
          moved = true;
          break;
        }
      }
    }
    out.addAll(left);
    return out;
  }

  /** What the content depends on: every seed, the first prompt text, the input files. */
  private static byte[] basis(TreeMap<String, JsonNode> nodes, Map<String, byte[]> inputs) {
    StringBuilder sb = new StringBuilder("fake-comfyui/1");
    String text = null;
    for (Map.Entry<String, JsonNode> e : nodes.entrySet()) {
      JsonNode in = e.getValue().path("inputs");
      for (String k : new String[] {"seed", "noise_seed", "rand_seed"}) {
        if (in.path(k).isNumber()) {
          sb.append('|')
              .append(e.getKey())
              .append(':')
              .append(k)
              .append('=')
              .append(in.get(k).asText());
        }
      }
      if (text == null && e.getValue().path("class_type").asText().equals("CLIPTextEncode")) {
        text = in.path("text").asText(null);
      }
    }
    sb.append("|text=").append(text == null ? "" : text);
    // the files the graph reads, by file name, not where a provider put them (ComfyUI reads
    // uploads from a subfolder of a folder that holds other jobs' files too): the same graph and
    // files give the same outputs on every provider
    referenced(nodes.values(), inputs)
        .forEach(
            (name, data) -> sb.append("|in=").append(name).append(':').append(hex(digest(data))));
    return digest(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Width and height: the largest literal width/height of a latent or video node, else the input
   * image's.
   */
  static int[] size(TreeMap<String, JsonNode> nodes, Map<String, byte[]> inputs) {
    long best = 0;
    int[] size = null;
    for (JsonNode n : nodes.values()) {
      JsonNode in = n.path("inputs");
      if (in.path("width").canConvertToInt() && in.path("height").canConvertToInt()) {
        int w = in.get("width").asInt();
        int h = in.get("height").asInt();
        if (w > 0 && h > 0 && (long) w * h > best) {
          best = (long) w * h;
          size = new int[] {w, h};
        }
      }
    }
    if (size == null) {
      for (JsonNode n : nodes.values()) {
        String loader = INPUT_LOADERS.get(n.path("class_type").asText());
        if ("image".equals(loader)) {
          byte[] data = inputs.get(n.path("inputs").path("image").asText().replace(" [input]", ""));
          int[] dims = dims(data);
          if (dims != null) {
            size = dims;
            break;
          }
        }
      }
    }
    if (size == null) {
      size = new int[] {512, 512};
    }
    return size;
  }

  /** The number of frames of a video graph ({@code length}, {@code video_frames}), else 1. */
  static int frames(TreeMap<String, JsonNode> nodes) {
    int frames = 1;
    for (JsonNode n : nodes.values()) {
      for (String k : new String[] {"length", "video_frames"}) {
        if (n.path("inputs").path(k).canConvertToInt()) {
          frames = Math.max(frames, n.path("inputs").get(k).asInt());
        }
      }
    }
    return Math.max(1, frames);
  }

  private static int[] dims(byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(data));
      return img == null ? null : new int[] {img.getWidth(), img.getHeight()};
    } catch (IOException e) {
      return null;
    }
  }

  static String vhsExtension(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    if (f.startsWith("image/")) {
      return f.substring(6);
    }
    return f.contains("webm") ? "webm" : "mp4";
  }

  static String mime(String ext) {
    return switch (ext) {
      case "png" -> "image/png";
      case "gif" -> "image/gif";
      case "webp" -> "image/webp";
      case "mp4" -> "video/mp4";
      case "webm" -> "video/webm";
      case "flac" -> "audio/flac";
      case "mp3" -> "audio/mpeg";
      case "txt" -> "text/plain";
      default -> "application/octet-stream";
    };
  }

  private static byte[] draw(String ext, byte[] seed, int[] size, int frames) {
    int[] s = fit(size);
    return switch (ext) {
      case "png" -> png(image(seed, s[0], s[1], 0));
      case "gif" -> gif(seed, s[0], s[1], Math.min(frames, MAX_FRAMES));
      case "txt" ->
          ("fake text " + hex(seed).substring(0, 16) + "\n").getBytes(StandardCharsets.UTF_8);
      case "mp4" -> placeholder(box("ftyp", "isom\0\0\2\0isomiso2mp41"), seed, "mdat");
      case "webm" ->
          placeholder(
              new byte[] {
                0x1A,
                0x45,
                (byte) 0xDF,
                (byte) 0xA3,
                (byte) 0x9F,
                0x42,
                (byte) 0x82,
                (byte) 0x84,
                'w',
                'e',
                'b',
                'm'
              },
              seed,
              null);
      case "webp" -> riff("WEBP", seed);
      case "flac" -> placeholder("fLaC".getBytes(StandardCharsets.US_ASCII), seed, null);
      case "mp3" ->
          placeholder("ID3\3\0\0\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1), seed, null);
      default -> placeholder(new byte[0], seed, null);
    };
  }

  /** The graph's size, scaled down to {@link #MAX_PIXELS} with its aspect ratio. */
  static int[] fit(int[] size) {
    long px = (long) size[0] * size[1];
    if (px <= MAX_PIXELS) {
      return size;
    }
    double k = Math.sqrt((double) MAX_PIXELS / px);
    return new int[] {Math.max(1, (int) (size[0] * k)), Math.max(1, (int) (size[1] * k))};
  }

  private static BufferedImage image(byte[] h, int w, int hgt, int frame) {
    BufferedImage img = new BufferedImage(w, hgt, BufferedImage.TYPE_INT_RGB);
    int[] px = new int[w * hgt];
    int shift = frame * 7;
    for (int y = 0; y < hgt; y++) {
      for (int x = 0; x < w; x++) {
        int cell = (((x + shift) * 8 / Math.max(1, w)) + (y * 8 / Math.max(1, hgt)) * 8) % h.length;
        int r = ((h[0] & 0xff) * x / Math.max(1, w) + (h[cell] & 0x3f)) & 0xff;
        int g = ((h[1] & 0xff) * y / Math.max(1, hgt) + (h[(cell + 7) % h.length] & 0x3f)) & 0xff;
        int b = ((h[2] & 0xff) + (h[(cell + 13) % h.length] & 0x3f) + frame * 16) & 0xff;
        px[y * w + x] = (r << 16) | (g << 8) | b;
      }
    }
    img.setRGB(0, 0, w, hgt, px, 0, w);
    return img;
  }

  private static byte[] png(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** An animated GIF, looping, 10 frames a second. */
  private static byte[] gif(byte[] seed, int w, int h, int frames) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.prepareWriteSequence(null);
      for (int i = 0; i < frames; i++) {
        BufferedImage img = image(seed, w, h, i);
        ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(img);
        IIOMetadata meta = writer.getDefaultImageMetadata(type, null);
        String format = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
        IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", "10");
        gce.setAttribute("transparentColorIndex", "0");
        root.appendChild(gce);
        if (i == 0) {
          IIOMetadataNode apps = new IIOMetadataNode("ApplicationExtensions");
          IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
          app.setAttribute("applicationID", "NETSCAPE");
          app.setAttribute("authenticationCode", "2.0");
          app.setUserObject(new byte[] {1, 0, 0});
          apps.appendChild(app);
          root.appendChild(apps);
        }
        meta.setFromTree(format, root);
        writer.writeToSequence(new IIOImage(img, null, meta), null);
      }
      writer.endWriteSequence();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  private static byte[] box(String type, String payload) {
    byte[] p = payload.getBytes(StandardCharsets.ISO_8859_1);
    return ByteBuffer.allocate(8 + p.length)
        .putInt(8 + p.length)
        .put(type.getBytes(StandardCharsets.US_ASCII))
        .put(p)
        .array();
  }

  /** A signature, then (in an MP4 {@code mdat} box when asked) 4 KiB drawn from the seed. */
  private static byte[] placeholder(byte[] head, byte[] seed, String boxType) {
    byte[] body = stretch(seed, 4096);
    if (boxType != null) {
      body =
          ByteBuffer.allocate(8 + body.length)
              .putInt(8 + body.length)
              .put(boxType.getBytes(StandardCharsets.US_ASCII))
              .put(body)
              .array();
    }
    return ByteBuffer.allocate(head.length + body.length).put(head).put(body).array();
  }

  private static byte[] riff(String form, byte[] seed) {
    byte[] body = stretch(seed, 4096);
    return ByteBuffer.allocate(12 + body.length)
        .put("RIFF".getBytes(StandardCharsets.US_ASCII))
        .putInt(Integer.reverseBytes(4 + body.length))
        .put(form.getBytes(StandardCharsets.US_ASCII))
        .put(body)
        .array();
  }

  private static byte[] stretch(byte[] seed, int n) {
    byte[] out = new byte[n];
    byte[] block = seed;
    for (int at = 0; at < n; at += block.length) {
      block = digest(block);
      System.arraycopy(block, 0, out, at, Math.min(block.length, n - at));
    }
    return out;
  }

  static byte[] digest(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        md.update(p);
      }
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The outputs a runner returns: those of the nodes asked for (every output node when none is
   * named), the saved ones, or the previews when nothing was saved.
   */
  static List<Output> chosen(Run run, java.util.Set<String> wanted) {
    List<Output> asked =
        run.outputs().stream()
            .filter(o -> wanted.isEmpty() || wanted.contains(o.nodeId()))
            .toList();
    List<Output> saved = asked.stream().filter(o -> o.type().equals("output")).toList();
    return saved.isEmpty() ? asked : saved;
  }

  /** ComfyUI's output key as a runner's kind word: image, video, audio, text, latent, file. */
  static String kind(Output o) {
    return switch (o.uiKey()) {
      case "images" -> o.mime().startsWith("image/") && o.frames() <= 1 ? "image" : "video";
      case "gifs" -> "video";
      case "audio" -> "audio";
      case "text" -> "text";
      case "latents" -> "latent";
      default -> "file";
    };
  }

  /** The input files a graph's loaders name and the box has: file name -> bytes. */
  static TreeMap<String, byte[]> referenced(Iterable<JsonNode> nodes, Map<String, byte[]> inputs) {
    TreeMap<String, byte[]> out = new TreeMap<>();
    for (JsonNode n : nodes) {
      String input = INPUT_LOADERS.get(n.path("class_type").asText(""));
      JsonNode v = n.path("inputs").path(input == null ? "" : input);
      if (input != null && v.isTextual()) {
        byte[] data = inputs.get(v.asText().replace(" [input]", ""));
        if (data != null) {
          out.put(baseName(v.asText()), data);
        }
      }
    }
    return out;
  }

  /**
   * A loader's file reference without its subfolder: {@code comfyvn/ab12/x.png} -> {@code x.png}.
   */
  static String baseName(String name) {
    String n = name.replace(" [input]", "");
    return n.substring(Math.max(n.lastIndexOf('/'), n.lastIndexOf('\\')) + 1);
  }

  static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }
}

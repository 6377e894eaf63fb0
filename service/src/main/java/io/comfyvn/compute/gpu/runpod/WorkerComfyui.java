package io.comfyvn.compute.gpu.runpod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.LiveClient.Failure;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.workflow.Graph;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.MediaTypes;
import io.comfyvn.compute.workflow.ModelRef;
import io.comfyvn.compute.workflow.NodeCatalog;
import io.comfyvn.compute.workflow.OutputNode;
import io.comfyvn.compute.workflow.WorkflowException;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A workflow job as {@code runpod-workers/worker-comfyui}'s {@code handler.py} takes it, and its
 * answers back.
 *
 * <ul>
 *   <li>In: {@code input.workflow} (the canonical graph, byte for byte) and {@code
 *       input.images[{name, image}]} (plain base64). The handler uploads every entry through
 *       ComfyUI's {@code /upload/image}, which stores any file in the input folder, so video and
 *       audio inputs go there too.
 *   <li>Out: {@code images[{filename, type: base64|s3_url, data}]}, {@code errors[]} (warnings on a
 *       run that returned files), {@code status: success_no_images}. The handler reads only the
 *       {@code images} entries of ComfyUI's history and skips {@code temp} files: what SaveImage,
 *       SaveAnimatedWEBP, SaveAnimatedPNG, SaveWEBM and SaveVideo save comes back;
 *       VideoHelperSuite's {@code gifs}, audio, text, latents and previews do not.
 *   <li>Failure: the handler returns {@code {error, details?}}, which RunPod reports as {@code
 *       FAILED} with {@code error} (the rest stays in {@code output}). A graph ComfyUI refuses
 *       comes back as the handler's rendering of ComfyUI's validation answer: {@code • Node 4
 *       (errors): [{'type': 'value_not_in_list', ... 'details': "ckpt_name: 'x' not in [...]"
 *       ...}]} and {@code • Node 4 (class_type): ...} lines for a missing model, {@code Node 'X'
 *       not found. The custom node may not be installed.. Raw response: {...}} for a missing node.
 * </ul>
 */
final class WorkerComfyui {
  static final String RUNNER = "worker-comfyui on RunPod serverless";

  /** RunPod's documented limit for a {@code /run} body. */
  static final int MAX_RUN_BODY = 10_000_000;

  /** The output classes ComfyUI reports under {@code images}: the only ones the handler returns. */
  static final Set<String> RETURNED_CLASSES =
      Set.of("SaveImage", "SaveAnimatedWEBP", "SaveAnimatedPNG", "SaveWEBM", "SaveVideo");

  private static final int MAX_ERROR = 600;

  private static final Pattern NODE_LINE =
      Pattern.compile(
          "^\\s*\\u2022 Node (\\S+) \\((errors|class_type)\\): (.*)$", Pattern.MULTILINE);

  /**
   * ComfyUI's {@code value_not_in_list} details: {@code ckpt_name: 'x.safetensors' not in [..]}.
   */
  private static final Pattern NOT_IN_LIST =
      Pattern.compile("([A-Za-z0-9_]+): '((?:[^'\\\\]|\\\\.)+)' not in ");

  private static final Pattern NODE_NOT_FOUND =
      Pattern.compile("Node '(.+?)' not found\\. The custom node may not be installed");
  private static final Pattern NODE_DOES_NOT_EXIST =
      Pattern.compile("Cannot execute because node (.+?) does not exist");
  private static final Pattern NODE_ID = Pattern.compile("Node ID '#([A-Za-z0-9_:.\\-]+)'");
  private static final String RAW = "Raw response: ";

  private WorkerComfyui() {}

  /**
   * The handler's {@code input}: the graph as its canonical bytes (a raw value, so nothing
   * re-serialises it) and every input file as {@code {name, image}}.
   */
  static ObjectNode input(WorkflowRun run, ObjectMapper mapper) {
    ObjectNode input = mapper.createObjectNode();
    input.putRawValue("workflow", new RawValue(run.job().graph().text()));
    if (!run.inputs().isEmpty()) {
      ArrayNode images = input.putArray("images");
      for (InputFile f : run.inputs()) {
        images
            .addObject()
            .put("name", f.name())
            .put("image", Base64.getEncoder().encodeToString(f.data()));
      }
    }
    return input;
  }

  /** The job's outputs the handler will not return (by class; custom classes are not judged). */
  static List<OutputNode> unreturned(WorkflowJob job) {
    return job.outputs().stream()
        .filter(o -> o.extension() != null)
        .filter(o -> o.preview() || !RETURNED_CLASSES.contains(o.classType()))
        .toList();
  }

  /**
   * Refuses a job none of whose outputs the handler returns: the GPU time would be paid for
   * nothing. Returns log lines for the outputs it will not return.
   */
  static List<String> check(WorkflowJob job) {
    List<OutputNode> lost = unreturned(job);
    List<String> names =
        lost.stream()
            .map(o -> o.classType() + " #" + o.nodeId() + " (" + describe(o) + ")")
            .toList();
    if (!lost.isEmpty() && lost.size() == job.outputs().size()) {
      throw new ProviderException(
          Kind.UNPROCESSABLE,
          "unsupported_output",
          "runpod: worker-comfyui returns only the files ComfyUI lists as saved images (SaveImage,"
              + " SaveAnimatedWEBP, SaveAnimatedPNG, SaveWEBM, SaveVideo); this workflow's outputs"
              + " are "
              + String.join(", ", names)
              + ", so nothing would come back. Nothing was sent; run it on another provider or"
              + " add a SaveImage/SaveVideo node",
          false,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    return names.stream()
        .map(n -> "worker-comfyui does not return " + n + "; only saved images and videos")
        .toList();
  }

  private static String describe(OutputNode o) {
    return o.preview() ? "a preview" : o.kind().wire() + " " + o.extension();
  }

  /** The files of a finished handler's output, of every kind it returns. */
  static List<Output> outputs(JsonNode output, List<String> logs) {
    List<Output> out = new ArrayList<>();
    for (JsonNode img : output.path("images")) {
      String name = ProviderAnswers.text(img, "filename");
      String type = img.path("type").asText("");
      String data = ProviderAnswers.text(img, "data");
      if (data == null) {
        continue;
      }
      String mime =
          name == null
              ? null
              : MediaTypes.byExtension(name).map(MediaTypes.Sniffed::mime).orElse(null);
      if (type.equals("s3_url")) {
        Output o = LiveOutputs.fromText(data);
        if (o != null) {
          out.add(new Output(name != null ? name : o.name(), o.url(), null, mime));
        }
      } else if (type.equals("base64")) {
        out.add(LiveOutputs.inline(name, data, mime));
      }
    }
    for (JsonNode e : output.path("errors")) {
      logs.add("worker-comfyui: " + clip(e.asText()));
    }
    if ("success_no_images".equals(output.path("status").asText())) {
      logs.add("worker-comfyui finished without images (status success_no_images)");
    }
    return out;
  }

  /**
   * A missing model or node named in the handler's error text (ComfyUI's validation answer as the
   * handler renders it), or null when the text names neither.
   */
  static Failure failure(String error) {
    if (error == null || error.isBlank()) {
      return null;
    }
    Failure node = missingNode(error);
    if (node != null) {
      return node;
    }
    LinkedHashSet<String> models = new LinkedHashSet<>();
    String firstNode = null;
    String firstClass = null;
    Matcher m = NODE_LINE.matcher(error);
    List<String[]> errors = new ArrayList<>();
    java.util.Map<String, String> classes = new java.util.HashMap<>();
    while (m.find()) {
      if (m.group(2).equals("class_type")) {
        classes.put(m.group(1), m.group(3).strip());
      } else {
        errors.add(new String[] {m.group(1), m.group(3)});
      }
    }
    for (String[] e : errors) {
      if (!e[1].contains("value_not_in_list")) {
        continue;
      }
      Matcher v = NOT_IN_LIST.matcher(e[1]);
      while (v.find()) {
        String input = v.group(1);
        String name = v.group(2).replace("\\\\", "\\");
        String cls = classes.get(e[0]);
        models.add(folder(cls, input, name) + "/" + name);
        if (firstNode == null) {
          firstNode = e[0];
          firstClass = cls;
        }
      }
    }
    return models.isEmpty()
        ? null
        : new Failure("missing_model", firstNode, firstClass, List.copyOf(models));
  }

  private static Failure missingNode(String error) {
    String title = null;
    Matcher found = NODE_NOT_FOUND.matcher(error);
    Matcher old = NODE_DOES_NOT_EXIST.matcher(error);
    if (found.find()) {
      title = found.group(1);
    } else if (old.find()) {
      title = old.group(1);
    } else {
      return null;
    }
    String nodeId = null;
    String cls = null;
    int raw = error.indexOf(RAW);
    if (raw >= 0) {
      try {
        JsonNode r = Json.mapper().readTree(error.substring(raw + RAW.length()));
        JsonNode extra = r.path("error").path("extra_info");
        nodeId = ProviderAnswers.text(extra, "node_id");
        cls = ProviderAnswers.text(extra, "class_type");
      } catch (java.io.IOException | RuntimeException notJson) {
        // the text around it still names the node
      }
    }
    if (nodeId == null) {
      Matcher id = NODE_ID.matcher(error);
      nodeId = id.find() ? id.group(1) : null;
    }
    // ComfyUI's newer message names the node's title; its extra_info has the class
    String name = cls != null ? cls : title;
    return new Failure("missing_node", nodeId, name, List.of(name));
  }

  /**
   * The model folder a loader's input is looked up in, from the service's catalog; the input's name
   * when the loader is not in it.
   */
  static String folder(String classType, String input, String name) {
    if (classType != null) {
      ObjectNode one = Json.mapper().createObjectNode();
      ObjectNode node = one.putObject("1").put("class_type", classType);
      node.putObject("inputs").put(input, name);
      try {
        Graph g = Graph.parse(one, Limits.DEFAULT);
        for (ModelRef ref : NodeCatalog.models(g.nodes().get(0))) {
          if (ref.input().equals(input)) {
            return ref.folder();
          }
        }
      } catch (WorkflowException notAGraph) {
        // a class name ComfyUI took but our graph rules do not: fall through
      }
    }
    return input.toLowerCase(Locale.ROOT);
  }

  /** The text a failed job's error is shown as: the typed failure first, then the handler's. */
  static String errorText(String error, JsonNode output, Failure failure) {
    StringBuilder b = new StringBuilder();
    if (failure != null) {
      b.append(failure.code().equals("missing_model") ? "the worker lacks " : "no node class ")
          .append(String.join(", ", failure.names()));
      if (failure.nodeId() != null) {
        b.append(" (node ").append(failure.nodeId());
        if (failure.classType() != null && failure.code().equals("missing_model")) {
          b.append(", ").append(failure.classType());
        }
        b.append(')');
      }
      b.append(": ");
    }
    String first = error.strip();
    int nl = first.indexOf('\n');
    b.append(failure != null && nl > 0 ? first.substring(0, nl).strip() : first);
    List<String> details = new ArrayList<>();
    output.path("details").forEach(d -> details.add(d.asText()));
    if (!details.isEmpty()) {
      b.append(" (").append(String.join("; ", details)).append(')');
    }
    return clip(b.toString());
  }

  private static String clip(String s) {
    return s.length() <= MAX_ERROR ? s : s.substring(0, MAX_ERROR) + "...";
  }
}

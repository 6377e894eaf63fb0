package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A self-hosted ComfyUI server under {@code /comfyui} (and {@code /comfyui/api}, as the real one
 * serves every route under {@code /api} too): {@code POST /prompt} validates the API-format graph
 * like ComfyUI does (unknown node types, unknown checkpoints, no output node), {@code GET /queue},
 * {@code POST /queue {"delete"|"clear"}}, {@code GET /history/{id}} (empty until the prompt ends),
 * {@code POST /interrupt}, {@code GET /system_stats} and {@code GET /view} serving deterministic
 * PNGs. No auth, as a LAN box has none. Prompts follow the kit's clock independently (the real
 * server runs one at a time; tests do not depend on that).
 */
final class FakeComfyUI {
  static final String PROVIDER = "comfyui";
  static final String HARDWARE = "RTX 4090";
  static final String VERSION = "0.3.66";
  private static final String BASE = "/comfyui";
  private static final long VRAM_TOTAL = 25_757_220_864L;

  /** The node types this fake knows; any other is refused as ComfyUI refuses a missing node. */
  private static final Set<String> NODE_TYPES =
      Set.of(
          "CheckpointLoaderSimple",
          "CLIPTextEncode",
          "EmptyLatentImage",
          "KSampler",
          "KSamplerAdvanced",
          "VAEDecode",
          "VAEEncode",
          "LoadImage",
          "LoraLoader",
          "SaveImage",
          "PreviewImage");

  private static final Set<String> OUTPUT_TYPES = Set.of("SaveImage", "PreviewImage");
  static final List<String> CHECKPOINTS =
      List.of("sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors");

  private final FakeKit kit;
  private final Map<String, Prompt> prompts = new ConcurrentHashMap<>();
  private final AtomicInteger number = new AtomicInteger();
  private final AtomicInteger fileCounter = new AtomicInteger();

  /** One queued prompt and the images it will save. */
  private record Prompt(
      String id,
      int number,
      ObjectNode graph,
      String clientId,
      Lifecycle life,
      Map<String, List<String>> files) {}

  FakeComfyUI(FakeKit kit) {
    this.kit = kit;
  }

  /** Errors as ComfyUI's aiohttp handlers write them: {@code {"error": {type, message}}}. */
  static void error(Context ctx, int status, String message) {
    ctx.status(status)
        .contentType("application/json")
        .result(
            "{\"error\":{\"type\":\"error\",\"message\":"
                + quote(message)
                + ",\"details\":\"\",\"extra_info\":{}},\"node_errors\":{}}");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  void register(RoutesConfig r) {
    for (String base : new String[] {BASE, BASE + "/api"}) {
      kit.post(r, base + "/prompt", PROVIDER, "create", FakeComfyUI::error, this::prompt);
      kit.get(r, base + "/queue", PROVIDER, "queue", FakeComfyUI::error, this::queue);
      kit.post(r, base + "/queue", PROVIDER, "cancel", FakeComfyUI::error, this::queueEdit);
      kit.get(r, base + "/history/{id}", PROVIDER, "history", FakeComfyUI::error, this::history);
      kit.post(r, base + "/interrupt", PROVIDER, "interrupt", FakeComfyUI::error, this::interrupt);
      kit.get(r, base + "/system_stats", PROVIDER, "system_stats", FakeComfyUI::error, this::stats);
      kit.get(r, base + "/view", PROVIDER, "view", FakeComfyUI::error, this::view);
    }
  }

  private void prompt(Context ctx) {
    ObjectNode body = kit.objectBody(ctx);
    JsonNode graph = body == null ? null : body.get("prompt");
    if (graph == null || !graph.isObject()) {
      invalid(ctx, "invalid_prompt", "No prompt provided", "");
      return;
    }
    List<String> outputs = new ArrayList<>();
    ObjectNode nodeErrors = kit.object();
    for (Map.Entry<String, JsonNode> e : graph.properties()) {
      JsonNode node = e.getValue();
      String type = node.path("class_type").asText("");
      if (!node.isObject() || type.isEmpty()) {
        invalid(
            ctx,
            "invalid_prompt",
            "Cannot execute because a node is missing the class_type property.",
            "Node ID '#" + e.getKey() + "'");
        return;
      }
      if (!NODE_TYPES.contains(type)) {
        invalid(
            ctx,
            "invalid_prompt",
            "Cannot execute because node " + type + " does not exist.",
            "Node ID '#" + e.getKey() + "'");
        return;
      }
      if (OUTPUT_TYPES.contains(type)) {
        outputs.add(e.getKey());
      }
      String ckpt = node.path("inputs").path("ckpt_name").asText(null);
      if (type.equals("CheckpointLoaderSimple") && !CHECKPOINTS.contains(ckpt)) {
        ObjectNode ne = nodeErrors.putObject(e.getKey());
        ne.putArray("errors")
            .addObject()
            .put("type", "value_not_in_list")
            .put("message", "Value not in list")
            .put("details", "ckpt_name: '" + ckpt + "' not in " + CHECKPOINTS)
            .putObject("extra_info");
        ne.putArray("dependent_outputs");
        ne.put("class_type", type);
      }
    }
    if (outputs.isEmpty()) {
      invalid(ctx, "prompt_no_outputs", "Prompt has no outputs", "");
      return;
    }
    if (!nodeErrors.isEmpty()) {
      ObjectNode out = kit.object();
      out.putObject("error")
          .put("type", "prompt_outputs_failed_validation")
          .put("message", "Prompt outputs failed validation")
          .put("details", "")
          .putObject("extra_info");
      out.set("node_errors", nodeErrors);
      kit.json(ctx, 400, out);
      return;
    }
    String id = UUID.randomUUID().toString();
    Instant now = kit.now();
    Lifecycle life =
        new Lifecycle(
            now,
            kit.settings.queueTime(),
            kit.settings.runTime(),
            null,
            null,
            kit.outcome(PROVIDER, null));
    Prompt p =
        new Prompt(
            id,
            number.getAndIncrement(),
            (ObjectNode) graph.deepCopy(),
            body.path("client_id").asText(""),
            life,
            files((ObjectNode) graph, outputs));
    prompts.put(id, p);
    ObjectNode out = kit.object().put("prompt_id", id).put("number", p.number());
    out.putObject("node_errors");
    kit.json(ctx, 200, out);
  }

  /** The file names each output node will save, registered as recipes of prompt text and seed. */
  private Map<String, List<String>> files(ObjectNode graph, List<String> outputs) {
    String text = "";
    long seed = 0;
    int batch = 1;
    for (JsonNode node : graph) {
      JsonNode in = node.path("inputs");
      switch (node.path("class_type").asText()) {
        case "CLIPTextEncode" -> {
          if (text.isEmpty() && in.path("text").isTextual()) {
            text = in.get("text").asText();
          }
        }
        case "KSampler", "KSamplerAdvanced" ->
            seed = in.has("seed") ? in.get("seed").asLong() : in.path("noise_seed").asLong();
        case "EmptyLatentImage" -> batch = Math.max(1, Math.min(4, in.path("batch_size").asInt(1)));
        default -> {}
      }
    }
    Map<String, List<String>> out = new ConcurrentHashMap<>();
    for (String nodeId : outputs) {
      String prefix = graph.get(nodeId).path("inputs").path("filename_prefix").asText("ComfyUI");
      List<String> names = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        String name = String.format("%s_%05d_.png", prefix, fileCounter.incrementAndGet());
        kit.images.register(key(name, ""), new FakeImages.Recipe(text, seed, i));
        names.add(name);
      }
      out.put(nodeId, names);
    }
    return out;
  }

  private static String key(String filename, String subfolder) {
    return "comfyui/" + subfolder + "/" + filename;
  }

  private void invalid(Context ctx, String type, String message, String details) {
    ObjectNode out = kit.object();
    out.putObject("error")
        .put("type", type)
        .put("message", message)
        .put("details", details)
        .putObject("extra_info");
    out.putObject("node_errors");
    kit.json(ctx, 400, out);
  }

  private void queue(Context ctx) {
    Instant now = kit.now();
    ObjectNode out = kit.object();
    ArrayNode running = out.putArray("queue_running");
    ArrayNode pending = out.putArray("queue_pending");
    prompts.values().stream()
        .sorted(java.util.Comparator.comparingInt(Prompt::number))
        .forEach(
            p -> {
              Phase phase = p.life().phase(now);
              if (phase == Phase.RUNNING) {
                running.add(item(p));
              } else if (phase == Phase.QUEUED) {
                pending.add(item(p));
              }
            });
    kit.json(ctx, 200, out);
  }

  /** {@code [number, prompt_id, prompt, extra_data, outputs_to_execute]}. */
  private ArrayNode item(Prompt p) {
    ArrayNode a = kit.mapper.createArrayNode();
    a.add(p.number()).add(p.id()).add(p.graph());
    a.addObject().put("client_id", p.clientId());
    ArrayNode outs = a.addArray();
    p.files().keySet().stream().sorted().forEach(outs::add);
    return a;
  }

  /** {@code {"delete": [ids]}} removes queued prompts; {@code {"clear": true}} all queued. */
  private void queueEdit(Context ctx) {
    ObjectNode body = kit.objectBody(ctx);
    if (body == null) {
      error(ctx, 400, "body must be a JSON object");
      return;
    }
    Instant now = kit.now();
    if (body.path("clear").asBoolean(false)) {
      prompts.values().removeIf(p -> p.life().phase(now) == Phase.QUEUED);
    }
    for (JsonNode id : body.path("delete")) {
      Prompt p = prompts.get(id.asText());
      if (p != null && p.life().phase(now) == Phase.QUEUED) {
        prompts.remove(p.id());
      }
    }
    ctx.status(200);
  }

  /**
   * Interrupts the running prompt; with {@code {"prompt_id"}} only when that prompt is the one
   * running, as current ComfyUI does.
   */
  private void interrupt(Context ctx) {
    ObjectNode body = kit.objectBody(ctx);
    String only = body == null ? null : body.path("prompt_id").asText(null);
    Instant now = kit.now();
    for (Prompt p : prompts.values()) {
      if ((only == null || only.equals(p.id())) && p.life().phase(now) == Phase.RUNNING) {
        p.life().cancel(now);
      }
    }
    ctx.status(200);
  }

  private void history(Context ctx) {
    Prompt p = prompts.get(ctx.pathParam("id"));
    Instant now = kit.now();
    ObjectNode out = kit.object();
    if (p != null && p.life().phase(now).terminal()) {
      out.set(p.id(), entry(p, now));
    }
    kit.json(ctx, 200, out);
  }

  private ObjectNode entry(Prompt p, Instant now) {
    Phase phase = p.life().phase(now);
    ObjectNode e = kit.object();
    e.set("prompt", item(p));
    ObjectNode outputs = e.putObject("outputs");
    ObjectNode status = kit.object();
    ArrayNode messages = kit.mapper.createArrayNode();
    Instant started = p.life().startedAt(now);
    Instant ended = p.life().endedAt(now);
    long startMs = (started != null ? started : p.life().created()).toEpochMilli();
    messages
        .addArray()
        .add("execution_start")
        .addObject()
        .put("prompt_id", p.id())
        .put("timestamp", startMs);
    ObjectNode end = kit.object().put("prompt_id", p.id()).put("timestamp", ended.toEpochMilli());
    switch (phase) {
      case SUCCEEDED -> {
        p.files()
            .forEach(
                (node, names) -> {
                  ArrayNode images = outputs.putObject(node).putArray("images");
                  names.forEach(
                      n ->
                          images
                              .addObject()
                              .put("filename", n)
                              .put("subfolder", "")
                              .put("type", "output"));
                });
        status.put("status_str", "success").put("completed", true);
        messages.addArray().add("execution_success").add(end);
      }
      case CANCELED -> {
        status.put("status_str", "error").put("completed", false);
        end.put("node_id", "3").put("node_type", "KSampler").putArray("executed");
        messages.addArray().add("execution_interrupted").add(end);
      }
      default -> {
        status.put("status_str", "error").put("completed", false);
        end.put("node_id", "3")
            .put("node_type", "KSampler")
            .put(
                "exception_message",
                phase == Phase.TIMED_OUT
                    ? "CUDA error: the launch timed out and was terminated (fake ComfyUI)"
                    : "forced failure (fake ComfyUI)")
            .put("exception_type", "RuntimeError");
        end.putArray("executed");
        end.putArray("traceback").add("Traceback (most recent call last): ...");
        messages.addArray().add("execution_error").add(end);
      }
    }
    status.set("messages", messages);
    e.set("status", status);
    e.putObject("meta");
    return e;
  }

  private void stats(Context ctx) {
    Instant now = kit.now();
    long busy = prompts.values().stream().filter(p -> p.life().phase(now) == Phase.RUNNING).count();
    ObjectNode out = kit.object();
    out.putObject("system")
        .put("os", "posix")
        .put("ram_total", 67_108_864_000L)
        .put("ram_free", 48_318_382_080L)
        .put("comfyui_version", VERSION)
        .put("python_version", "3.12.3")
        .put("pytorch_version", "2.8.0+cu128")
        .put("embedded_python", false)
        .putArray("argv")
        .add("main.py")
        .add("--listen");
    long free = VRAM_TOTAL - 4_294_967_296L - busy * 8_589_934_592L;
    out.putArray("devices")
        .addObject()
        .put("name", "cuda:0 NVIDIA GeForce " + HARDWARE + " : cudaMallocAsync")
        .put("type", "cuda")
        .put("index", 0)
        .put("vram_total", VRAM_TOTAL)
        .put("vram_free", Math.max(0, free))
        .put("torch_vram_total", 0)
        .put("torch_vram_free", 0);
    kit.json(ctx, 200, out);
  }

  private void view(Context ctx) {
    String name = ctx.queryParam("filename");
    String type = ctx.queryParam("type");
    String subfolder = ctx.queryParam("subfolder") == null ? "" : ctx.queryParam("subfolder");
    byte[] png =
        name == null || !(type == null || type.equals("output"))
            ? null
            : kit.images.file(key(name, subfolder));
    if (png == null) {
      ctx.status(404).contentType("text/plain").result("404: Not Found");
      return;
    }
    ctx.contentType("image/png").result(png);
  }

  /** Forces how a prompt ends (if it has not ended). */
  boolean force(String id, Outcome outcome) {
    Prompt p = prompts.get(id);
    if (p != null) {
      p.life().force(outcome, kit.now());
    }
    return p != null;
  }
}

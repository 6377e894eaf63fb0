package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A self-hosted ComfyUI server under {@code /comfyui} (and {@code /comfyui/api}, as the real one
 * serves every route under {@code /api} too). {@code POST /prompt} (a client's own {@code
 * prompt_id} is kept) validates and "runs" the graph with {@link FakeExecutor}: unknown node
 * classes, model files the box lacks and input files it was not given are refused as ComfyUI
 * refuses them. Also {@code GET /prompt}, {@code GET /queue}, {@code POST /queue
 * {"delete"|"clear"}}, {@code GET /history} and {@code /history/{id}} (empty until the prompt
 * ends), {@code POST /interrupt}, {@code POST /upload/image}, {@code GET /object_info}, {@code GET
 * /models} and {@code /models/{folder}}, {@code GET /system_stats}, {@code GET /view} serving every
 * output kind, and the socket {@code /ws?clientId=} ({@code status}, {@code execution_start},
 * {@code executing}, {@code progress}, {@code executed}, {@code execution_success|error|
 * interrupted}), sent by {@link #tick()} as the kit's clock moves. No auth, as a LAN box has none.
 * Prompts follow the clock independently (the real server runs one at a time; tests do not depend
 * on that).
 */
final class FakeComfyUI {
  static final String PROVIDER = "comfyui";
  static final String HARDWARE = "RTX 4090";
  static final String VERSION = "0.3.66";
  private static final String BASE = "/comfyui";
  private static final long VRAM_TOTAL = 25_757_220_864L;
  private static final Pattern PROMPT_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  private final FakeKit kit;
  private final Map<String, Prompt> prompts = new ConcurrentHashMap<>();
  private final Map<String, byte[]> inputFolder = new ConcurrentHashMap<>();
  private final Map<String, FakeExecutor.Output> files = new ConcurrentHashMap<>();
  private final Map<WsContext, String> sockets = new ConcurrentHashMap<>();
  private final AtomicInteger number = new AtomicInteger();
  private final AtomicInteger fileCounter = new AtomicInteger();

  /**
   * One queued prompt: its graph, the executor's run, and how many of its socket events were sent.
   */
  private record Prompt(
      String id,
      int number,
      ObjectNode graph,
      String clientId,
      Lifecycle life,
      FakeExecutor.Run run,
      List<FakeExecutor.Output> outputs,
      AtomicInteger sent) {}

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
      kit.get(r, base + "/prompt", PROVIDER, "prompt_info", FakeComfyUI::error, this::promptInfo);
      kit.get(r, base + "/queue", PROVIDER, "queue", FakeComfyUI::error, this::queue);
      kit.post(r, base + "/queue", PROVIDER, "cancel", FakeComfyUI::error, this::queueEdit);
      kit.get(r, base + "/history", PROVIDER, "history_all", FakeComfyUI::error, this::historyAll);
      kit.get(r, base + "/history/{id}", PROVIDER, "history", FakeComfyUI::error, this::history);
      kit.post(r, base + "/interrupt", PROVIDER, "interrupt", FakeComfyUI::error, this::interrupt);
      kit.post(r, base + "/upload/image", PROVIDER, "upload", FakeComfyUI::error, this::upload);
      kit.get(r, base + "/object_info", PROVIDER, "object_info", FakeComfyUI::error, this::objects);
      kit.get(r, base + "/models", PROVIDER, "models", FakeComfyUI::error, this::folders);
      kit.get(r, base + "/models/{folder}", PROVIDER, "models", FakeComfyUI::error, this::models);
      kit.get(r, base + "/system_stats", PROVIDER, "system_stats", FakeComfyUI::error, this::stats);
      kit.get(r, base + "/view", PROVIDER, "view", FakeComfyUI::error, this::view);
    }
    registerJobsApi(r);
    r.ws(
        BASE + "/ws",
        ws -> {
          ws.onConnect(
              ctx -> {
                String id = ctx.queryParam("clientId");
                String sid = id == null || id.isBlank() ? UUID.randomUUID().toString() : id;
                sockets.put(ctx, sid);
                ObjectNode data = kit.object();
                data.putObject("status").putObject("exec_info").put("queue_remaining", pending());
                data.put("sid", sid);
                send(ctx, "status", data);
              });
          ws.onClose(sockets::remove);
          ws.onError(sockets::remove);
        });
  }

  private void prompt(Context ctx) {
    ObjectNode body = kit.objectBody(ctx);
    JsonNode graph = body == null ? null : body.get("prompt");
    if (graph == null || !graph.isObject()) {
      invalid(ctx, "invalid_prompt", "No prompt provided", "");
      return;
    }
    for (Map.Entry<String, JsonNode> e : graph.properties()) {
      JsonNode node = e.getValue();
      if (!node.isObject() || node.path("class_type").asText("").isEmpty()) {
        invalid(
            ctx,
            "invalid_prompt",
            "Cannot execute because a node is missing the class_type property.",
            "Node ID '#" + e.getKey() + "'");
        return;
      }
    }
    FakeExecutor.Run run = kit.execute(PROVIDER, (ObjectNode) graph, inputFolder);
    if (run.failure() instanceof FakeExecutor.MissingNode m) {
      invalid(
          ctx,
          "invalid_prompt",
          "Cannot execute because node " + m.classType() + " does not exist.",
          "Node ID '#" + m.nodeId() + "'");
      return;
    }
    if (run.ok() && run.outputs().isEmpty()) {
      invalid(ctx, "prompt_no_outputs", "Prompt has no outputs", "");
      return;
    }
    if (!run.ok()) {
      nodeErrors(ctx, run.failure());
      return;
    }
    String requested = body.path("prompt_id").asText("");
    String id = PROMPT_ID.matcher(requested).matches() ? requested : UUID.randomUUID().toString();
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
            run,
            saved(run),
            new AtomicInteger());
    prompts.put(id, p);
    ObjectNode out = kit.object().put("prompt_id", id).put("number", p.number());
    out.putObject("node_errors");
    kit.json(ctx, 200, out);
  }

  /** The run's files under fresh names (ComfyUI's counter grows across prompts). */
  private List<FakeExecutor.Output> saved(FakeExecutor.Run run) {
    List<FakeExecutor.Output> out = new ArrayList<>();
    for (FakeExecutor.Output o : run.outputs()) {
      int n = fileCounter.incrementAndGet();
      String name = o.filename().replaceFirst("_\\d{5}_\\.", String.format("_%05d_.", n));
      FakeExecutor.Output renamed =
          new FakeExecutor.Output(
              o.nodeId(),
              o.classType(),
              o.uiKey(),
              name,
              o.subfolder(),
              o.type(),
              o.mime(),
              o.data(),
              o.width(),
              o.height(),
              o.frames());
      files.put(key(name, o.subfolder(), o.type()), renamed);
      out.add(renamed);
    }
    return out;
  }

  /** A validation failure as ComfyUI answers it: 400 with {@code node_errors} for the node. */
  private void nodeErrors(Context ctx, FakeExecutor.Failure f) {
    ObjectNode out = kit.object();
    out.putObject("error")
        .put("type", "prompt_outputs_failed_validation")
        .put("message", "Prompt outputs failed validation")
        .put("details", "")
        .putObject("extra_info");
    ObjectNode ne = out.putObject("node_errors").putObject(f.nodeId());
    ObjectNode err = ne.putArray("errors").addObject();
    if (f instanceof FakeExecutor.MissingModel m) {
      err.put("type", "value_not_in_list")
          .put("message", "Value not in list")
          .put("details", m.input() + ": '" + m.name() + "' not in " + m.have());
      err.putObject("extra_info").put("input_name", m.input()).put("received_value", m.name());
    } else {
      FakeExecutor.MissingInput m = (FakeExecutor.MissingInput) f;
      err.put("type", "custom_validation_failed")
          .put("message", "Custom validation failed for node")
          .put("details", m.input() + " - Invalid image file: " + m.name());
      err.putObject("extra_info").put("input_name", m.input());
    }
    ne.putArray("dependent_outputs");
    ne.put("class_type", f.classType());
    kit.json(ctx, 400, out);
  }

  private static String key(String filename, String subfolder, String type) {
    return type + "/" + subfolder + "/" + filename;
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

  private int pending() {
    Instant now = kit.now();
    return (int) prompts.values().stream().filter(p -> !p.life().phase(now).terminal()).count();
  }

  private void promptInfo(Context ctx) {
    ObjectNode out = kit.object();
    out.putObject("exec_info").put("queue_remaining", pending());
    kit.json(ctx, 200, out);
  }

  private void queue(Context ctx) {
    Instant now = kit.now();
    ObjectNode out = kit.object();
    ArrayNode running = out.putArray("queue_running");
    ArrayNode pending = out.putArray("queue_pending");
    prompts.values().stream()
        .sorted(Comparator.comparingInt(Prompt::number))
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
    p.outputs().stream().map(FakeExecutor.Output::nodeId).distinct().sorted().forEach(outs::add);
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

  private void historyAll(Context ctx) {
    Instant now = kit.now();
    int max = Integer.MAX_VALUE;
    String m = ctx.queryParam("max_items");
    if (m != null && m.matches("\\d{1,6}")) {
      max = Integer.parseInt(m);
    }
    ObjectNode out = kit.object();
    prompts.values().stream()
        .filter(p -> p.life().phase(now).terminal())
        .sorted(Comparator.comparingInt(Prompt::number).reversed())
        .limit(max)
        .forEach(p -> out.set(p.id(), entry(p, now)));
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
    String failedNode = lastSampler(p);
    switch (phase) {
      case SUCCEEDED -> {
        for (FakeExecutor.Output o : p.outputs()) {
          ObjectNode node =
              outputs.has(o.nodeId())
                  ? (ObjectNode) outputs.get(o.nodeId())
                  : outputs.putObject(o.nodeId());
          if (o.uiKey().equals("text")) {
            // text nodes report their strings, not files
            node.withArray("text").add(new String(o.data(), StandardCharsets.UTF_8));
            continue;
          }
          node.withArray(o.uiKey())
              .addObject()
              .put("filename", o.filename())
              .put("subfolder", o.subfolder())
              .put("type", o.type());
          if (!o.uiKey().equals("images")) {
            node.withArray("animated").add(o.frames() > 1);
          }
        }
        status.put("status_str", "success").put("completed", true);
        messages.addArray().add("execution_success").add(end);
      }
      case CANCELED -> {
        status.put("status_str", "error").put("completed", false);
        end.put("node_id", failedNode)
            .put("node_type", classOf(p, failedNode))
            .putArray("executed");
        messages.addArray().add("execution_interrupted").add(end);
      }
      default -> {
        status.put("status_str", "error").put("completed", false);
        end.put("node_id", failedNode)
            .put("node_type", classOf(p, failedNode))
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

  /**
   * ComfyUI's newer jobs API ({@code comfy_execution/jobs.py} and its routes in {@code server.py}):
   * {@code GET /api/jobs} (filter {@code status=pending,in_progress,completed,failed}, {@code
   * limit}, {@code offset}; {@code {jobs, pagination}}), {@code GET /api/jobs/{id}} (one record,
   * with {@code outputs}, {@code execution_status} and {@code workflow} once it has ended; 404
   * {@code {"error": "Job not found"}}) and {@code POST /api/jobs/{id}/cancel} ({@code
   * {"cancelled": bool}}, idempotent: a pending prompt leaves the queue, a running one is
   * interrupted, anything else is a no-op).
   */
  private void registerJobsApi(RoutesConfig r) {
    String api = BASE + "/api/jobs";
    kit.get(r, api, PROVIDER, "jobs", FakeComfyUI::jobsError, this::jobs);
    kit.get(r, api + "/{id}", PROVIDER, "job", FakeComfyUI::jobsError, this::job);
    kit.post(
        r, api + "/{id}/cancel", PROVIDER, "job_cancel", FakeComfyUI::jobsError, this::jobCancel);
  }

  /** The jobs API's errors: {@code {"error": "..."}}. */
  static void jobsError(Context ctx, int status, String message) {
    ctx.status(status).contentType("application/json").result("{\"error\":" + quote(message) + "}");
  }

  private static final List<String> JOB_STATUSES =
      List.of("pending", "in_progress", "completed", "failed");

  private void jobs(Context ctx) {
    Instant now = kit.now();
    List<String> wanted = JOB_STATUSES;
    String param = ctx.queryParam("status");
    if (param != null && !param.isBlank()) {
      wanted =
          java.util.Arrays.stream(param.split(","))
              .map(String::strip)
              .filter(x -> !x.isEmpty())
              .toList();
      List<String> bad = wanted.stream().filter(x -> !JOB_STATUSES.contains(x)).toList();
      if (!bad.isEmpty()) {
        jobsError(
            ctx,
            400,
            "Invalid status value(s): "
                + String.join(", ", bad)
                + ". Valid values: "
                + String.join(", ", JOB_STATUSES));
        return;
      }
    }
    Integer limit = null;
    int offset = 0;
    try {
      if (ctx.queryParam("limit") != null) {
        limit = Integer.parseInt(ctx.queryParam("limit"));
        if (limit <= 0) {
          jobsError(ctx, 400, "limit must be a positive integer");
          return;
        }
      }
      if (ctx.queryParam("offset") != null) {
        offset = Math.max(0, Integer.parseInt(ctx.queryParam("offset")));
      }
    } catch (NumberFormatException e) {
      jobsError(ctx, 400, "limit and offset must be integers");
      return;
    }
    List<String> statuses = wanted;
    List<ObjectNode> all =
        prompts.values().stream()
            .sorted(Comparator.comparingInt(Prompt::number).reversed())
            .map(p -> jobRecord(p, now, false))
            .filter(j -> statuses.contains(j.path("status").asText()))
            .toList();
    List<ObjectNode> page =
        all.stream().skip(offset).limit(limit == null ? Long.MAX_VALUE : limit).toList();
    ObjectNode out = kit.object();
    page.forEach(out.putArray("jobs")::add);
    ObjectNode pg = out.putObject("pagination").put("offset", offset);
    if (limit == null) {
      pg.putNull("limit");
    } else {
      pg.put("limit", limit);
    }
    pg.put("total", all.size()).put("has_more", offset + page.size() < all.size());
    kit.json(ctx, 200, out);
  }

  private void job(Context ctx) {
    Prompt p = prompts.get(ctx.pathParam("id"));
    if (p == null) {
      jobsError(ctx, 404, "Job not found");
      return;
    }
    kit.json(ctx, 200, jobRecord(p, kit.now(), true));
  }

  private void jobCancel(Context ctx) {
    Prompt p = prompts.get(ctx.pathParam("id"));
    Instant now = kit.now();
    boolean cancelled = false;
    if (p != null && p.life().phase(now) == Phase.QUEUED) {
      prompts.remove(p.id());
      cancelled = true;
    } else if (p != null && p.life().phase(now) == Phase.RUNNING) {
      cancelled = p.life().cancel(now);
    }
    kit.json(ctx, 200, kit.object().put("cancelled", cancelled));
  }

  /**
   * A prompt as the jobs API normalizes it: queue items {@code pending} / {@code in_progress},
   * history items {@code completed} / {@code failed} (an interrupted prompt is {@code failed}, its
   * {@code execution_status} says why), with the full history entry's parts when asked.
   */
  private ObjectNode jobRecord(Prompt p, Instant now, boolean full) {
    Phase phase = p.life().phase(now);
    ObjectNode j =
        kit.object()
            .put("id", p.id())
            .put("priority", p.number())
            .put("create_time", p.life().created().toEpochMilli());
    if (!phase.terminal()) {
      j.put("status", phase == Phase.QUEUED ? "pending" : "in_progress").put("outputs_count", 0);
      return j;
    }
    ObjectNode entry = entry(p, now);
    JsonNode status = entry.path("status");
    j.put("status", status.path("status_str").asText().equals("success") ? "completed" : "failed");
    for (JsonNode m : status.path("messages")) {
      String event = m.path(0).asText();
      JsonNode data = m.path(1);
      if (event.equals("execution_start")) {
        j.put("execution_start_time", data.path("timestamp").asLong());
      } else if (event.startsWith("execution_")) {
        j.put("execution_end_time", data.path("timestamp").asLong());
        if (event.equals("execution_error")) {
          j.set("execution_error", data);
        }
      }
    }
    int count = 0;
    for (JsonNode node : entry.path("outputs")) {
      for (java.util.Map.Entry<String, JsonNode> kind : node.properties()) {
        if (!kind.getKey().equals("animated")) {
          count += kind.getValue().size();
        }
      }
    }
    j.put("outputs_count", count);
    if (full) {
      j.set("outputs", entry.get("outputs"));
      j.set("execution_status", status);
      ObjectNode wf = j.putObject("workflow");
      wf.set("prompt", p.graph());
      wf.putObject("extra_data").put("client_id", p.clientId());
    }
    return j;
  }

  private static String lastSampler(Prompt p) {
    String last = p.run().order().isEmpty() ? "3" : p.run().order().get(0);
    for (FakeExecutor.Step s : p.run().progress()) {
      if (s.steps() > 0) {
        last = s.nodeId();
      }
    }
    return last;
  }

  private static String classOf(Prompt p, String node) {
    return p.graph().path(node).path("class_type").asText("KSampler");
  }

  /** {@code POST /upload/image}: multipart {@code image}, {@code overwrite}, {@code subfolder}. */
  private void upload(Context ctx) throws IOException {
    UploadedFile file = ctx.uploadedFile("image");
    if (file == null) {
      ctx.status(400).contentType("text/plain").result("400: Bad Request");
      return;
    }
    String type = ctx.formParam("type") == null ? "input" : ctx.formParam("type");
    String sub = ctx.formParam("subfolder") == null ? "" : ctx.formParam("subfolder");
    String name = file.filename();
    if (name == null
        || name.isBlank()
        || name.contains("..")
        || name.startsWith("/")
        || sub.contains("..")
        || !type.equals("input")) {
      ctx.status(400).contentType("text/plain").result("400: Bad Request");
      return;
    }
    byte[] data;
    try (InputStream in = file.content()) {
      data = in.readAllBytes();
    }
    boolean overwrite = "true".equalsIgnoreCase(ctx.formParam("overwrite"));
    String path = sub.isEmpty() ? name : sub + "/" + name;
    if (!overwrite) {
      // ComfyUI keeps an existing different file and names the new one "name (1).ext"
      int dot = name.lastIndexOf('.');
      String stem = dot < 0 ? name : name.substring(0, dot);
      String ext = dot < 0 ? "" : name.substring(dot);
      for (int i = 1;
          inputFolder.containsKey(path) && !java.util.Arrays.equals(inputFolder.get(path), data);
          i++) {
        name = stem + " (" + i + ")" + ext;
        path = sub.isEmpty() ? name : sub + "/" + name;
      }
    }
    inputFolder.put(path, data);
    kit.json(ctx, 200, kit.object().put("name", name).put("subfolder", sub).put("type", type));
  }

  /**
   * {@code GET /object_info}: every node class with its inputs; a loader's file input lists the
   * box's files ({@code [[files...], {}]}, ComfyUI's combo form), which is what tells a client the
   * box's models.
   */
  private void objects(Context ctx) {
    ObjectNode out = kit.object();
    for (String cls : new java.util.TreeSet<>(FakeExecutor.NODE_CLASSES)) {
      ObjectNode info = out.putObject(cls);
      ObjectNode required = info.putObject("input").putObject("required");
      for (String[] spec : FakeExecutor.LOADERS.getOrDefault(cls, List.of())) {
        ArrayNode combo = required.putArray(spec[0]);
        ArrayNode list = combo.addArray();
        FakeExecutor.MODELS.getOrDefault(spec[1], List.of()).forEach(list::add);
        combo.addObject();
      }
      String loader = FakeExecutor.INPUT_LOADERS.get(cls);
      if (loader != null) {
        ArrayNode combo = required.putArray(loader);
        ArrayNode list = combo.addArray();
        new java.util.TreeSet<>(inputFolder.keySet()).forEach(list::add);
        combo.addObject().put("image_upload", true);
      }
      info.put("name", cls).put("display_name", cls).put("category", "fake");
      info.put("output_node", FakeExecutor.OUTPUTS.containsKey(cls));
    }
    kit.json(ctx, 200, out);
  }

  private void folders(Context ctx) {
    ArrayNode out = kit.mapper.createArrayNode();
    new java.util.TreeSet<>(FakeExecutor.MODELS.keySet()).forEach(out::add);
    kit.json(ctx, 200, out);
  }

  private void models(Context ctx) {
    List<String> have = FakeExecutor.MODELS.get(ctx.pathParam("folder"));
    if (have == null) {
      ctx.status(404).contentType("text/plain").result("404: Not Found");
      return;
    }
    ArrayNode out = kit.mapper.createArrayNode();
    have.forEach(out::add);
    kit.json(ctx, 200, out);
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
    String type = ctx.queryParam("type") == null ? "output" : ctx.queryParam("type");
    String subfolder = ctx.queryParam("subfolder") == null ? "" : ctx.queryParam("subfolder");
    FakeExecutor.Output o = name == null ? null : files.get(key(name, subfolder, type));
    if (o == null) {
      ctx.status(404).contentType("text/plain").result("404: Not Found");
      return;
    }
    ctx.contentType(o.mime()).result(o.data());
  }

  /**
   * Sends every socket event each prompt has reached by now to the sockets of its client id: {@code
   * execution_start}, then per node {@code executing} (and {@code progress} per sampler step),
   * {@code executed} for output nodes, then the end ({@code execution_success}, {@code
   * execution_error} or {@code execution_interrupted}) and {@code executing {node: null}}.
   */
  void tick() {
    if (sockets.isEmpty()) {
      return;
    }
    Instant now = kit.now();
    for (Prompt p : prompts.values()) {
      if (!sockets.containsValue(p.clientId())) {
        continue;
      }
      List<ObjectNode[]> events = events(p, now);
      int from = p.sent().get();
      for (int i = from; i < events.size(); i++) {
        ObjectNode[] ev = events.get(i);
        String type = ev[0].get("type").asText();
        sockets.forEach(
            (ctx, id) -> {
              if (id.equals(p.clientId())) {
                send(ctx, type, ev[1]);
              }
            });
      }
      p.sent().set(Math.max(from, events.size()));
    }
  }

  /** The socket events a prompt has produced by {@code now}, in order. */
  private List<ObjectNode[]> events(Prompt p, Instant now) {
    List<ObjectNode[]> out = new ArrayList<>();
    Phase phase = p.life().phase(now);
    if (p.life().startedAt(now) == null && !phase.terminal()) {
      return out;
    }
    out.add(ev("execution_start", kit.object().put("prompt_id", p.id())));
    List<FakeExecutor.Step> steps = p.run().progress();
    int reached =
        phase == Phase.SUCCEEDED
            ? steps.size()
            : Math.min(steps.size(), (int) Math.floor(p.life().progress(now) * steps.size()));
    String node = null;
    for (int i = 0; i < reached; i++) {
      FakeExecutor.Step s = steps.get(i);
      if (!s.nodeId().equals(node)) {
        node = s.nodeId();
        out.add(ev("executing", kit.object().put("node", node).put("prompt_id", p.id())));
      }
      if (s.steps() > 0) {
        out.add(
            ev(
                "progress",
                kit.object()
                    .put("value", s.step())
                    .put("max", s.steps())
                    .put("prompt_id", p.id())
                    .put("node", s.nodeId())));
      }
    }
    if (!phase.terminal()) {
      return out;
    }
    switch (phase) {
      case SUCCEEDED -> {
        for (FakeExecutor.Output o : p.outputs()) {
          out.add(
              ev(
                  "executed",
                  kit.object()
                      .put("node", o.nodeId())
                      .put("display_node", o.nodeId())
                      .put("prompt_id", p.id())));
        }
        out.add(ev("execution_success", kit.object().put("prompt_id", p.id())));
      }
      case CANCELED ->
          out.add(
              ev(
                  "execution_interrupted",
                  kit.object().put("prompt_id", p.id()).put("node_id", lastSampler(p))));
      default ->
          out.add(
              ev(
                  "execution_error",
                  kit.object()
                      .put("prompt_id", p.id())
                      .put("node_id", lastSampler(p))
                      .put("node_type", classOf(p, lastSampler(p)))
                      .put("exception_type", "RuntimeError")
                      .put("exception_message", "forced failure (fake ComfyUI)")));
    }
    out.add(ev("executing", kit.object().putNull("node").put("prompt_id", p.id())));
    return out;
  }

  private ObjectNode[] ev(String type, ObjectNode data) {
    return new ObjectNode[] {kit.object().put("type", type), data};
  }

  private void send(WsContext ctx, String type, ObjectNode data) {
    ObjectNode m = kit.object().put("type", type);
    m.set("data", data);
    try {
      if (ctx.session.isOpen()) {
        ctx.send(m.toString());
      } else {
        sockets.remove(ctx);
      }
    } catch (RuntimeException e) {
      sockets.remove(ctx);
    }
  }

  /** The box's input folder (what {@code /upload/image} stored), for tests. */
  Map<String, byte[]> inputs() {
    return new TreeMap<>(inputFolder);
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

package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Comfy API v2 under {@code /comfycloud} (so {@code <fake>/comfycloud/api/v2/jobs}), following
 * Comfy-Org/comfy-api-proxy {@code spec/openapi.yaml}: {@code POST /api/v2/assets} (multipart
 * {@code file}, {@code content_type}, {@code file_path}, {@code tags}), {@code GET
 * /api/v2/assets/{id}} and {@code /content}, {@code POST /api/v2/jobs {workflow}} with Stripe
 * {@code Idempotency-Key} semantics (same key and body: the recorded answer again with {@code
 * Idempotency-Replayed: true}; same key, other body: 422 {@code idempotency_key_reuse}), {@code GET
 * /api/v2/jobs/{id}}, {@code POST /api/v2/jobs/{id}/cancel}. Errors are the envelope {@code
 * {"error": {code, message, details}}}; every route wants {@code Authorization: Bearer <key>}.
 *
 * <p>Validation is synchronous, as the document says: UI-format graphs, the reserved {@code
 * webhook_url} and {@code inputs}, asset references that name no asset ({@code missing_asset}), and
 * what {@link FakeExecutor} refuses (a model file the box lacks, an unknown node class) as 422
 * {@code invalid_workflow} with {@code details.node_errors} in the document's {@code {"<node>":
 * [{field, reason}]}} shape. Progress walks the executor's steps on the kit's clock; outputs are
 * assets served from {@code /content}. Not modelled: the SSE stream, blake3 hashes ({@code hash} is
 * null, which the document allows while it is computed lazily), 202 asset scans, expiry.
 */
final class FakeComfyCloud {
  static final String PROVIDER = "comfy_cloud";
  static final String BASE = "/comfycloud";
  private static final String API = BASE + "/api/v2";
  private static final Duration RETENTION = Duration.ofDays(7);

  private final FakeKit kit;
  private final Map<String, Asset> assets = new ConcurrentHashMap<>();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final Map<String, Recorded> keys = new ConcurrentHashMap<>();
  private final AtomicLong counter = new AtomicLong();

  private record Asset(
      String id, byte[] data, String contentType, String filePath, Instant createdAt) {}

  /** A create answer recorded under its idempotency key, with the body it answered. */
  private record Recorded(String bodySha256, int status, String body) {}

  private record Job(
      String id,
      Instant createdAt,
      Lifecycle life,
      FakeExecutor.Run run,
      Map<String, String> outputAssets) {}

  FakeComfyCloud(FakeKit kit) {
    this.kit = kit;
  }

  /** How many jobs were created (a replayed create makes none). */
  int jobCount() {
    return jobs.size();
  }

  /** The shared error envelope; the code follows the status, as the document lists them. */
  static void error(Context ctx, int status, String message) {
    String code =
        switch (status) {
          case 401 -> "unauthorized";
          case 402 -> "insufficient_credits";
          case 403 -> "forbidden";
          case 404 -> "not_found";
          case 409 -> "idempotency_conflict";
          case 422 -> "invalid_workflow";
          case 429 -> "queue_full";
          default -> status >= 500 ? "internal_error" : "invalid_request";
        };
    envelope(ctx, status, code, message, null);
  }

  private static void envelope(
      Context ctx, int status, String code, String message, ObjectNode details) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode e = root.putObject("error").put("code", code).put("message", message);
    if (details != null) {
      e.set("details", details);
    } else {
      e.putNull("details");
    }
    ctx.status(status).contentType("application/json").result(root.toString());
  }

  void register(RoutesConfig r) {
    kit.post(r, API + "/assets", PROVIDER, "upload", FakeComfyCloud::error, this::upload);
    kit.get(r, API + "/assets/{id}", PROVIDER, "asset", FakeComfyCloud::error, this::asset);
    kit.get(
        r, API + "/assets/{id}/content", PROVIDER, "content", FakeComfyCloud::error, this::content);
    kit.post(r, API + "/jobs", PROVIDER, "create", FakeComfyCloud::error, this::create);
    kit.get(r, API + "/jobs/{id}", PROVIDER, "get", FakeComfyCloud::error, this::get);
    kit.post(r, API + "/jobs/{id}/cancel", PROVIDER, "cancel", FakeComfyCloud::error, this::cancel);
  }

  private boolean authorized(Context ctx) {
    String h = ctx.header("Authorization");
    if (h != null && h.equals("Bearer " + kit.credentials.comfyCloudApiKey())) {
      return true;
    }
    envelope(ctx, 401, "unauthorized", "missing or invalid credentials", null);
    return false;
  }

  private void upload(Context ctx) throws IOException {
    if (!authorized(ctx)) {
      return;
    }
    UploadedFile file = ctx.uploadedFile("file");
    String type = ctx.formParam("content_type");
    String path = ctx.formParam("file_path");
    if (file == null || type == null || path == null || path.isBlank()) {
      envelope(ctx, 422, "invalid_request", "file, content_type and file_path are required", null);
      return;
    }
    byte[] data;
    try (InputStream in = file.content()) {
      data = in.readAllBytes();
    }
    String key = ctx.header("Idempotency-Key");
    String sha = FakeExecutor.hex(FakeExecutor.digest(data, path.getBytes(StandardCharsets.UTF_8)));
    if (key != null && replayed(ctx, "asset:" + key, sha)) {
      return;
    }
    String id = "asset_" + ulid();
    Asset a = new Asset(id, data, type, path, kit.now());
    assets.put(id, a);
    int status = 201;
    String body = assetJson(a).put("created_new", true).toString();
    if (key != null) {
      keys.put("asset:" + key, new Recorded(sha, status, body));
    }
    ctx.status(status).contentType("application/json").result(body);
  }

  /** Answers a keyed request seen before: the recorded answer, or 422 for another body. */
  private boolean replayed(Context ctx, String key, String bodySha) {
    Recorded r = keys.get(key);
    if (r == null) {
      return false;
    }
    if (!r.bodySha256().equals(bodySha)) {
      envelope(
          ctx,
          422,
          "idempotency_key_reuse",
          "this Idempotency-Key was used with a different request body",
          null);
      return true;
    }
    ctx.header("Idempotency-Replayed", "true");
    ctx.status(r.status()).contentType("application/json").result(r.body());
    return true;
  }

  private ObjectNode assetJson(Asset a) {
    return JsonNodeFactory.instance
        .objectNode()
        .put("id", a.id())
        .putNull("hash")
        .put("size_bytes", a.data().length)
        .put("content_type", a.contentType())
        .put("file_path", a.filePath())
        .put("created_at", a.createdAt().toString())
        .put("url", kit.baseUrl() + API + "/assets/" + a.id() + "/content")
        .put("url_expires_at", kit.now().plus(Duration.ofHours(1)).toString());
  }

  private void asset(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    Asset a = assets.get(ctx.pathParam("id"));
    if (a == null) {
      envelope(ctx, 404, "not_found", "no asset " + ctx.pathParam("id"), null);
      return;
    }
    ctx.status(200).contentType("application/json").result(assetJson(a).toString());
  }

  private void content(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    Asset a = assets.get(ctx.pathParam("id"));
    if (a == null) {
      envelope(ctx, 404, "not_found", "no asset " + ctx.pathParam("id"), null);
      return;
    }
    ctx.status(200).contentType(a.contentType()).result(a.data());
  }

  private void create(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    if (body == null) {
      envelope(ctx, 400, "invalid_request", "Body must be JSON.", null);
      return;
    }
    String key = ctx.header("Idempotency-Key");
    String sha = FakeExecutor.hex(FakeExecutor.digest(ctx.bodyAsBytes()));
    if (key != null && replayed(ctx, "job:" + key, sha)) {
      return;
    }
    for (String reserved : new String[] {"webhook_url", "inputs"}) {
      if (body.has(reserved)) {
        envelope(ctx, 422, "invalid_workflow", "'" + reserved + "' is reserved", null);
        return;
      }
    }
    JsonNode workflow = body.get("workflow");
    if (workflow == null || !workflow.isObject()) {
      envelope(ctx, 422, "invalid_workflow", "Missing 'workflow' (API-format graph).", null);
      return;
    }
    if (workflow.path("nodes").isArray() && workflow.has("links")) {
      envelope(
          ctx,
          422,
          "workflow_format_ui",
          "This is a UI-export graph. Export the workflow in API format instead.",
          null);
      return;
    }
    ObjectNode graph = workflow.deepCopy();
    Map<String, byte[]> inputs = new TreeMap<>();
    for (Map.Entry<String, JsonNode> n : graph.properties()) {
      if (!n.getValue().isObject() || !n.getValue().path("inputs").isObject()) {
        envelope(
            ctx,
            422,
            "invalid_workflow",
            "node " + n.getKey() + " is not {class_type, inputs}",
            null);
        return;
      }
      ObjectNode in = (ObjectNode) n.getValue().get("inputs");
      for (Map.Entry<String, JsonNode> i : List.copyOf(in.properties())) {
        JsonNode v = i.getValue();
        if (v.isObject() && "core/ASSET".equals(v.path("__type").asText())) {
          Asset a = assets.get(v.path("info").path("id").asText(""));
          if (a == null) {
            envelope(
                ctx,
                422,
                "missing_asset",
                "node " + n.getKey() + " input '" + i.getKey() + "' names no asset of this account",
                null);
            return;
          }
          in.put(i.getKey(), a.filePath());
          inputs.put(a.filePath(), a.data());
        }
      }
    }
    FakeExecutor.Run run = kit.execute(PROVIDER, graph, inputs);
    if (!run.ok()) {
      refuse(ctx, run.failure());
      return;
    }
    String id = "job_" + ulid();
    Instant now = kit.now();
    Lifecycle life =
        new Lifecycle(
            now,
            kit.settings.queueTime(),
            kit.settings.runTime(),
            null,
            null,
            kit.outcome(PROVIDER, null));
    Job job = new Job(id, now, life, run, new ConcurrentHashMap<>());
    jobs.put(id, job);
    String answer = jobJson(job, now).toString();
    if (key != null) {
      keys.put("job:" + key, new Recorded(sha, 201, answer));
    }
    ctx.status(201).contentType("application/json").result(answer);
  }

  /** A graph the box cannot run: 422 with the nodes named, before anything is queued. */
  private void refuse(Context ctx, FakeExecutor.Failure f) {
    ObjectNode details = JsonNodeFactory.instance.objectNode();
    ArrayNode errs = details.putObject("node_errors").putArray(f.nodeId());
    String message;
    if (f instanceof FakeExecutor.MissingModel m) {
      errs.addObject().put("field", m.input()).put("reason", "value_not_in_list");
      message =
          "Node "
              + m.nodeId()
              + " ("
              + m.classType()
              + "): value not in list: "
              + m.input()
              + ": '"
              + m.name()
              + "' not in "
              + m.folder();
    } else if (f instanceof FakeExecutor.MissingNode m) {
      errs.addObject().putNull("field").put("reason", "missing_node_type");
      message = "Node " + m.nodeId() + ": node class " + m.classType() + " does not exist";
    } else {
      FakeExecutor.MissingInput m = (FakeExecutor.MissingInput) f;
      envelope(
          ctx,
          422,
          "missing_asset",
          "node " + m.nodeId() + " input '" + m.input() + "' names no uploaded asset",
          null);
      return;
    }
    envelope(ctx, 422, "invalid_workflow", message, details);
  }

  private void get(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    Job job = jobs.get(ctx.pathParam("id"));
    if (job == null) {
      envelope(ctx, 404, "not_found", "No job " + ctx.pathParam("id") + ".", null);
      return;
    }
    kit.json(ctx, 200, jobJson(job, kit.now()));
  }

  private void cancel(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    Job job = jobs.get(ctx.pathParam("id"));
    if (job == null) {
      envelope(ctx, 404, "not_found", "No job " + ctx.pathParam("id") + ".", null);
      return;
    }
    Instant now = kit.now();
    Phase before = job.life().phase(now);
    if (!before.terminal()) {
      job.life().cancel(now);
    }
    ObjectNode out = jobJson(job, now);
    if (before == Phase.RUNNING) {
      // interruption takes effect at the next node or step boundary; reads after say canceled
      out.put("status", "canceling");
    }
    kit.json(ctx, 200, out);
  }

  private ObjectNode jobJson(Job job, Instant now) {
    Phase phase = job.life().phase(now);
    ObjectNode j =
        JsonNodeFactory.instance
            .objectNode()
            .put("id", job.id())
            .put("status", word(phase))
            .put("created_at", job.createdAt().toString());
    Instant started = job.life().startedAt(now);
    Instant ended = job.life().endedAt(now);
    putInstant(j, "started_at", started);
    putInstant(j, "completed_at", ended);
    j.put("expires_at", job.createdAt().plus(RETENTION).toString());
    if (phase == Phase.QUEUED) {
      j.put("queue_position", 0);
    } else {
      j.putNull("queue_position");
    }
    progress(j, job, phase, now);
    ArrayNode outputs = j.putArray("outputs");
    if (phase == Phase.SUCCEEDED) {
      for (FakeExecutor.Output o : job.run().outputs()) {
        String assetId =
            job.outputAssets()
                .computeIfAbsent(
                    job.id() + "/" + o.nodeId() + "/" + o.filename(),
                    k -> {
                      String id = "asset_" + ulid();
                      assets.put(
                          id,
                          new Asset(
                              id,
                              o.data(),
                              o.mime(),
                              (o.subfolder().isEmpty() ? "" : o.subfolder() + "/") + o.filename(),
                              ended));
                      return id;
                    });
        outputs
            .addObject()
            .put("node_id", o.nodeId())
            .put("name", o.filename())
            .put("type", kind(o))
            .put("content_type", o.mime())
            .put("size_bytes", o.data().length)
            .put("id", assetId)
            .putNull("hash")
            .put("url", kit.baseUrl() + API + "/assets/" + assetId + "/content")
            .put("url_expires_at", now.plus(Duration.ofHours(1)).toString());
      }
    }
    if (phase == Phase.FAILED || phase == Phase.TIMED_OUT) {
      String node = lastSampler(job.run());
      ObjectNode err =
          j.putObject("error")
              .put("code", phase == Phase.TIMED_OUT ? "execution_timeout" : "node_execution_error")
              .put(
                  "message",
                  phase == Phase.TIMED_OUT
                      ? "the job ran past the deployment's time limit (fake Comfy API v2)"
                      : "forced failure (fake Comfy API v2)");
      err.put("node_id", node);
      err.put("class_type", classOf(job.run(), node));
      err.put("traceback", "Traceback (most recent call last): ...");
    } else {
      j.putNull("error");
    }
    ObjectNode metrics = j.putObject("metrics");
    metrics.put(
        "queue_ms",
        Duration.between(job.createdAt(), started != null ? started : ended != null ? ended : now)
            .toMillis());
    if (started != null && ended != null) {
      metrics.put("execution_ms", Duration.between(started, ended).toMillis());
    } else {
      metrics.putNull("execution_ms");
    }
    j.putObject("urls")
        .put("self", API + "/jobs/" + job.id())
        .put("events", API + "/jobs/" + job.id() + "/events")
        .put("cancel", API + "/jobs/" + job.id() + "/cancel");
    return j;
  }

  /** The executor's steps, walked by the share of the run time gone. */
  private static void progress(ObjectNode j, Job job, Phase phase, Instant now) {
    List<FakeExecutor.Step> steps = job.run().progress();
    if (phase == Phase.QUEUED || steps.isEmpty()) {
      j.putNull("progress");
      return;
    }
    int total = steps.get(0).nodes();
    if (phase == Phase.SUCCEEDED) {
      j.putObject("progress")
          .put("value", 1.0)
          .put("nodes_done", total)
          .put("nodes_total", total)
          .putNull("current_node")
          .putNull("current_node_class")
          .putNull("step")
          .putNull("steps")
          .putNull("message");
      return;
    }
    double share = job.life().progress(now);
    int i = Math.min(steps.size() - 1, (int) Math.floor(share * steps.size()));
    FakeExecutor.Step s = steps.get(i);
    ObjectNode p =
        j.putObject("progress")
            .put("value", Math.round((i + 1) * 1000.0 / steps.size()) / 1000.0)
            .put("nodes_done", s.node() - 1)
            .put("nodes_total", s.nodes())
            .put("current_node", s.nodeId())
            .put("current_node_class", s.classType());
    if (s.steps() > 0) {
      p.put("step", s.step())
          .put("steps", s.steps())
          .put("message", s.classType() + " " + s.step() + "/" + s.steps());
    } else {
      p.putNull("step").putNull("steps").put("message", s.classType());
    }
  }

  private static String lastSampler(FakeExecutor.Run run) {
    String last = run.order().isEmpty() ? null : run.order().get(run.order().size() - 1);
    for (FakeExecutor.Step s : run.progress()) {
      if (s.steps() > 0) {
        last = s.nodeId();
      }
    }
    return last;
  }

  private static String classOf(FakeExecutor.Run run, String node) {
    for (FakeExecutor.Step s : run.progress()) {
      if (s.nodeId().equals(node)) {
        return s.classType();
      }
    }
    return null;
  }

  /** ComfyUI's output key as the document's normalized kind. */
  private static String kind(FakeExecutor.Output o) {
    return switch (o.uiKey()) {
      case "images" -> o.mime().startsWith("image/") && o.frames() <= 1 ? "image" : "video";
      case "gifs" -> "video";
      case "audio" -> "audio";
      case "text" -> "text";
      case "latents" -> "latent";
      default -> "file";
    };
  }

  private static String word(Phase p) {
    return switch (p) {
      case QUEUED -> "queued";
      case RUNNING -> "running";
      case SUCCEEDED -> "succeeded";
      case CANCELED -> "canceled";
      case FAILED, TIMED_OUT -> "failed";
    };
  }

  private static void putInstant(ObjectNode j, String field, Instant at) {
    if (at == null) {
      j.putNull(field);
    } else {
      j.put(field, at.toString());
    }
  }

  /** A 26-character id, ULID-shaped: unique per fake, ordered by creation. */
  private String ulid() {
    long n = counter.incrementAndGet();
    String hex =
        HexFormat.of()
            .formatHex(
                FakeExecutor.digest(
                    Long.toString(n).getBytes(StandardCharsets.UTF_8),
                    kit.now().toString().getBytes(StandardCharsets.UTF_8)))
            .toUpperCase(Locale.ROOT);
    return String.format(Locale.ROOT, "%010d", n) + hex.substring(0, 16);
  }

  /** Forces how a job ends (if it has not ended). */
  boolean force(String id, Outcome outcome) {
    Job j = jobs.get(id);
    if (j != null) {
      j.life().force(outcome, kit.now());
    }
    return j != null;
  }
}

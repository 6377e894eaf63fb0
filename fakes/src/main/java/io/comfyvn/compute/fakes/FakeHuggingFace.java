package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hugging Face: the Inference Endpoints management API under {@code /huggingface/v2}, each
 * endpoint's inference URL under {@code /huggingface/inference/{name}}, and HF Jobs under {@code
 * /huggingface/api/jobs/{namespace}}. Errors are {@code {"error": "..."}} with the same text in
 * {@code X-Error-Message}, as {@code hf_raise_for_status} reads both.
 */
final class FakeHuggingFace {
  static final String PROVIDER = "huggingface";
  static final String NAMESPACE = "comfyvn";
  static final String ENDPOINT = "fake-sdxl";
  private static final String MGMT = "/huggingface/v2";
  private static final String INFERENCE = "/huggingface/inference";
  private static final String JOBS = "/huggingface/api/jobs/{ns}";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final FakeKit kit;
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final Map<String, Answered> answered = new ConcurrentHashMap<>();

  /** Where an endpoint is heading: starting (pending, initializing, then running) or parked. */
  private enum Mode {
    STARTING,
    PAUSED,
    SCALED_TO_ZERO
  }

  /** One Inference Endpoint; its state is derived from the mode and the clock. */
  private final class Endpoint {
    final String name;
    final Instant createdAt;
    Mode mode;
    Instant since;
    boolean skipPending;
    volatile boolean everRan;
    Instant lastActivity;

    Endpoint(String name, Instant now, boolean running) {
      this.name = name;
      this.createdAt = now;
      this.since = running ? now.minus(kit.settings.hfInitTime()) : now;
      this.mode = running ? Mode.STARTING : Mode.SCALED_TO_ZERO;
      this.skipPending = true;
      this.everRan = true;
      this.lastActivity = now;
    }

    /** The HF state word at {@code now}; scales a long-idle running endpoint to zero. */
    synchronized String state(Instant now) {
      switch (mode) {
        case PAUSED:
          return "paused";
        case SCALED_TO_ZERO:
          return "scaledToZero";
        default:
          break;
      }
      Instant initStart = skipPending ? since : since.plus(kit.settings.queueTime());
      if (now.isBefore(initStart)) {
        return "pending";
      }
      Instant ready = initStart.plus(kit.settings.hfInitTime());
      if (now.isBefore(ready)) {
        return "initializing";
      }
      everRan = true;
      Instant idleFrom = lastActivity.isAfter(ready) ? lastActivity : ready;
      if (!now.isBefore(idleFrom.plus(kit.settings.hfIdleTimeout()))) {
        mode = Mode.SCALED_TO_ZERO;
        since = idleFrom.plus(kit.settings.hfIdleTimeout());
        return "scaledToZero";
      }
      return "running";
    }

    /** Resume or wake: straight to initializing (only a new endpoint waits in pending). */
    synchronized void start(Instant now) {
      mode = Mode.STARTING;
      since = now;
      skipPending = true;
      lastActivity = now;
    }

    synchronized void park(Mode to, Instant now) {
      mode = to;
      since = now;
    }

    synchronized void touch(Instant now) {
      lastActivity = now;
    }
  }

  private static final class Job {
    final String id;
    final String namespace;
    final Lifecycle life;
    final ObjectNode spec;
    final String prompt;
    final long seed;

    Job(String id, String namespace, Lifecycle life, ObjectNode spec, String prompt) {
      this.id = id;
      this.namespace = namespace;
      this.life = life;
      this.spec = spec;
      this.prompt = prompt;
      JsonNode seed = spec.path("environment").get("COMFYVN_SEED");
      this.seed =
          seed != null && seed.asText().matches("-?\\d{1,18}")
              ? Long.parseLong(seed.asText())
              : FakeImages.seedFor(prompt == null ? "" : prompt);
    }
  }

  FakeHuggingFace(FakeKit kit) {
    this.kit = kit;
    endpoints.put(ENDPOINT, new Endpoint(ENDPOINT, kit.now(), kit.settings.hfStartsRunning()));
  }

  static void error(Context ctx, int status, String message) {
    ctx.header("X-Error-Message", message);
    ctx.status(status).contentType("application/json").result("{\"error\":" + quote(message) + "}");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  void register(RoutesConfig r) {
    String ep = MGMT + "/endpoint/{ns}";
    kit.get(r, ep, PROVIDER, "endpoint_list", FakeHuggingFace::error, this::list);
    kit.post(r, ep, PROVIDER, "endpoint_create", FakeHuggingFace::error, this::createEndpoint);
    kit.get(r, ep + "/{name}", PROVIDER, "endpoint_get", FakeHuggingFace::error, this::getEndpoint);
    kit.delete(
        r,
        ep + "/{name}",
        PROVIDER,
        "endpoint_delete",
        FakeHuggingFace::error,
        this::deleteEndpoint);
    kit.post(r, ep + "/{name}/pause", PROVIDER, "pause", FakeHuggingFace::error, this::pause);
    kit.post(r, ep + "/{name}/resume", PROVIDER, "resume", FakeHuggingFace::error, this::resume);
    kit.post(
        r,
        ep + "/{name}/scale-to-zero",
        PROVIDER,
        "scale_to_zero",
        FakeHuggingFace::error,
        this::scaleToZero);
    kit.get(
        r,
        MGMT + "/provider/{ns}",
        PROVIDER,
        "provider",
        FakeHuggingFace::error,
        this::providerInfo);
    kit.post(r, INFERENCE + "/{name}", PROVIDER, "inference", FakeHuggingFace::error, this::infer);
    kit.get(
        r,
        INFERENCE + "/{name}/health",
        PROVIDER,
        "inference_health",
        FakeHuggingFace::error,
        this::inferenceHealth);
    kit.post(r, JOBS, PROVIDER, "create", FakeHuggingFace::error, this::createJob);
    kit.get(r, JOBS, PROVIDER, "job_list", FakeHuggingFace::error, this::listJobs);
    kit.get(r, JOBS + "/{id}", PROVIDER, "job_get", FakeHuggingFace::error, this::getJob);
    kit.post(
        r, JOBS + "/{id}/cancel", PROVIDER, "job_cancel", FakeHuggingFace::error, this::cancelJob);
    kit.get(r, JOBS + "/{id}/logs", PROVIDER, "job_logs", FakeHuggingFace::error, this::jobLogs);
  }

  private boolean authorized(Context ctx) {
    String auth = ctx.header("Authorization");
    if (auth == null || !auth.equals("Bearer " + kit.credentials.huggingfaceToken())) {
      error(ctx, 401, "Invalid credentials in Authorization header");
      return false;
    }
    return true;
  }

  /** Auth, then the namespace (the fake knows only its own). */
  private boolean allowed(Context ctx) {
    if (!authorized(ctx)) {
      return false;
    }
    if (!NAMESPACE.equals(ctx.pathParam("ns"))) {
      error(ctx, 404, "Namespace " + ctx.pathParam("ns") + " not found");
      return false;
    }
    return true;
  }

  private Endpoint endpoint(Context ctx) {
    Endpoint e = endpoints.get(ctx.pathParam("name"));
    if (e == null) {
      error(ctx, 404, "Endpoint " + ctx.pathParam("name") + " not found");
    }
    return e;
  }

  private void list(Context ctx) {
    if (allowed(ctx)) {
      ObjectNode out = kit.object();
      ArrayNode items = out.putArray("items");
      Instant now = kit.now();
      endpoints.values().forEach(e -> items.add(render(e, now)));
      kit.json(ctx, 200, out);
    }
  }

  private void createEndpoint(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    String name = body == null ? "" : body.path("name").asText("");
    if (!name.matches("[a-z0-9][a-z0-9-]{0,30}")) {
      error(ctx, 400, "name must be 1-32 lowercase letters, digits or dashes");
      return;
    }
    Instant now = kit.now();
    Endpoint e = new Endpoint(name, now, false);
    e.start(now);
    e.skipPending = false;
    e.everRan = false;
    if (endpoints.putIfAbsent(name, e) != null) {
      error(ctx, 409, "Endpoint " + name + " already exists");
      return;
    }
    kit.json(ctx, 200, render(e, now));
  }

  private void getEndpoint(Context ctx) {
    if (allowed(ctx)) {
      Endpoint e = endpoint(ctx);
      if (e != null) {
        kit.json(ctx, 200, render(e, kit.now()));
      }
    }
  }

  private void deleteEndpoint(Context ctx) {
    if (allowed(ctx) && endpoint(ctx) != null) {
      endpoints.remove(ctx.pathParam("name"));
      ctx.status(200).contentType("application/json").result("{}");
    }
  }

  private void pause(Context ctx) {
    if (allowed(ctx)) {
      Endpoint e = endpoint(ctx);
      if (e != null) {
        e.park(Mode.PAUSED, kit.now());
        kit.json(ctx, 200, render(e, kit.now()));
      }
    }
  }

  private void scaleToZero(Context ctx) {
    if (allowed(ctx)) {
      Endpoint e = endpoint(ctx);
      if (e != null) {
        e.park(Mode.SCALED_TO_ZERO, kit.now());
        kit.json(ctx, 200, render(e, kit.now()));
      }
    }
  }

  private void resume(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Endpoint e = endpoint(ctx);
    if (e == null) {
      return;
    }
    Instant now = kit.now();
    String state = e.state(now);
    if (state.equals("running")) {
      error(ctx, 400, "Endpoint " + e.name + " is already running");
      return;
    }
    if (state.equals("paused") || state.equals("scaledToZero")) {
      e.start(now);
    }
    kit.json(ctx, 200, render(e, now));
  }

  private void providerInfo(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    ObjectNode out = kit.object();
    ObjectNode region =
        out.putArray("vendors").addObject().put("name", "aws").putArray("regions").addObject();
    region.put("name", "us-east-1").put("label", "N. Virginia").put("status", "available");
    ArrayNode computes = region.putArray("computes");
    compute(computes, "nvidia-t4", "x1", 0.5, 16);
    compute(computes, "nvidia-l4", "x1", 0.8, 24);
    compute(computes, "nvidia-l40s", "x1", 1.8, 48);
    kit.json(ctx, 200, out);
  }

  private static void compute(
      ArrayNode computes, String type, String size, double price, int memGb) {
    computes
        .addObject()
        .put("accelerator", "gpu")
        .put("instanceType", type)
        .put("instanceSize", size)
        .put("numAccelerators", 1)
        .put("memoryGb", memGb)
        .put("pricePerHour", price)
        .put("status", "available");
  }

  private ObjectNode render(Endpoint e, Instant now) {
    String state = e.state(now);
    ObjectNode out = kit.object().put("name", e.name).put("type", "protected");
    out.putNull("accountId");
    out.putObject("provider").put("vendor", "aws").put("region", "us-east-1");
    out.put("healthRoute", "/health");
    ObjectNode compute =
        out.putObject("compute")
            .put("accelerator", "gpu")
            .put("instanceType", "nvidia-l4")
            .put("instanceSize", "x1");
    compute
        .putObject("scaling")
        .put("minReplica", 0)
        .put("maxReplica", 1)
        .put("scaleToZeroTimeout", 15);
    ObjectNode model =
        out.putObject("model")
            .put("repository", "stabilityai/stable-diffusion-xl-base-1.0")
            .put("revision", "462165984030d82259a11f4367a4eed129e94a7b")
            .put("task", "text-to-image")
            .put("framework", "pytorch");
    model.putObject("image").putObject("huggingface");
    ObjectNode status = out.putObject("status");
    status.put("createdAt", e.createdAt.toString()).put("updatedAt", now.toString());
    status.putObject("createdBy").put("id", "fake").put("name", NAMESPACE);
    status.put("state", state).put("message", message(state));
    if (e.everRan || !state.equals("pending")) {
      status.put("url", kit.baseUrl() + INFERENCE + "/" + e.name);
    }
    boolean up = state.equals("running");
    status
        .put("readyReplica", up ? 1 : 0)
        .put("targetReplica", state.equals("paused") || state.equals("scaledToZero") ? 0 : 1);
    return out;
  }

  private static String message(String state) {
    return switch (state) {
      case "pending" -> "Endpoint waiting to be scheduled";
      case "initializing" -> "Endpoint is initializing";
      case "running" -> "Endpoint is ready";
      case "paused" -> "Endpoint is paused";
      default -> "Endpoint is scaled to zero";
    };
  }

  /**
   * The inference call: PNG bytes for {@code {"inputs": "...", "parameters": {...}}}. A cold
   * endpoint answers 503 (and starts waking) unless {@code X-Scale-Up-Timeout} asks to hold the
   * request until it runs.
   */
  private void infer(Context ctx) {
    if (!authorized(ctx)) {
      return;
    }
    Endpoint e = endpoint(ctx);
    if (e == null) {
      return;
    }
    Instant now = kit.now();
    String state = e.state(now);
    if (state.equals("paused")) {
      error(ctx, 400, "Bad Request: Invalid state");
      return;
    }
    if (state.equals("scaledToZero")) {
      e.start(now);
    }
    if (!state.equals("running")) {
      Duration hold = scaleUpTimeout(ctx.header("X-Scale-Up-Timeout"));
      if (hold == null || !kit.await(() -> e.state(kit.now()).equals("running"), hold)) {
        error(
            ctx,
            503,
            "Service Unavailable: endpoint is "
                + e.state(kit.now())
                + ", retry later or send X-Scale-Up-Timeout");
        return;
      }
    }
    e.touch(kit.now());
    ObjectNode body = kit.objectBody(ctx);
    JsonNode inputs = body == null ? null : body.get("inputs");
    if (inputs != null && inputs.isObject()) {
      inferWorkflow(ctx, body);
      return;
    }
    if (inputs == null || !inputs.isTextual() || inputs.asText().isBlank()) {
      error(ctx, 400, "inputs must be a non-empty string prompt");
      return;
    }
    JsonNode params = body.path("parameters");
    Outcome outcome = kit.outcome(PROVIDER, params);
    if (outcome != Outcome.SUCCEED) {
      error(
          ctx,
          outcome == Outcome.FAIL ? 500 : 504,
          outcome == Outcome.FAIL
              ? "CUDA error: forced failure (fake provider)"
              : "Gateway timeout");
      return;
    }
    String prompt = inputs.asText();
    long seed = FakeKit.seed(params, prompt);
    ctx.status(200)
        .contentType("image/png")
        .result(FakeImages.png(new FakeImages.Recipe(prompt, seed, 0)));
  }

  /**
   * The ComfyUI container's handler (docs/hf_comfyui_container.md): {@code {"inputs": {workflow,
   * files, outputs}, "parameters": {seed, request_id}}} run by {@link FakeExecutor}; 200 with the
   * outputs inline, 422 naming a missing model or node class, 500 for a forced failure. An answer
   * is kept by {@code request_id}: a resend gets it again ({@code replayed: true}), nothing reruns.
   */
  private void inferWorkflow(Context ctx, ObjectNode body) {
    JsonNode job = body.get("inputs");
    JsonNode params = body.path("parameters");
    String requestId = params.path("request_id").asText(null);
    Answered earlier = requestId == null ? null : answered.get(requestId);
    if (earlier != null) {
      ObjectNode again = earlier.body().deepCopy().put("replayed", true);
      kit.json(ctx, earlier.status(), again);
      return;
    }
    JsonNode workflow = job.get("workflow");
    if (workflow == null || !workflow.isObject() || workflow.isEmpty()) {
      containerError(ctx, 400, "invalid_workflow", "inputs.workflow must be an API-format graph");
      return;
    }
    Map<String, byte[]> files = new java.util.TreeMap<>();
    for (Map.Entry<String, JsonNode> f : job.path("files").properties()) {
      try {
        files.put(f.getKey(), java.util.Base64.getDecoder().decode(f.getValue().asText("")));
      } catch (IllegalArgumentException e) {
        containerError(
            ctx, 400, "invalid_input", "inputs.files['" + f.getKey() + "'] is not base64");
        return;
      }
    }
    java.util.Set<String> wanted = new java.util.TreeSet<>();
    job.path("outputs").forEach(o -> wanted.add(o.asText()));
    FakeExecutor.Run run = kit.execute(PROVIDER, (ObjectNode) workflow, files);
    int status;
    ObjectNode answer = kit.object();
    if (!run.ok()) {
      status = 422;
      ObjectNode err = answer.putObject("error");
      FakeExecutor.Failure f = run.failure();
      err.put("node_id", f.nodeId()).put("class_type", f.classType());
      if (f instanceof FakeExecutor.MissingModel m) {
        err.put("code", "missing_model")
            .put("input", m.input())
            .put(
                "message",
                "Value not in list: " + m.input() + ": '" + m.name() + "' not in " + m.have());
        err.putArray("missing").add(m.name());
      } else if (f instanceof FakeExecutor.MissingNode m) {
        err.put("code", "missing_node")
            .put("message", "Cannot execute because node " + m.classType() + " does not exist.");
        err.putArray("missing").add(m.classType());
      } else {
        FakeExecutor.MissingInput m = (FakeExecutor.MissingInput) f;
        err.put("code", "invalid_workflow").put("message", "Invalid image file: " + m.name());
      }
    } else if (kit.outcome(PROVIDER, params) != Outcome.SUCCEED) {
      status = 500;
      answer
          .putObject("error")
          .put("code", "execution_error")
          .put("message", "CUDA error: forced failure (fake provider)");
    } else {
      status = 200;
      answer.put("request_id", requestId).put("prompt_id", java.util.UUID.randomUUID().toString());
      com.fasterxml.jackson.databind.node.ArrayNode outs = answer.putArray("outputs");
      for (FakeExecutor.Output o : FakeExecutor.chosen(run, wanted)) {
        outs.addObject()
            .put("node_id", o.nodeId())
            .put("class_type", o.classType())
            .put("filename", o.filename())
            .put("type", o.type())
            .put("kind", FakeExecutor.kind(o))
            .put("mime", o.mime())
            .put("base64", java.util.Base64.getEncoder().encodeToString(o.data()));
      }
      answer.putObject("metrics").put("execution_ms", kit.settings.runTime().toMillis());
    }
    if (requestId != null) {
      answered.put(requestId, new Answered(status, answer));
    }
    kit.json(ctx, status, answer);
  }

  /** An answer of the ComfyUI container, kept by its request id. */
  private record Answered(int status, ObjectNode body) {}

  /** The container's own error shape, {@code {"error": {code, message}}}. */
  private void containerError(Context ctx, int status, String code, String message) {
    ObjectNode out = kit.object();
    out.putObject("error").put("code", code).put("message", message);
    kit.json(ctx, status, out);
  }

  private static Duration scaleUpTimeout(String header) {
    if (header == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Math.min(3600, Long.parseLong(header.trim()))));
    } catch (NumberFormatException ex) {
      return null;
    }
  }

  private void inferenceHealth(Context ctx) {
    Endpoint e = endpoint(ctx);
    if (e != null) {
      boolean up = e.state(kit.now()).equals("running");
      ctx.status(up ? 200 : 503).contentType("text/plain").result(up ? "" : "Service Unavailable");
    }
  }

  private void createJob(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    if (body == null || !(body.hasNonNull("dockerImage") || body.hasNonNull("spaceId"))) {
      error(ctx, 400, "dockerImage or spaceId is required");
      return;
    }
    if (!body.hasNonNull("flavor")) {
      body.put("flavor", "cpu-basic");
    }
    JsonNode timeout = body.get("timeoutSeconds");
    Duration limit =
        timeout != null && timeout.canConvertToLong() && timeout.asLong() > 0
            ? Duration.ofSeconds(timeout.asLong())
            : null;
    JsonNode env = body.path("environment");
    String prompt = env.hasNonNull("COMFYVN_PROMPT") ? env.get("COMFYVN_PROMPT").asText() : null;
    Outcome outcome =
        kit.outcome(
            PROVIDER,
            kit.object().put("fake_outcome", env.path("COMFYVN_FAKE_OUTCOME").asText("")));
    Instant now = kit.now();
    Lifecycle life =
        new Lifecycle(now, kit.settings.queueTime(), kit.settings.runTime(), limit, null, outcome);
    byte[] id = new byte[12];
    RANDOM.nextBytes(id);
    Job job = new Job(HexFormat.of().formatHex(id), ctx.pathParam("ns"), life, body, prompt);
    jobs.put(job.id, job);
    kit.json(ctx, 200, render(job, now));
  }

  private Job job(Context ctx) {
    Job job = jobs.get(ctx.pathParam("id"));
    if (job == null || !job.namespace.equals(ctx.pathParam("ns"))) {
      error(ctx, 404, "Job " + ctx.pathParam("id") + " not found");
      return null;
    }
    return job;
  }

  private void listJobs(Context ctx) {
    if (allowed(ctx)) {
      ArrayNode out = kit.mapper.createArrayNode();
      Instant now = kit.now();
      jobs.values().forEach(j -> out.add(render(j, now)));
      kit.json(ctx, 200, out);
    }
  }

  private void getJob(Context ctx) {
    if (allowed(ctx)) {
      Job job = job(ctx);
      if (job != null) {
        kit.json(ctx, 200, render(job, kit.now()));
      }
    }
  }

  private void cancelJob(Context ctx) {
    if (allowed(ctx)) {
      Job job = job(ctx);
      if (job != null) {
        job.life.cancel(kit.now());
        kit.json(ctx, 200, render(job, kit.now()));
      }
    }
  }

  /**
   * Logs as server-sent events, one {@code data: {"data": line, "timestamp": t}} per line, as
   * {@code fetch_job_logs} reads them. The fake sends the lines so far and closes (no follow). A
   * finished job with {@code COMFYVN_PROMPT} logs its image as {@code artifact: <url>}.
   */
  private void jobLogs(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = job(ctx);
    if (job == null) {
      return;
    }
    Instant now = kit.now();
    Instant started = job.life.startedAt(now);
    StringBuilder sse = new StringBuilder();
    if (started != null) {
      Phase phase = job.life.phase(now);
      line(sse, "===== Job started at " + started + " =====", started);
      line(sse, "Loading pipeline...", started);
      int steps = phase == Phase.SUCCEEDED ? 10 : (int) Math.floor(job.life.progress(now) * 10);
      for (int i = 1; i <= Math.min(10, steps); i++) {
        line(sse, "step " + i + "/10", now);
      }
      if (phase == Phase.SUCCEEDED && job.prompt != null) {
        line(sse, "artifact: " + kit.imageUrls(job.id, job.prompt, job.seed, 1).get(0), now);
      }
      if (phase == Phase.FAILED) {
        line(sse, "RuntimeError: forced failure (fake provider)", now);
      }
    }
    ctx.status(200).contentType("text/event-stream").result(sse.toString());
  }

  private void line(StringBuilder sse, String text, Instant at) {
    sse.append("data: ")
        .append(kit.text(kit.object().put("data", text).put("timestamp", at.toString())))
        .append("\n\n");
  }

  private ObjectNode render(Job job, Instant now) {
    Phase phase = job.life.phase(now);
    ObjectNode out = kit.object().put("id", job.id).put("createdAt", job.life.created().toString());
    Instant started = job.life.startedAt(now);
    Instant ended = job.life.endedAt(now);
    if (started != null) {
      out.put("startedAt", started.toString());
    }
    if (ended != null) {
      out.put("finishedAt", ended.toString());
    }
    for (String f :
        new String[] {
          "dockerImage",
          "spaceId",
          "command",
          "arguments",
          "environment",
          "flavor",
          "labels",
          "timeoutSeconds"
        }) {
      if (job.spec.has(f)) {
        out.set(f, job.spec.get(f));
      }
    }
    ObjectNode status = out.putObject("status");
    switch (phase) {
      case QUEUED -> status.put("stage", "SCHEDULING").putNull("message");
      case RUNNING -> status.put("stage", "RUNNING").putNull("message");
      case SUCCEEDED -> status.put("stage", "COMPLETED").putNull("message");
      case FAILED -> status.put("stage", "ERROR").put("message", "Job failed with exit code: 1");
      case TIMED_OUT -> status.put("stage", "ERROR").put("message", "Job timed out");
      case CANCELED -> status.put("stage", "CANCELED").put("message", "Job canceled");
    }
    out.putObject("owner").put("id", "fake").put("name", job.namespace).put("type", "user");
    out.putObject("initiator").put("id", "fake").put("name", job.namespace).put("type", "user");
    return out;
  }

  boolean force(String id, Outcome outcome) {
    Job job = jobs.get(id);
    if (job != null) {
      job.life.force(outcome, kit.now());
    }
    return job != null;
  }
}

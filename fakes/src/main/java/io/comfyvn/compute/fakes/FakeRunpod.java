package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RunPod serverless queue API under {@code /runpod/v2/{endpoint_id}}: run, runsync, status,
 * status-sync (what the JS SDK's {@code runSync} follows an unfinished {@code /runsync} with),
 * stream, cancel, retry, purge-queue, health. Errors are {@code {"error": "..."}}.
 *
 * <p>Endpoints: {@value #ENDPOINT_ID} runs a fake worker-comfyui ({@link FakeWorkerComfyui}) for an
 * input with {@code workflow} and a generic image worker for anything else; {@value
 * #COMFYUI_ENDPOINT} is worker-comfyui only (an input without {@code workflow} fails as the handler
 * fails it); {@value #COMFYUI_S3_ENDPOINT} is worker-comfyui with a bucket configured, so its
 * outputs come back as {@code s3_url}s served under {@code /runpod/s3/}.
 */
final class FakeRunpod {
  static final String PROVIDER = "runpod";
  static final String ENDPOINT_ID = "fake-endpoint";
  static final String COMFYUI_ENDPOINT = "fake-worker-comfyui";
  static final String COMFYUI_S3_ENDPOINT = "fake-worker-comfyui-s3";
  private static final String BASE = "/runpod/v2/{endpoint}";
  private static final Duration DEFAULT_TTL = Duration.ofHours(24);

  private final FakeKit kit;
  private final Set<String> endpoints = Set.of(ENDPOINT_ID, COMFYUI_ENDPOINT, COMFYUI_S3_ENDPOINT);
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  /** Files the s3 endpoint's worker "uploaded": {@code <job>/<name>} -> bytes. */
  private final Map<String, byte[]> bucket = new ConcurrentHashMap<>();

  private static final class Job {
    final String id;
    final String endpoint;
    final Lifecycle life;
    final JsonNode input;
    final String prompt;
    final long seed;
    final String webhook;
    final Duration retention;
    final Duration ttl;
    final String workerId = "fake-worker-" + UUID.randomUUID().toString().substring(0, 8);
    volatile boolean webhookQueued;

    /** What worker-comfyui's handler returned, when this endpoint ran it; null otherwise. */
    FakeWorkerComfyui.Result worker;

    Job(
        String id,
        String endpoint,
        Lifecycle life,
        JsonNode input,
        String webhook,
        Duration retention,
        Duration ttl) {
      this.id = id;
      this.endpoint = endpoint;
      this.life = life;
      this.input = input;
      this.prompt = FakeKit.prompt(input);
      this.seed = FakeKit.seed(input, prompt);
      this.webhook = webhook;
      this.retention = retention;
      this.ttl = ttl;
    }
  }

  FakeRunpod(FakeKit kit) {
    this.kit = kit;
  }

  static void error(Context ctx, int status, String message) {
    ctx.status(status).contentType("application/json").result("{\"error\":" + quote(message) + "}");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  void register(RoutesConfig r) {
    kit.post(r, BASE + "/run", PROVIDER, "create", FakeRunpod::error, ctx -> submit(ctx, false));
    kit.post(r, BASE + "/runsync", PROVIDER, "create", FakeRunpod::error, ctx -> submit(ctx, true));
    kit.get(r, BASE + "/status/{id}", PROVIDER, "status", FakeRunpod::error, this::status);
    kit.get(r, BASE + "/status-sync/{id}", PROVIDER, "status", FakeRunpod::error, this::statusSync);
    kit.get(r, "/runpod/s3/{job}/{name}", PROVIDER, "s3", FakeRunpod::error, this::s3);
    kit.get(r, BASE + "/stream/{id}", PROVIDER, "stream", FakeRunpod::error, this::stream);
    kit.post(r, BASE + "/cancel/{id}", PROVIDER, "cancel", FakeRunpod::error, this::cancel);
    kit.post(r, BASE + "/retry/{id}", PROVIDER, "retry", FakeRunpod::error, this::retry);
    kit.post(r, BASE + "/purge-queue", PROVIDER, "purge", FakeRunpod::error, this::purge);
    kit.get(r, BASE + "/health", PROVIDER, "health", FakeRunpod::error, this::health);
  }

  /** Accepts {@code Authorization: Bearer k} and the raw {@code k}, then checks the endpoint. */
  private boolean allowed(Context ctx) {
    String auth = ctx.header("Authorization");
    String key = kit.credentials.runpodApiKey();
    if (auth == null || !(auth.equals("Bearer " + key) || auth.equals(key))) {
      error(ctx, 401, "401 Unauthorized: missing or invalid API key");
      return false;
    }
    if (!endpoints.contains(ctx.pathParam("endpoint"))) {
      error(ctx, 404, "endpoint not found");
      return false;
    }
    return true;
  }

  private void submit(Context ctx, boolean sync) {
    if (!allowed(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    if (body == null) {
      error(ctx, 400, "request body must be a JSON object");
      return;
    }
    JsonNode input = body.get("input");
    if (input == null || !input.isObject() || input.isEmpty()) {
      error(ctx, 400, "input is required");
      return;
    }
    String webhook = body.hasNonNull("webhook") ? body.get("webhook").asText() : null;
    if (webhook != null && !WebhookSender.allowed(webhook)) {
      error(ctx, 400, "webhook must be an http(s) URL on a loopback host (fake provider)");
      return;
    }
    JsonNode policy = body.path("policy");
    Duration runLimit = millis(policy, "executionTimeout", Duration.ofMinutes(10));
    Duration ttl = millis(policy, "ttl", DEFAULT_TTL);
    Instant now = kit.now();
    String id = (sync ? "sync-" : "") + UUID.randomUUID() + "-u1";
    String endpoint = ctx.pathParam("endpoint");
    FakeWorkerComfyui.Result worker = workerComfyui(endpoint, id, input);
    Lifecycle life = lifecycle(now, runLimit, input, worker);
    Duration retention = sync ? kit.settings.runpodSyncRetention() : kit.settings.runpodRetention();
    Job job = new Job(id, endpoint, life, input, webhook, retention, ttl);
    job.worker = worker;
    jobs.put(id, job);
    if (!sync) {
      ObjectNode out = kit.object().put("id", id).put("status", "IN_QUEUE");
      kit.json(ctx, 200, out);
      return;
    }
    long waitMs = 90_000;
    String wait = ctx.queryParam("wait");
    if (wait != null) {
      try {
        waitMs = Math.max(1000, Math.min(300_000, Long.parseLong(wait)));
      } catch (NumberFormatException e) {
        error(ctx, 400, "wait must be a number of milliseconds");
        return;
      }
    }
    kit.await(() -> job.life.phase(kit.now()).terminal(), Duration.ofMillis(waitMs));
    kit.json(ctx, 200, render(job, kit.now()));
  }

  /** The worker-comfyui handler's result for this job, or null when the endpoint runs another. */
  private FakeWorkerComfyui.Result workerComfyui(String endpoint, String id, JsonNode input) {
    boolean comfy =
        endpoint.equals(COMFYUI_ENDPOINT)
            || endpoint.equals(COMFYUI_S3_ENDPOINT)
            || input.has("workflow");
    if (!comfy) {
      return null;
    }
    java.util.function.BiFunction<String, byte[], String> s3 =
        endpoint.equals(COMFYUI_S3_ENDPOINT)
            ? (name, bytes) -> {
              // rp_upload names the object <job id>/<8 random characters><extension>
              String ext = name.contains(".") ? name.substring(name.lastIndexOf('.')) : ".png";
              String key =
                  id
                      + "/"
                      + FakeExecutor.hex(
                              FakeExecutor.digest(
                                  bytes, name.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                          .substring(0, 8)
                      + ext;
              bucket.put(key, bytes);
              return kit.baseUrl() + "/runpod/s3/" + key;
            }
            : null;
    return FakeWorkerComfyui.handle(
        input, kit.mapper, s3, (graph, folder) -> kit.execute(PROVIDER, graph, folder));
  }

  /**
   * The job's timeline: a handler that fails (bad input, a graph ComfyUI refuses) fails as soon as
   * a worker picks the job up; otherwise it runs for the usual time with the usual outcome.
   */
  private Lifecycle lifecycle(
      Instant now, Duration runLimit, JsonNode input, FakeWorkerComfyui.Result worker) {
    Outcome outcome = kit.outcome(PROVIDER, input);
    boolean refused = worker != null && worker.failed() && outcome == Outcome.SUCCEED;
    return new Lifecycle(
        now,
        kit.settings.queueTime(),
        refused ? Duration.ZERO : kit.settings.runTime(),
        runLimit,
        null,
        refused ? Outcome.FAIL : outcome);
  }

  /** A file the s3 endpoint's worker stored: {@code GET /runpod/s3/{job}/{name}}. */
  private void s3(Context ctx) {
    byte[] bytes = bucket.get(ctx.pathParam("job") + "/" + ctx.pathParam("name"));
    if (bytes == null) {
      error(ctx, 404, "no such object");
      return;
    }
    String mime = FakeExecutor.mime(extension(ctx.pathParam("name")));
    ctx.status(200).contentType(mime).result(bytes);
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1);
  }

  /** {@code GET /status-sync/{id}?wait=ms}: the status once final, or after the wait. */
  private void statusSync(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = find(ctx);
    if (job == null) {
      return;
    }
    long waitMs = 90_000;
    String wait = ctx.queryParam("wait");
    if (wait != null) {
      try {
        waitMs = Math.max(1000, Math.min(90_000, Long.parseLong(wait)));
      } catch (NumberFormatException e) {
        error(ctx, 400, "wait must be a number of milliseconds");
        return;
      }
    }
    kit.await(() -> job.life.phase(kit.now()).terminal(), Duration.ofMillis(waitMs));
    kit.json(ctx, 200, render(job, kit.now()));
  }

  private static Duration millis(JsonNode policy, String field, Duration fallback) {
    JsonNode n = policy.get(field);
    return n != null && n.canConvertToLong() && n.asLong() > 0
        ? Duration.ofMillis(n.asLong())
        : fallback;
  }

  /** The job if it exists on this endpoint and has not expired; else answers 404. */
  private Job find(Context ctx) {
    Job job = jobs.get(ctx.pathParam("id"));
    if (job == null || !job.endpoint.equals(ctx.pathParam("endpoint")) || expired(job, kit.now())) {
      error(ctx, 404, "request does not exist");
      return null;
    }
    return job;
  }

  private static boolean expired(Job job, Instant now) {
    Instant ended = job.life.endedAt(now);
    boolean retained = ended == null || now.isBefore(ended.plus(job.retention));
    return !retained || !now.isBefore(job.life.created().plus(job.ttl));
  }

  private void status(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = find(ctx);
    if (job != null) {
      kit.json(ctx, 200, render(job, kit.now()));
    }
  }

  private void stream(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = find(ctx);
    if (job == null) {
      return;
    }
    ObjectNode st = render(job, kit.now());
    ObjectNode out = kit.object().put("id", job.id).put("status", st.get("status").asText());
    ArrayNode chunks = out.putArray("stream");
    if (st.has("output")) {
      chunks.addObject().set("output", st.get("output"));
    }
    kit.json(ctx, 200, out);
  }

  private void cancel(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = find(ctx);
    if (job == null) {
      return;
    }
    Instant now = kit.now();
    job.life.cancel(now);
    ObjectNode st = render(job, now);
    kit.json(ctx, 200, kit.object().put("id", job.id).put("status", st.get("status").asText()));
  }

  private void retry(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Job job = find(ctx);
    if (job == null) {
      return;
    }
    Instant now = kit.now();
    Phase phase = job.life.phase(now);
    if (phase != Phase.FAILED && phase != Phase.TIMED_OUT) {
      error(ctx, 400, "only FAILED or TIMED_OUT jobs can be retried");
      return;
    }
    job.life.restart(now);
    job.webhookQueued = false;
    kit.json(ctx, 200, kit.object().put("id", job.id).put("status", "IN_QUEUE"));
  }

  private void purge(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Instant now = kit.now();
    String endpoint = ctx.pathParam("endpoint");
    int removed = 0;
    for (Job job : jobs.values()) {
      if (job.endpoint.equals(endpoint) && job.life.phase(now) == Phase.QUEUED) {
        jobs.remove(job.id);
        removed++;
      }
    }
    kit.json(ctx, 200, kit.object().put("removed", removed).put("status", "completed"));
  }

  private void health(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Instant now = kit.now();
    int completed = 0;
    int failed = 0;
    int running = 0;
    int queued = 0;
    for (Job job : jobs.values()) {
      if (!job.endpoint.equals(ctx.pathParam("endpoint")) || expired(job, now)) {
        continue;
      }
      switch (job.life.phase(now)) {
        case SUCCEEDED -> completed++;
        case FAILED, TIMED_OUT -> failed++;
        case RUNNING -> running++;
        case QUEUED -> queued++;
        case CANCELED -> {}
      }
    }
    ObjectNode out = kit.object();
    out.putObject("jobs")
        .put("completed", completed)
        .put("failed", failed)
        .put("inProgress", running)
        .put("inQueue", queued)
        .put("retried", 0);
    out.putObject("workers")
        .put("idle", running == 0 ? 1 : 0)
        .put("initializing", 0)
        .put("ready", 1)
        .put("running", running)
        .put("throttled", 0)
        .put("unhealthy", 0);
    kit.json(ctx, 200, out);
  }

  /** The {@code /status} object at {@code now}. */
  private ObjectNode render(Job job, Instant now) {
    Phase phase = job.life.phase(now);
    ObjectNode out = kit.object().put("id", job.id).put("status", status(phase));
    Instant started = job.life.startedAt(now);
    Instant ended = job.life.endedAt(now);
    if (started != null) {
      out.put("delayTime", Duration.between(job.life.created(), started).toMillis());
      out.put("workerId", job.workerId);
    }
    if (started != null && ended != null) {
      out.put("executionTime", Duration.between(started, ended).toMillis());
    }
    boolean handlerFailed = job.worker != null && job.worker.failed();
    switch (phase) {
      case SUCCEEDED -> out.set("output", job.worker != null ? job.worker.output() : output(job));
      case FAILED -> {
        if (handlerFailed) {
          // RunPod reports the handler's {error, ...}: error on its own, the rest as output
          out.put("error", job.worker.error());
          if (!job.worker.output().isEmpty()) {
            out.set("output", job.worker.output());
          }
        } else {
          out.put("error", "handler raised an error: forced failure (fake provider)");
        }
      }
      case TIMED_OUT -> out.put("error", "job timed out");
      default -> {}
    }
    out.put("retries", 0);
    return out;
  }

  private ObjectNode output(Job job) {
    int count = FakeKit.imageCount(job.input);
    boolean base64 = job.input.path("return_base64").asBoolean(false);
    ObjectNode output = kit.object();
    ArrayNode images = output.putArray("images");
    List<String> urls = kit.imageUrls(job.id, job.prompt, job.seed, count);
    for (int i = 0; i < count; i++) {
      String name = urls.get(i).substring(urls.get(i).lastIndexOf('/') + 1);
      ObjectNode img = images.addObject().put("filename", name);
      if (base64) {
        byte[] png = FakeImages.png(new FakeImages.Recipe(job.prompt, job.seed, i));
        img.put("type", "base64").put("data", Base64.getEncoder().encodeToString(png));
      } else {
        img.put("type", "url").put("url", urls.get(i));
      }
      img.put("seed", job.seed);
    }
    return output;
  }

  private static String status(Phase phase) {
    return switch (phase) {
      case QUEUED -> "IN_QUEUE";
      case RUNNING -> "IN_PROGRESS";
      case SUCCEEDED -> "COMPLETED";
      case FAILED -> "FAILED";
      case CANCELED -> "CANCELLED";
      case TIMED_OUT -> "TIMED_OUT";
    };
  }

  /**
   * Queues the webhook of every job that just finished (complete, fail or timeout), and forgets
   * expired jobs so long runs stay bounded.
   */
  void tick() {
    Instant now = kit.now();
    for (Job job : jobs.values()) {
      if (expired(job, now) && (job.webhook == null || job.webhookQueued)) {
        jobs.remove(job.id);
        continue;
      }
      if (job.webhook == null || job.webhookQueued) {
        continue;
      }
      Phase phase = job.life.phase(now);
      if (phase == Phase.SUCCEEDED || phase == Phase.FAILED || phase == Phase.TIMED_OUT) {
        job.webhookQueued = true;
        kit.webhooks.send(
            PROVIDER,
            job.id,
            "completed",
            job.webhook,
            kit.text(render(job, now)),
            (b, t) -> Map.of(),
            kit.settings.runpodWebhookRetries());
      }
    }
  }

  /** Forces how a job ends (if it has not ended). */
  boolean force(String id, Outcome outcome) {
    Job job = jobs.get(id);
    if (job != null) {
      job.life.force(outcome, kit.now());
    }
    return job != null;
  }
}

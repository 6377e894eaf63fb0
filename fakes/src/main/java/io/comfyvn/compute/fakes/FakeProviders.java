package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fake RunPod, Replicate, Hugging Face, Modal, self-hosted ComfyUI and Comfy API v2 servers on one
 * loopback port, each speaking its provider's wire protocol under its own prefix, plus {@code
 * /files/...} for generated images and a {@code /_fake/...} control API (faults, forced outcomes,
 * counters). Job states are computed from the injected clock, so tests advance a {@link FakeClock}
 * instead of sleeping.
 */
public final class FakeProviders implements AutoCloseable {
  public static final String RUNPOD = FakeRunpod.PROVIDER;
  public static final String REPLICATE = FakeReplicate.PROVIDER;
  public static final String HUGGINGFACE = FakeHuggingFace.PROVIDER;
  public static final String MODAL = FakeModal.PROVIDER;
  public static final String COMFYUI = FakeComfyUI.PROVIDER;
  public static final String COMFY_CLOUD = FakeComfyCloud.PROVIDER;
  private static final List<String> PROVIDERS =
      List.of(RUNPOD, REPLICATE, HUGGINGFACE, MODAL, COMFYUI, COMFY_CLOUD);

  private static final Logger log = LoggerFactory.getLogger(FakeProviders.class);

  private final FakeKit kit;
  private final FakeRunpod runpod;
  private final FakeReplicate replicate;
  private final FakeHuggingFace huggingface;
  private final FakeModal modal;
  private final FakeComfyUI comfyui;
  private final FakeComfyCloud comfyCloud;
  private final Javalin javalin;
  private final ScheduledExecutorService ticker;
  private final java.util.concurrent.atomic.AtomicLong requests =
      new java.util.concurrent.atomic.AtomicLong();

  public FakeProviders(Clock clock, FakeSettings settings, FakeCredentials credentials) {
    this.kit = new FakeKit(clock, settings, credentials);
    this.runpod = new FakeRunpod(kit);
    this.replicate = new FakeReplicate(kit);
    this.huggingface = new FakeHuggingFace(kit);
    this.modal = new FakeModal(kit);
    this.comfyui = new FakeComfyUI(kit);
    this.comfyCloud = new FakeComfyCloud(kit);
    this.javalin =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              config.http.maxRequestSize = 25_000_000; // RunPod accepts 20 MB on runsync
              runpod.register(config.routes);
              replicate.register(config.routes);
              huggingface.register(config.routes);
              modal.register(config.routes);
              comfyui.register(config.routes);
              comfyCloud.register(config.routes);
              // every request counts (files and unknown paths too), but not the control API
              config.routes.before(
                  ctx -> {
                    if (!ctx.path().startsWith("/_fake")) {
                      requests.incrementAndGet();
                    }
                  });
              config.routes.get("/files/{name}", this::file);
              config.routes.post("/_fake/faults", this::addFault);
              config.routes.delete("/_fake/faults", ctx -> clearFaults());
              config.routes.get("/_fake/stats", this::stats);
              config.routes.exception(FakeKit.Dropped.class, (e, ctx) -> {});
              config.routes.error(404, this::notFound);
            });
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-providers-ticker");
              t.setDaemon(true);
              return t;
            });
  }

  /** Listens on 127.0.0.1 only; port 0 picks a free one. */
  public FakeProviders start(int port) {
    javalin.start("127.0.0.1", port);
    kit.baseUrl("http://127.0.0.1:" + javalin.port());
    ticker.scheduleWithFixedDelay(this::tickQuietly, 20, 20, TimeUnit.MILLISECONDS);
    return this;
  }

  public int port() {
    return javalin.port();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    return kit.baseUrl();
  }

  public FakeCredentials credentials() {
    return kit.credentials;
  }

  /**
   * Every request any fake received since start, whatever its path (outputs and unknown paths
   * included; the {@code /_fake} control API excluded): a test that must see no egress asserts this
   * does not move.
   */
  public long requests() {
    return requests.get();
  }

  public FakeStats stats() {
    return kit.stats;
  }

  /** Adds a fault for the next matching requests. */
  public void inject(Fault fault) {
    kit.faults.add(fault);
  }

  /** Removes pending faults, forced next outcomes and rate limits. */
  public void clearFaults() {
    kit.faults.clear();
    kit.clearLimits();
  }

  /**
   * Answers 429 to requests of one operation beyond {@code permits} within any sliding {@code
   * window} (on the clock; requests answered 429 count too, as a client hammering the limit keeps
   * it shut).
   */
  public void enforceRateLimit(String provider, String operation, int permits, Duration window) {
    if (permits < 1 || window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("a rate limit needs permits >= 1 and a positive window");
    }
    kit.limit(provider, operation, new FakeKit.RateLimit(permits, window));
  }

  /**
   * The limits the providers document: RunPod per endpoint per 10 s (run 1000, status and stream
   * 2000, cancel 100, purge-queue 2), Replicate per minute (create 600, everything else 3000).
   * Hugging Face's endpoint API and Modal document none.
   */
  public void enforceDocumentedRateLimits() {
    Duration tenSeconds = Duration.ofSeconds(10);
    enforceRateLimit(RUNPOD, "create", 1000, tenSeconds);
    enforceRateLimit(RUNPOD, "status", 2000, tenSeconds);
    enforceRateLimit(RUNPOD, "stream", 2000, tenSeconds);
    enforceRateLimit(RUNPOD, "cancel", 100, tenSeconds);
    enforceRateLimit(RUNPOD, "purge", 2, tenSeconds);
    Duration minute = Duration.ofMinutes(1);
    enforceRateLimit(REPLICATE, "create", 600, minute);
    for (String op : List.of("get", "list", "cancel", "account", "webhook_secret", "hardware")) {
      enforceRateLimit(REPLICATE, op, 3000, minute);
    }
  }

  /** Makes one existing job end this way (if it has not ended yet); false if no such job. */
  public boolean forceOutcome(String provider, String jobId, Outcome outcome) {
    return switch (provider) {
      case RUNPOD -> runpod.force(jobId, outcome);
      case REPLICATE -> replicate.force(jobId, outcome);
      case HUGGINGFACE -> huggingface.force(jobId, outcome);
      case MODAL -> modal.force(jobId, outcome);
      case COMFYUI -> comfyui.force(jobId, outcome);
      case COMFY_CLOUD -> comfyCloud.force(jobId, outcome);
      default -> throw new IllegalArgumentException("unknown provider " + provider);
    };
  }

  /**
   * Makes the next job created on a provider end this way (for Hugging Face: the next inference
   * call answers 500 or 504, or the next HF Job ends in ERROR).
   */
  public void forceNextOutcome(String provider, Outcome outcome) {
    if (!PROVIDERS.contains(provider)) {
      throw new IllegalArgumentException("unknown provider " + provider);
    }
    kit.faults.forceNext(provider, outcome);
  }

  /** Jobs the fake Comfy API v2 created (a create it replayed under its key makes none). */
  public int comfyCloudJobs() {
    return comfyCloud.jobCount();
  }

  /**
   * The graphs one provider's fake was given to run, in arrival order, input file references cut to
   * the file name (see {@link ReceivedGraph}).
   */
  public List<ReceivedGraph> receivedGraphs(String provider) {
    return kit.received.of(provider);
  }

  /** Every webhook attempt so far, in order. */
  public List<WebhookDelivery> webhookDeliveries() {
    return kit.webhooks.deliveries();
  }

  /**
   * Sends due webhooks now. The background ticker does this every 20 ms; tests that just moved the
   * clock may call it to skip that wait.
   */
  public synchronized void tick() {
    runpod.tick();
    replicate.tick();
    comfyui.tick();
    kit.webhooks.tick();
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("fake provider tick failed", e);
    }
  }

  /**
   * What a user pastes to point the service at these fakes: {@code {"providers_gpu": {...},
   * "egress": {"allowed_base_urls": [...]}, "secrets": {...}}}. Every top-level key but {@code
   * secrets} merges into {@code config/comfyvn.json}; {@code secrets} is {@code
   * config/comfyvn.secrets.json}. The fakes' loopback origin must be allowed: the service sends
   * credentials only to each provider's documented hosts and to the allowed base URLs.
   */
  public ObjectNode cliConfig() {
    String base = baseUrl();
    FakeCredentials c = kit.credentials;
    ObjectNode out = kit.object();
    ObjectNode gpu = out.putObject("providers_gpu");
    gpu.putObject(RUNPOD)
        .put("mode", "live")
        .put("base_url", base + "/runpod/v2")
        .put("endpoint_id", FakeRunpod.ENDPOINT_ID)
        .put("hardware", "ADA_24");
    gpu.putObject(REPLICATE)
        .put("mode", "live")
        .put("base_url", base + "/replicate/v1")
        .put("model", FakeReplicate.MODEL)
        .put("hardware", "gpu-l40s");
    gpu.putObject(HUGGINGFACE)
        .put("mode", "live")
        .put("base_url", base + "/huggingface/v2")
        .put("namespace", FakeHuggingFace.NAMESPACE)
        .put("endpoint", FakeHuggingFace.ENDPOINT)
        .put("jobs_base_url", base + "/huggingface/api")
        .put("hardware", "nvidia-l4");
    gpu.putObject(MODAL)
        .put("mode", "live")
        .put("base_url", base + "/modal")
        .put("function", FakeModal.FUNCTION)
        .put("hardware", "L40S");
    // a LAN ComfyUI has no auth: nothing to add to the secrets file
    gpu.putObject(COMFYUI)
        .put("mode", "live")
        .put("base_url", base + "/comfyui")
        .put("hardware", FakeComfyUI.HARDWARE);
    gpu.putObject(COMFY_CLOUD)
        .put("mode", "live")
        .put("base_url", base + FakeComfyCloud.BASE)
        .put("hardware", "RTX PRO 6000");
    out.putObject("egress").putArray("allowed_base_urls").add(base);
    ObjectNode secrets = out.putObject("secrets");
    secrets.putObject(RUNPOD).put("api_key", c.runpodApiKey());
    secrets.putObject(COMFY_CLOUD).put("api_key", c.comfyCloudApiKey());
    secrets.putObject(HUGGINGFACE).put("api_key", c.huggingfaceToken());
    secrets.putObject(REPLICATE).put("api_token", c.replicateToken());
    secrets
        .putObject(MODAL)
        .put("token_id", c.modalTokenId())
        .put("token_secret", c.modalTokenSecret());
    return out;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    javalin.stop();
  }

  private void file(Context ctx) {
    byte[] png = kit.images.file(ctx.pathParam("name"));
    if (png == null) {
      ctx.status(404).contentType("text/plain").result("not found");
      return;
    }
    ctx.contentType("image/png").result(png);
  }

  private void notFound(Context ctx) {
    if (ctx.attribute(FakeKit.HANDLED) != null) {
      return; // a provider route answered 404 itself (unknown job, endpoint, ...)
    }
    String path = ctx.path();
    if (path.startsWith("/runpod/")) {
      FakeRunpod.error(ctx, 404, "not found");
    } else if (path.startsWith(FakeComfyCloud.BASE + "/")) {
      FakeComfyCloud.error(ctx, 404, "no such route");
    } else if (path.startsWith("/replicate/")) {
      ctx.status(404)
          .contentType("application/problem+json")
          .result("{\"detail\":\"Not found.\",\"status\":404}");
    } else {
      ctx.status(404).contentType("text/plain").result("not found");
    }
  }

  /**
   * {@code POST /_fake/faults}: {@code {"provider","operation","kind":
   * "status|drop|drop_after|slow|malformed|outcome","status","retry_after","times","delay_ms",
   * "outcome":"fail|timeout|succeed","job_id"}}. An outcome without {@code job_id} applies to the
   * provider's next job. {@code "kind":"rate_limit"} with {@code permits} and {@code window_ms}
   * limits one operation; {@code "kind":"documented_rate_limits"} applies the documented ones.
   */
  private void addFault(Context ctx) {
    JsonNode body = kit.objectBody(ctx);
    if (body == null) {
      kit.json(ctx, 400, kit.object().put("error", "body must be a JSON object"));
      return;
    }
    try {
      String provider = body.path("provider").asText("");
      String kind = body.path("kind").asText("").toLowerCase(Locale.ROOT);
      if (kind.equals("rate_limit")) {
        enforceRateLimit(
            provider,
            body.path("operation").asText(""),
            body.path("permits").asInt(0),
            Duration.ofMillis(body.path("window_ms").asLong(0)));
      } else if (kind.equals("documented_rate_limits")) {
        enforceDocumentedRateLimits();
      } else if (kind.equals("outcome")) {
        Outcome outcome = Outcome.valueOf(body.path("outcome").asText("").toUpperCase(Locale.ROOT));
        if (body.hasNonNull("job_id")) {
          if (!forceOutcome(provider, body.get("job_id").asText(), outcome)) {
            kit.json(ctx, 404, kit.object().put("error", "no such job"));
            return;
          }
        } else {
          forceNextOutcome(provider, outcome);
        }
      } else {
        String op = body.path("operation").asText("*");
        int times = body.path("times").asInt(1);
        Integer retryAfter =
            body.hasNonNull("retry_after") ? body.get("retry_after").asInt() : null;
        Duration delay = Duration.ofMillis(body.path("delay_ms").asLong(0));
        Fault.Kind k = Fault.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
        inject(
            new Fault(
                provider,
                op,
                k,
                times,
                body.path("status").asInt(0),
                retryAfter,
                k == Fault.Kind.SLOW ? delay : null));
      }
    } catch (IllegalArgumentException e) {
      kit.json(ctx, 400, kit.object().put("error", e.getMessage()));
      return;
    }
    kit.json(ctx, 200, kit.object().put("ok", true));
  }

  /** {@code GET /_fake/stats[?window_seconds=10]}: counters, creates and busiest-window counts. */
  private void stats(Context ctx) {
    long window = 10;
    String w = ctx.queryParam("window_seconds");
    if (w != null) {
      try {
        window = Math.max(1, Long.parseLong(w));
      } catch (NumberFormatException e) {
        kit.json(ctx, 400, kit.object().put("error", "window_seconds must be a number"));
        return;
      }
    }
    ObjectNode out = kit.object();
    ObjectNode counts = out.putObject("counts");
    kit.stats.counts().forEach(counts::put);
    ObjectNode creates = out.putObject("creates");
    for (String p : PROVIDERS) {
      creates.put(p, kit.stats.creates(p));
    }
    out.put("window_seconds", window);
    ObjectNode max = out.putObject("max_in_window");
    kit.stats.maxInWindow(Duration.ofSeconds(window)).forEach(max::put);
    ArrayNode hooks = out.putArray("webhooks");
    for (WebhookDelivery d : webhookDeliveries()) {
      hooks
          .addObject()
          .put("provider", d.provider())
          .put("job_id", d.jobId())
          .put("event", d.event())
          .put("url", d.url())
          .put("attempt", d.attempt())
          .put("status", d.status())
          .put("at", d.at().toString());
    }
    kit.json(ctx, 200, out);
  }
}

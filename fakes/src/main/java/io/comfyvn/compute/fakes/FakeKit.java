package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * What every fake shares: the clock, settings, credentials, faults, counters, images and webhooks,
 * plus the route wrapper that counts each request and applies injected faults around the handler.
 */
final class FakeKit {
  /** Writes an error in one provider's own format. */
  interface ErrorStyle {
    void write(Context ctx, int status, String message);
  }

  /** Thrown after a connection was closed on purpose, so nothing else is written. */
  static final class Dropped extends RuntimeException {
    Dropped() {
      super("connection dropped by an injected fault", null, false, false);
    }
  }

  /** Request attribute set once a provider route took the request (its 404s are its own). */
  static final String HANDLED = "fake.handled";

  final Clock clock;
  final FakeSettings settings;
  final FakeCredentials credentials;
  final Faults faults = new Faults();
  final FakeStats stats = new FakeStats();
  final FakeImages images = new FakeImages();
  final ReceivedGraphs received = new ReceivedGraphs();
  final WebhookSender webhooks;
  final ObjectMapper mapper = FakeJson.mapper();
  private final Map<String, RateLimit> rateLimits = new ConcurrentHashMap<>();
  private volatile String baseUrl = "http://127.0.0.1:0";

  /** A sliding-window limit on one operation; 429 beyond it. */
  record RateLimit(int permits, Duration window) {}

  FakeKit(Clock clock, FakeSettings settings, FakeCredentials credentials) {
    this.clock = clock;
    this.settings = settings;
    this.credentials = credentials;
    this.webhooks = new WebhookSender(clock);
  }

  Instant now() {
    return clock.instant();
  }

  /** {@code http://127.0.0.1:<port>}, known once the server listens. */
  String baseUrl() {
    return baseUrl;
  }

  void baseUrl(String url) {
    this.baseUrl = url;
  }

  void limit(String provider, String operation, RateLimit limit) {
    rateLimits.put(provider + "." + operation, limit);
  }

  void clearLimits() {
    rateLimits.clear();
  }

  void get(
      RoutesConfig routes, String path, String provider, String op, ErrorStyle style, Handler h) {
    routes.get(path, wrap(provider, op, style, h));
  }

  void post(
      RoutesConfig routes, String path, String provider, String op, ErrorStyle style, Handler h) {
    routes.post(path, wrap(provider, op, style, h));
  }

  void delete(
      RoutesConfig routes, String path, String provider, String op, ErrorStyle style, Handler h) {
    routes.delete(path, wrap(provider, op, style, h));
  }

  private Handler wrap(String provider, String op, ErrorStyle style, Handler h) {
    return ctx -> {
      ctx.attribute(HANDLED, true);
      stats.record(provider, op, now());
      Fault fault = faults.take(provider, op);
      if (fault != null && fault.kind() == Fault.Kind.STATUS) {
        if (fault.retryAfterSeconds() != null) {
          ctx.header("Retry-After", String.valueOf(fault.retryAfterSeconds()));
        }
        style.write(ctx, fault.status(), faultMessage(fault.status(), fault.retryAfterSeconds()));
        return;
      }
      if (fault != null && fault.kind() == Fault.Kind.ECHO) {
        style.write(
            ctx,
            fault.status(),
            // 266 characters before the key: it straddles the 300th, where answers are cut
            "The request could not be authorized. ".repeat(6)
                + "Credentials received: "
                + echoed(ctx));
        return;
      }
      if (fault == null && overLimit(ctx, provider, op, style)) {
        return;
      }
      if (fault != null && fault.kind() == Fault.Kind.DROP) {
        drop(ctx);
      }
      h.handle(ctx);
      if (fault == null) {
        return;
      }
      switch (fault.kind()) {
        case DROP_AFTER -> drop(ctx);
        case SLOW -> Thread.sleep(fault.delay().toMillis());
        case ECHO_ID -> echoInId(ctx);
        case MALFORMED -> {
          String body = ctx.result() == null ? "{}" : ctx.result();
          ctx.contentType("application/json")
              .result(body.substring(0, Math.max(1, body.length() / 2)));
        }
        default -> {}
      }
    };
  }

  /**
   * Answers 429 when this request (already counted) is beyond the operation's limit. RunPod
   * documents no {@code Retry-After}, so only the other providers get one: the seconds until the
   * oldest request in the window leaves it.
   */
  private boolean overLimit(Context ctx, String provider, String op, ErrorStyle style) {
    RateLimit limit = rateLimits.get(provider + "." + op);
    if (limit == null) {
      return false;
    }
    Instant now = now();
    FakeStats.Window w = stats.since(provider, op, now.minus(limit.window()));
    if (w.count() <= limit.permits()) {
      return false;
    }
    Integer retryAfter = null;
    if (!provider.equals(FakeRunpod.PROVIDER)) {
      long ms = Duration.between(now, w.earliest().plus(limit.window())).toMillis();
      retryAfter = (int) Math.max(1, (ms + 999) / 1000);
      ctx.header("Retry-After", String.valueOf(retryAfter));
    }
    style.write(ctx, 429, faultMessage(429, retryAfter));
    return true;
  }

  /** The request's credential headers, raw, URL-encoded and base64-encoded. */
  private static String echoed(Context ctx) {
    StringBuilder b = new StringBuilder();
    for (String name : new String[] {"Authorization", "Modal-Key", "Modal-Secret"}) {
      String v = ctx.header(name);
      if (v != null) {
        b.append(name)
            .append(": ")
            .append(v)
            .append(" (url: ")
            .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8))
            .append(", b64: ")
            .append(
                java.util.Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)))
            .append(") ");
      }
    }
    return b.length() == 0 ? "none" : b.toString().strip();
  }

  /** Appends the echoed credentials to the job id of a JSON answer the handler wrote. */
  private void echoInId(Context ctx) throws java.io.IOException {
    if (ctx.result() == null) {
      return;
    }
    JsonNode j = mapper.readTree(ctx.result());
    if (!(j instanceof ObjectNode o)) {
      return;
    }
    String echo = echoed(ctx);
    for (String f : new String[] {"id", "prompt_id", "request_id"}) {
      if (o.path(f).isTextual()) {
        o.put(f, o.get(f).asText() + "-" + echo);
      }
    }
    ctx.result(mapper.writeValueAsString(o));
  }

  private static String faultMessage(int status, Integer retryAfter) {
    if (status == 429) {
      return retryAfter == null
          ? "Request was throttled."
          : "Request was throttled. Your rate limit resets in ~" + retryAfter + "s.";
    }
    return status >= 500
        ? "upstream temporarily unavailable (injected " + status + ")"
        : "injected " + status;
  }

  /** Closes the TCP connection under the request without an answer. */
  private static void drop(Context ctx) {
    ServletContextRequest.getServletContextRequest(ctx.req())
        .getConnectionMetaData()
        .getConnection()
        .getEndPoint()
        .close();
    throw new Dropped();
  }

  /**
   * Blocks until {@code done} holds or {@code wait} has passed, on the clock or in real time,
   * whichever comes first: tests move a fake clock, and nobody waits forever on a stopped one.
   */
  boolean await(BooleanSupplier done, Duration wait) {
    Instant clockDeadline = now().plus(wait);
    long realDeadline = System.nanoTime() + wait.toNanos();
    while (!done.getAsBoolean()) {
      if (!now().isBefore(clockDeadline) || System.nanoTime() - realDeadline >= 0) {
        return done.getAsBoolean();
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /**
   * Runs a graph on the fakes' stand-in ComfyUI ({@link FakeExecutor}) and records what the
   * provider received ({@link ReceivedGraphs}), so tests can compare the graphs every provider was
   * sent.
   *
   * @param inputs the box's input folder as the provider filled it: file name -> bytes
   */
  FakeExecutor.Run execute(String provider, ObjectNode graph, Map<String, byte[]> inputs) {
    received.record(provider, graph, inputs);
    return FakeExecutor.run(graph, inputs);
  }

  /** The request body as a JSON object, or null when it is not one. */
  ObjectNode objectBody(Context ctx) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0) {
      return null;
    }
    try {
      JsonNode node = mapper.readTree(bytes);
      return node instanceof ObjectNode o ? o : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  void json(Context ctx, int status, Object body) {
    json(ctx, status, body, "application/json");
  }

  void json(Context ctx, int status, Object body, String contentType) {
    try {
      ctx.status(status).contentType(contentType).result(mapper.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  String text(Object body) {
    try {
      return new String(mapper.writeValueAsBytes(body), StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  ObjectNode object() {
    return mapper.createObjectNode();
  }

  /** The prompt of a job input: its {@code prompt} text, else the whole input as text. */
  static String prompt(JsonNode input) {
    if (input == null) {
      return "";
    }
    if (input.isTextual()) {
      return input.asText();
    }
    JsonNode p = input.get("prompt");
    return p != null && p.isTextual() ? p.asText() : input.toString();
  }

  static long seed(JsonNode input, String prompt) {
    JsonNode s = input == null ? null : input.get("seed");
    return s != null && s.canConvertToLong() ? s.asLong() : FakeImages.seedFor(prompt);
  }

  /** How many images a job asks for ({@code num_outputs}, {@code batch_size}), 1 to 4. */
  static int imageCount(JsonNode input) {
    for (String key : new String[] {"num_outputs", "batch_size", "num_images"}) {
      JsonNode n = input == null ? null : input.get(key);
      if (n != null && n.canConvertToInt()) {
        return Math.max(1, Math.min(4, n.asInt()));
      }
    }
    return 1;
  }

  /** A forced outcome named in the input as {@code fake_outcome} (for trying failures by hand). */
  Outcome outcome(String provider, JsonNode input) {
    JsonNode o = input == null ? null : input.get("fake_outcome");
    if (o != null && o.isTextual()) {
      switch (o.asText()) {
        case "fail" -> {
          return Outcome.FAIL;
        }
        case "timeout" -> {
          return Outcome.TIMEOUT;
        }
        default -> {}
      }
    }
    return faults.outcomeForNewJob(provider);
  }

  /** Registers the job's images and returns their public URLs. */
  java.util.List<String> imageUrls(String jobId, String prompt, long seed, int count) {
    java.util.List<String> urls = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = jobId + (count == 1 ? "" : "-" + i) + ".png";
      images.register(name, new FakeImages.Recipe(prompt, seed, i));
      urls.add(baseUrl + "/files/" + name);
    }
    return urls;
  }
}

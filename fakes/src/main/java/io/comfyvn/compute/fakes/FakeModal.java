package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ComfyVN Modal web-endpoint contract (docs/modal_web_endpoint_contract.md) under {@code
 * /modal}, behind Modal's proxy: proxy auth with {@code Modal-Key}/{@code Modal-Secret}, plain-text
 * {@code modal-http: ...} proxy errors, and the 303 redirect once a request outlives the web
 * request cap (150 s on Modal).
 */
final class FakeModal {
  static final String PROVIDER = "modal";
  static final String FUNCTION = "comfyvn_render";
  private static final String BASE = "/modal";
  private static final String REDIRECT_PARAM = "__modal_function_call_id";
  private static final char[] ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final FakeKit kit;
  private final Map<String, Call> calls = new ConcurrentHashMap<>();

  private record Call(String id, Lifecycle life, JsonNode input, String prompt, long seed) {}

  FakeModal(FakeKit kit) {
    this.kit = kit;
  }

  /** Proxy-level errors are plain text, as Modal's proxy sends them. */
  static void proxyError(Context ctx, int status, String message) {
    ctx.status(status).contentType("text/plain; charset=utf-8").result("modal-http: " + message);
  }

  private void appError(Context ctx, int status, String message) {
    kit.json(ctx, status, kit.object().put("error", message));
  }

  void register(RoutesConfig r) {
    kit.post(r, BASE + "/run", PROVIDER, "create", FakeModal::proxyError, this::run);
    kit.get(
        r, BASE + "/requests/{id}/status", PROVIDER, "status", FakeModal::proxyError, this::status);
    kit.get(r, BASE + "/requests/{id}", PROVIDER, "result", FakeModal::proxyError, this::result);
    kit.post(
        r, BASE + "/requests/{id}", PROVIDER, "result", FakeModal::proxyError, this::postToResult);
    kit.post(
        r, BASE + "/requests/{id}/cancel", PROVIDER, "cancel", FakeModal::proxyError, this::cancel);
  }

  /**
   * The proxy's checks before the app sees a request: a redirect target only takes GET, then {@code
   * Modal-Key}/{@code Modal-Secret} or {@code Authorization: Bearer wk-...:ws-...}.
   */
  private boolean proxy(Context ctx) {
    if (!ctx.method().name().equals("GET") && ctx.queryParam(REDIRECT_PARAM) != null) {
      proxyError(ctx, 400, "bad redirect method");
      return false;
    }
    String key = ctx.header("Modal-Key");
    String secret = ctx.header("Modal-Secret");
    String auth = ctx.header("Authorization");
    if (key == null && secret == null && auth != null && auth.startsWith("Bearer ")) {
      String[] parts = auth.substring("Bearer ".length()).trim().split(":", 2);
      key = parts[0];
      secret = parts.length == 2 ? parts[1] : null;
    }
    if (key == null || secret == null) {
      proxyError(ctx, 401, "missing credentials for proxy authorization");
      return false;
    }
    if (!key.equals(kit.credentials.modalTokenId())
        || !secret.equals(kit.credentials.modalTokenSecret())) {
      proxyError(ctx, 401, "invalid credentials for proxy authorization");
      return false;
    }
    return true;
  }

  private void run(Context ctx) {
    if (!proxy(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    if (body == null) {
      appError(ctx, 422, "body must be a JSON object {\"function\": ..., \"input\": {...}}");
      return;
    }
    String function = body.path("function").asText(FUNCTION);
    if (!function.equals(FUNCTION)) {
      appError(ctx, 404, "function not found: " + function);
      return;
    }
    JsonNode input = body.get("input");
    if (input == null || !input.isObject()) {
      appError(ctx, 422, "input must be a JSON object");
      return;
    }
    Instant now = kit.now();
    Lifecycle life =
        new Lifecycle(
            now,
            kit.settings.queueTime(),
            kit.settings.runTime(),
            null,
            null,
            kit.outcome(PROVIDER, input));
    String prompt = FakeKit.prompt(input);
    Call call = new Call(newId(), life, input, prompt, FakeKit.seed(input, prompt));
    calls.put(call.id(), call);
    kit.json(ctx, 200, kit.object().put("request_id", call.id()));
  }

  private Call find(Context ctx) {
    Call call = calls.get(ctx.pathParam("id"));
    if (call == null) {
      appError(ctx, 404, "function call not found: " + ctx.pathParam("id"));
    }
    return call;
  }

  private void status(Context ctx) {
    if (proxy(ctx)) {
      Call call = find(ctx);
      if (call != null) {
        kit.json(
            ctx,
            200,
            kit.object()
                .put("request_id", call.id())
                .put("status", status(call.life().phase(kit.now()))));
      }
    }
  }

  private void postToResult(Context ctx) {
    if (proxy(ctx)) {
      appError(ctx, 405, "method not allowed; use GET");
    }
  }

  /**
   * The result. {@code ?wait=s} holds the request until the call ends or {@code s} passes; a hold
   * longer than the web request cap answers 303 to the same URL plus {@code
   * __modal_function_call_id}, which the caller follows with GET.
   */
  private void result(Context ctx) {
    if (!proxy(ctx)) {
      return;
    }
    Call call = find(ctx);
    if (call == null) {
      return;
    }
    Duration wait = Duration.ZERO;
    String w = ctx.queryParam("wait");
    if (w != null) {
      try {
        wait = Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(w) * 1000)));
      } catch (NumberFormatException e) {
        appError(ctx, 422, "wait must be a number of seconds");
        return;
      }
    }
    Duration cap = kit.settings.modalRequestCap();
    Duration hold = wait.compareTo(cap) > 0 ? cap : wait;
    boolean done = kit.await(() -> call.life().phase(kit.now()).terminal(), hold);
    if (!done && wait.compareTo(cap) > 0) {
      ctx.status(303).header("Location", redirect(ctx, call.id())).result("");
      return;
    }
    answer(ctx, call, kit.now());
  }

  private String redirect(Context ctx, String id) {
    String url = kit.baseUrl() + ctx.path();
    String query = ctx.queryString();
    if (query == null || query.isEmpty()) {
      return url + "?" + REDIRECT_PARAM + "=" + id;
    }
    return url
        + "?"
        + query
        + (ctx.queryParam(REDIRECT_PARAM) == null ? "&" + REDIRECT_PARAM + "=" + id : "");
  }

  private void answer(Context ctx, Call call, Instant now) {
    Phase phase = call.life().phase(now);
    ObjectNode out = kit.object().put("request_id", call.id()).put("status", status(phase));
    Instant ended = call.life().endedAt(now);
    if (ended != null && !now.isBefore(ended.plus(kit.settings.modalRetention()))) {
      kit.json(ctx, 410, kit.object().put("error", "output expired"));
      return;
    }
    switch (phase) {
      case QUEUED, RUNNING -> {
        kit.json(ctx, 202, out);
        return;
      }
      case SUCCEEDED -> {
        ObjectNode response = out.putObject("response");
        ArrayNode images = response.putArray("images");
        for (String url :
            kit.imageUrls(
                call.id(), call.prompt(), call.seed(), FakeKit.imageCount(call.input()))) {
          images.addObject().put("url", url).put("seed", call.seed());
        }
      }
      case FAILED -> out.put("error", "RuntimeError: forced failure (fake provider)");
      case TIMED_OUT -> out.put("error", "FunctionTimeoutError: function call timed out");
      case CANCELED -> out.put("error", "InputCancellation: function call was cancelled");
    }
    kit.json(ctx, 200, out);
  }

  private void cancel(Context ctx) {
    if (proxy(ctx)) {
      Call call = find(ctx);
      if (call != null) {
        call.life().cancel(kit.now());
        kit.json(
            ctx,
            200,
            kit.object()
                .put("request_id", call.id())
                .put("status", status(call.life().phase(kit.now()))));
      }
    }
  }

  private static String status(Phase phase) {
    return switch (phase) {
      case QUEUED, RUNNING -> "PENDING";
      case SUCCEEDED -> "SUCCESS";
      case FAILED -> "FAILURE";
      case CANCELED -> "TERMINATED";
      case TIMED_OUT -> "TIMEOUT";
    };
  }

  boolean force(String id, Outcome outcome) {
    Call call = calls.get(id);
    if (call != null) {
      call.life().force(outcome, kit.now());
    }
    return call != null;
  }

  private static String newId() {
    char[] id = new char[22];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
    }
    return "fc-" + new String(id);
  }
}

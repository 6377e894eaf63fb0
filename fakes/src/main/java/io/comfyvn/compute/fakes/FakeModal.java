package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The ComfyVN Modal web-endpoint contract (docs/modal_web_endpoint_contract.md) under {@code
 * /modal}, behind Modal's proxy: proxy auth with {@code Modal-Key}/{@code Modal-Secret}, plain-text
 * {@code modal-http: ...} proxy errors, and the 303 redirect once a request outlives the web
 * request cap (150 s on Modal).
 *
 * <p>Like the sample app, its function runs ComfyUI workflows: an input {@code {workflow, inputs,
 * outputs?}} is run by {@link FakeExecutor} (the files written into its input folder by name), its
 * status reports {@code started} and {@code progress} node by node, its result lists {@code
 * outputs[]} of every kind served from {@code /modal/files/{call}/{name}} behind the proxy, and a
 * graph naming a model or node class the box lacks fails with {@code error_detail} naming it. A
 * {@code client_request_id} seen before answers the call it already spawned ({@code created:
 * false}), and {@code GET /modal/lookup/{client_request_id}} finds it.
 */
final class FakeModal {
  static final String PROVIDER = "modal";
  static final String FUNCTION = "comfyvn_render";
  private static final String BASE = "/modal";
  private static final String REDIRECT_PARAM = "__modal_function_call_id";
  private static final char[] ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

  private final FakeKit kit;
  private final Map<String, Call> calls = new ConcurrentHashMap<>();
  private final Map<String, String> byClientId = new ConcurrentHashMap<>();

  /**
   * One spawned call.
   *
   * @param run the executed graph of a workflow call, or null for a prompt call
   * @param wanted the output node ids the call asked for (empty: every output)
   */
  private record Call(
      String id,
      Lifecycle life,
      JsonNode input,
      String prompt,
      long seed,
      FakeExecutor.Run run,
      Set<String> wanted) {}

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
    registerWorkflowRoutes(r);
  }

  /** The routes a workflow call adds: its output files and the lookup by client request id. */
  private void registerWorkflowRoutes(RoutesConfig r) {
    kit.get(r, BASE + "/files/{id}/{name}", PROVIDER, "file", FakeModal::proxyError, this::file);
    kit.get(
        r, BASE + "/lookup/{client_id}", PROVIDER, "lookup", FakeModal::proxyError, this::lookup);
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
    String clientId = body.path("client_request_id").asText(null);
    if (clientId != null && !CLIENT_ID.matcher(clientId).matches()) {
      appError(ctx, 422, "client_request_id must be 1..128 of A-Z a-z 0-9 _ . : -");
      return;
    }
    synchronized (this) {
      String earlier = clientId == null ? null : byClientId.get(clientId);
      if (earlier != null) {
        // the same request again (a resend after a lost answer): the call it already spawned
        kit.json(ctx, 200, kit.object().put("request_id", earlier).put("created", false));
        return;
      }
      Call call = input.has("workflow") ? workflowCall(ctx, input) : promptCall(input);
      if (call == null) {
        return;
      }
      calls.put(call.id(), call);
      if (clientId != null) {
        byClientId.put(clientId, call.id());
      }
      kit.json(ctx, 200, kit.object().put("request_id", call.id()).put("created", true));
    }
  }

  private Call promptCall(JsonNode input) {
    Lifecycle life =
        new Lifecycle(
            kit.now(),
            kit.settings.queueTime(),
            kit.settings.runTime(),
            null,
            null,
            kit.outcome(PROVIDER, input));
    String prompt = FakeKit.prompt(input);
    return new Call(newId(), life, input, prompt, FakeKit.seed(input, prompt), null, Set.of());
  }

  /**
   * A workflow call, as the sample app runs one: the input files go into ComfyUI's input folder by
   * name, the graph is queued there; a graph ComfyUI refuses (a model or node class it lacks) ends
   * the call as a FAILURE as soon as it starts.
   */
  private Call workflowCall(Context ctx, JsonNode input) {
    JsonNode workflow = input.get("workflow");
    if (!workflow.isObject() || workflow.isEmpty()) {
      appError(ctx, 422, "input.workflow must be an API-format graph {node_id: {class_type, ...}}");
      return null;
    }
    Map<String, byte[]> files = new TreeMap<>();
    JsonNode given = input.path("inputs");
    if (!given.isMissingNode() && !given.isObject()) {
      appError(ctx, 422, "input.inputs must be an object {name: base64}");
      return null;
    }
    for (Map.Entry<String, JsonNode> f : given.properties()) {
      try {
        files.put(f.getKey(), Base64.getDecoder().decode(f.getValue().asText("")));
      } catch (IllegalArgumentException e) {
        appError(ctx, 422, "input.inputs['" + f.getKey() + "'] is not base64");
        return null;
      }
    }
    Set<String> wanted = new TreeSet<>();
    input.path("outputs").forEach(o -> wanted.add(o.asText()));
    FakeExecutor.Run run = kit.execute(PROVIDER, (ObjectNode) workflow, files);
    Outcome outcome = run.ok() ? kit.outcome(PROVIDER, input) : Outcome.FAIL;
    Duration runTime = run.ok() ? kit.settings.runTime() : Duration.ZERO;
    Lifecycle life =
        new Lifecycle(kit.now(), kit.settings.queueTime(), runTime, null, null, outcome);
    return new Call(newId(), life, input, "", FakeKit.seed(input, ""), run, wanted);
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
        kit.json(ctx, 200, statusJson(call, kit.now()));
      }
    }
  }

  /** {@code {request_id, status, started}} and, for a running workflow call, its progress. */
  private ObjectNode statusJson(Call call, Instant now) {
    Phase phase = call.life().phase(now);
    ObjectNode out =
        kit.object()
            .put("request_id", call.id())
            .put("status", status(phase))
            .put("started", phase != Phase.QUEUED);
    if (call.run() != null && phase == Phase.RUNNING && !call.run().progress().isEmpty()) {
      List<FakeExecutor.Step> steps = call.run().progress();
      double share = call.life().progress(now);
      FakeExecutor.Step st = steps.get(Math.min(steps.size() - 1, (int) (share * steps.size())));
      ObjectNode p =
          out.putObject("progress")
              .put("nodes_done", st.node() - 1)
              .put("nodes_total", st.nodes())
              .put("node_id", st.nodeId())
              .put("class_type", st.classType());
      if (st.steps() > 0) {
        p.put("step", st.step()).put("steps", st.steps());
      }
    }
    return out;
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
        if (call.run() != null) {
          workflowOutputs(response, call);
        } else {
          ArrayNode images = response.putArray("images");
          for (String url :
              kit.imageUrls(
                  call.id(), call.prompt(), call.seed(), FakeKit.imageCount(call.input()))) {
            images.addObject().put("url", url).put("seed", call.seed());
          }
        }
      }
      case FAILED -> {
        if (call.run() != null && !call.run().ok()) {
          refusal(out, call.run().failure());
        } else {
          out.put("error", "RuntimeError: forced failure (fake provider)");
        }
      }
      case TIMED_OUT -> out.put("error", "FunctionTimeoutError: function call timed out");
      case CANCELED -> out.put("error", "InputCancellation: function call was cancelled");
    }
    kit.json(ctx, 200, out);
  }

  /**
   * {@code outputs[]} of a finished workflow call: the saved files of the nodes asked for (the
   * previews when nothing was saved), and the images among them as {@code images[]} too.
   */
  private void workflowOutputs(ObjectNode response, Call call) {
    List<FakeExecutor.Output> chosen = chosen(call);
    ArrayNode outputs = response.putArray("outputs");
    ArrayNode images = response.putArray("images");
    for (FakeExecutor.Output o : chosen) {
      String url = kit.baseUrl() + BASE + "/files/" + call.id() + "/" + o.filename();
      outputs
          .addObject()
          .put("node_id", o.nodeId())
          .put("class_type", o.classType())
          .put("filename", o.filename())
          .put("subfolder", o.subfolder())
          .put("type", o.type())
          .put("kind", FakeExecutor.kind(o))
          .put("mime", o.mime())
          .put("bytes", o.data().length)
          .put("url", url);
      if (FakeExecutor.kind(o).equals("image")) {
        images.addObject().put("url", url).put("seed", call.seed());
      }
    }
  }

  private static List<FakeExecutor.Output> chosen(Call call) {
    return FakeExecutor.chosen(call.run(), call.wanted());
  }

  /** The app's word for a graph ComfyUI refused: the error text and what it names. */
  private static void refusal(ObjectNode out, FakeExecutor.Failure f) {
    ObjectNode d = out.putObject("error_detail");
    d.put("node_id", f.nodeId()).put("class_type", f.classType());
    if (f instanceof FakeExecutor.MissingModel m) {
      d.put("code", "missing_model").putArray("missing").add(m.folder() + "/" + m.name());
      out.put(
          "error",
          "ComfyUIError: Prompt outputs failed validation: "
              + m.classType()
              + ": Value not in list: "
              + m.input()
              + ": '"
              + m.name()
              + "' not in "
              + m.have());
    } else if (f instanceof FakeExecutor.MissingNode m) {
      d.put("code", "missing_node").putArray("missing").add(m.classType());
      out.put(
          "error",
          "ComfyUIError: Cannot execute because node " + m.classType() + " does not exist.");
    } else {
      FakeExecutor.MissingInput m = (FakeExecutor.MissingInput) f;
      d.put("code", "missing_input").putArray("missing").add(m.name());
      out.put(
          "error",
          "ComfyUIError: "
              + m.classType()
              + ": Invalid image file: "
              + m.name()
              + " (not in input.inputs)");
    }
  }

  /** A workflow call's output file, behind the proxy like every route of the app. */
  private void file(Context ctx) {
    if (!proxy(ctx)) {
      return;
    }
    Call call = calls.get(ctx.pathParam("id"));
    if (call != null && call.run() != null && call.life().phase(kit.now()) == Phase.SUCCEEDED) {
      for (FakeExecutor.Output o : chosen(call)) {
        if (o.filename().equals(ctx.pathParam("name"))) {
          ctx.status(200).contentType(o.mime()).result(o.data());
          return;
        }
      }
    }
    appError(ctx, 404, "not found");
  }

  /** The call spawned for a client request id: {@code {request_id, status, started}}, or 404. */
  private void lookup(Context ctx) {
    if (!proxy(ctx)) {
      return;
    }
    String id = byClientId.get(ctx.pathParam("client_id"));
    Call call = id == null ? null : calls.get(id);
    if (call == null) {
      appError(ctx, 404, "no call for client_request_id " + ctx.pathParam("client_id"));
      return;
    }
    kit.json(ctx, 200, statusJson(call, kit.now()));
  }

  private void cancel(Context ctx) {
    if (proxy(ctx)) {
      Call call = find(ctx);
      if (call != null) {
        call.life().cancel(kit.now());
        kit.json(ctx, 200, statusJson(call, kit.now()));
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

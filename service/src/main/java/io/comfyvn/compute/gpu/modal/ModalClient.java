package io.comfyvn.compute.gpu.modal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.OutputNode;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Modal through the ComfyVN web-endpoint contract (docs/modal_web_endpoint_contract.md): {@code
 * POST /run} spawns the function and returns its {@code fc-...} id, {@code GET
 * /requests/{id}/status} gives its {@code InputStatus}, {@code GET /requests/{id}} its result (202
 * while pending, 410 once expired), {@code POST /requests/{id}/cancel} terminates it. Proxy auth is
 * {@code Modal-Key}/{@code Modal-Secret}. A request that outlives Modal's 150 s web cap is answered
 * 303 See Other; the Location is followed with GET (Modal refuses a re-POST), up to 20 hops, and
 * only on the endpoint's own origin so the proxy tokens never go elsewhere.
 *
 * <p>A workflow job is sent as the function's input {@code {workflow, inputs, outputs, seed}}: the
 * graph as validated (seeds written in), each input file as base64 under the name its loader reads,
 * and the output node ids wanted; the sample app (docs/modal_sample_app.py) runs it on ComfyUI.
 * Every {@code /run} carries a {@code client_request_id} derived from our task id: the app answers
 * a resend with the call it already spawned, and {@code GET /lookup/{client_request_id}} finds that
 * call when a create's answer was lost, so no job is spawned twice. The status route's {@code
 * started} and {@code progress} tell queued from running and where the graph is; the result's
 * {@code outputs[]} are the files of every kind, and a failed call's {@code error_detail} names a
 * missing model or node.
 */
final class ModalClient implements LiveClient {
  static final String PROVIDER = "modal";
  static final String TOKEN_ID = "modal.token_id";
  static final String TOKEN_SECRET = "modal.token_secret";

  /** As many hops as browsers follow; Modal documents that a long result may take several. */
  static final int MAX_REDIRECTS = 20;

  /** Our word for a call spawned but not yet asked about: the create answer carries no status. */
  static final String SPAWNED = "SPAWNED";

  /** Job keys that choose what to run; the rest of a job without {@code input} is input. */
  private static final Set<String> ROUTING_KEYS = Set.of("function", "id");

  private static final Pattern CALL_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  /** What runs a workflow job here, as provenance records it. */
  static final String RUNNER = "Modal ComfyUI app";

  /** The function the sample app deploys, when the settings name none. */
  static final String DEFAULT_FUNCTION = "comfyvn_render";

  /** An id no call has, for the health probe (see {@link #health()}). */
  private static final String PROBE_ID = "fc-comfyvn-health-probe";

  private final LiveContext ctx;
  private final ProviderAnswers answers;

  ModalClient(LiveContext ctx) {
    this.ctx = ctx;
    this.answers = new ProviderAnswers(PROVIDER);
  }

  @Override
  public String runner() {
    return RUNNER;
  }

  @Override
  public Submitted submit(LiveJob job) {
    ProviderSettings s = job.settings();
    String base = base(s);
    String function = ProviderAnswers.text(job.job(), "function");
    if (function == null) {
      function =
          job.workflowRun().isPresent()
              ? s.text("function").orElse(DEFAULT_FUNCTION)
              : s.text("function")
                  .orElseThrow(
                      () ->
                          ProviderAnswers.notConfigured(
                              PROVIDER, "set 'function' in providers_gpu.modal or in the job"));
    }
    ObjectNode input =
        job.workflowRun().isPresent()
            ? workflowInput(job.workflowRun().get(), job.seed())
            : input(job.job());
    if (!input.has("seed")) {
      // our contract passes the seed, so the same task gives the same image
      input.put("seed", job.seed());
    }
    ObjectNode body = ctx.mapper().createObjectNode().put("function", function);
    String key = job.taskId() == null ? null : clientRequestId(job.taskId());
    if (key != null) {
      body.put("client_request_id", key);
    }
    body.set("input", input);
    HttpCall call = HttpCall.postJson(URI.create(base + "/run"), auth(), body.toString());
    Answer a;
    try {
      a = send(Op.CREATE, call, base);
    } catch (ProviderException e) {
      if (e.sent() == Sent.AMBIGUOUS && key != null) {
        // the answer was lost: the app says whether it spawned a call for our key
        Optional<Submitted> spawned = lookupQuietly(base, key);
        if (spawned.isPresent()) {
          return spawned.get();
        }
      }
      throw e;
    }
    ObjectNode answer = answers.object(Op.CREATE, a.call(), a.reply());
    String id = answers.requiredText(Op.CREATE, call.describe(), answer, "request_id");
    List<String> logs =
        answer.path("created").isBoolean() && !answer.get("created").asBoolean()
            ? List.of("The Modal app already had call " + id + " for this task; none spawned again")
            : List.of();
    return new Submitted(
        id, new JobState(TaskStatus.QUEUED, SPAWNED, null, null, logs, null, null));
  }

  /** Our key for a task's call: the same for every attempt, so the app recognises a resend. */
  static String clientRequestId(String taskId) {
    return "comfyvn-"
        + UUID.nameUUIDFromBytes(("comfyvn-modal/" + taskId).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The call the app spawned for one of our tasks, found by our key ({@code GET /lookup/{key}});
   * the contract's 404 means the app spawned none for it.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    String key = clientRequestId(query.taskId());
    return lookup(base(ctx.settings()), key)
        .<Reconciliation>map(
            s ->
                new Reconciliation.Found(
                    s, "the Modal app has call " + s.providerJobId() + " for " + key))
        .orElseGet(() -> new Reconciliation.NotThere("the Modal app spawned no call for " + key));
  }

  private Optional<Submitted> lookup(String base, String key) {
    HttpCall call = HttpCall.get(URI.create(base + "/lookup/" + key), auth());
    HttpReply r = ctx.http().call(Op.READ, call, st -> st == 404);
    if (r.status() == 404) {
      return Optional.empty();
    }
    ObjectNode answer = answers.object(Op.READ, call, r);
    String id = answers.requiredText(Op.READ, call.describe(), answer, "request_id");
    String raw = answer.path("status").asText("PENDING");
    return Optional.of(
        new Submitted(
            id(id),
            new JobState(
                status(raw, answer),
                raw,
                null,
                null,
                List.of(
                    "The Modal app already had call " + id + " for this task; not spawned again"),
                null,
                null)));
  }

  private Optional<Submitted> lookupQuietly(String base, String key) {
    try {
      return lookup(base, key);
    } catch (ProviderException e) {
      return Optional.empty();
    }
  }

  /**
   * The function's input for a workflow job: the graph exactly as validated (the same bytes every
   * provider gets), each input file as base64 under the name the graph's loader reads, the output
   * nodes wanted, and the seed (already written into the graph; the app records it).
   */
  private ObjectNode workflowInput(WorkflowRun run, long seed) {
    ObjectNode input = ctx.mapper().createObjectNode();
    input.set("workflow", run.job().graph().json());
    ObjectNode files = input.putObject("inputs");
    for (InputFile f : run.inputs()) {
      files.put(f.name(), Base64.getEncoder().encodeToString(f.data()));
    }
    ArrayNode outputs = input.putArray("outputs");
    for (OutputNode o : run.job().outputs()) {
      outputs.add(o.nodeId());
    }
    input.put("seed", seed);
    return input;
  }

  @Override
  public JobState poll(String providerJobId) {
    String base = base(ctx.settings());
    String id = id(providerJobId);
    HttpCall call = HttpCall.get(URI.create(base + "/requests/" + id + "/status"), auth());
    Answer a = send(Op.READ, call, base);
    ObjectNode answer = answers.object(Op.READ, a.call(), a.reply());
    String raw = answers.requiredText(Op.READ, call.describe(), answer, "status");
    TaskStatus status = status(raw, answer);
    if (status == TaskStatus.DONE) {
      return result(base, id, raw);
    }
    if (status == TaskStatus.ERROR) {
      return failed(base, id, raw);
    }
    Progress steps = progress(answer.path("progress"));
    return new JobState(
        status, raw, steps == null ? null : steps.fraction(), null, null, null, null, steps, null);
  }

  /**
   * The status word with the app's {@code started}: a call the app says has not started is queued
   * (Modal itself has no running state; without {@code started} a pending call counts as running).
   */
  static TaskStatus status(String raw, JsonNode answer) {
    TaskStatus s = status(raw);
    if (s == TaskStatus.RUNNING
        && answer.path("started").isBoolean()
        && !answer.get("started").asBoolean()) {
      return TaskStatus.QUEUED;
    }
    return s;
  }

  /** Where the graph is, as the app reports it from ComfyUI's socket; null when it says nothing. */
  private static Progress progress(JsonNode p) {
    if (!p.isObject() || !p.path("nodes_total").canConvertToInt()) {
      return null;
    }
    return new Progress(
        p.path("nodes_done").asInt(0),
        p.path("nodes_total").asInt(),
        p.path("step").canConvertToInt() ? p.get("step").asInt() : null,
        p.path("steps").canConvertToInt() ? p.get("steps").asInt() : null,
        ProviderAnswers.text(p, "node_id"),
        ProviderAnswers.text(p, "class_type"));
  }

  @Override
  public JobState cancel(String providerJobId) {
    String base = base(ctx.settings());
    URI uri = URI.create(base + "/requests/" + id(providerJobId) + "/cancel");
    HttpCall call = HttpCall.postJson(uri, auth(), "{}");
    Answer a = send(Op.CANCEL, call, base);
    JsonNode answer = answers.json(Op.CANCEL, a.call(), a.reply());
    String raw = answer.path("status").isTextual() ? answer.get("status").asText() : "TERMINATED";
    return new JobState(status(raw), raw, null, null, null, null, null);
  }

  /**
   * Asks for the status of an id no call has. The proxy checks the tokens before the app sees the
   * request, so an app's 404 means the endpoint is deployed and the tokens are accepted, while a
   * 401 from the proxy means they are not. (The contract has no separate health route.)
   */
  @Override
  public Health health() {
    String base;
    try {
      base = base(ctx.settings());
    } catch (ProviderException e) {
      return new Health(false, e.getMessage());
    }
    HttpCall call = HttpCall.get(URI.create(base + "/requests/" + PROBE_ID + "/status"), auth());
    try {
      send(Op.READ, call, base);
      return new Health(true, "web endpoint answered");
    } catch (ProviderException e) {
      if (EgressGuard.isDenial(e)) {
        throw e;
      }
      if (e.httpStatus() == 404) {
        return new Health(true, "web endpoint answered; proxy tokens accepted");
      }
      return new Health(false, e.getMessage());
    }
  }

  /** The result of a finished call; a 202 (status raced ahead of the result) is still running. */
  private JobState result(String base, String id, String raw) {
    HttpCall call = HttpCall.get(URI.create(base + "/requests/" + id), auth());
    Answer a;
    try {
      a = send(Op.READ, call, base);
    } catch (ProviderException e) {
      if (e.httpStatus() == 410) {
        return new JobState(
            TaskStatus.DONE,
            raw,
            1.0,
            List.of(),
            List.of("Modal no longer holds this result (results expire 7 days after a call ends)"),
            null,
            null);
      }
      throw e;
    }
    if (a.reply().status() == 202) {
      return new JobState(TaskStatus.RUNNING, raw, null, null, null, null, null);
    }
    ObjectNode answer = answers.object(Op.READ, a.call(), a.reply());
    List<String> logs = new ArrayList<>();
    List<Output> files = new ArrayList<>();
    JsonNode response = answer.get("response");
    for (Output o : outputs(response)) {
      files.add(o.url() != null && o.url().startsWith(base + "/") ? fetch(base, o, logs) : o);
    }
    return new JobState(TaskStatus.DONE, raw, 1.0, files, logs, null, null);
  }

  /**
   * A workflow call's {@code outputs[]} ({@code {node_id, filename, mime, url}}, every kind), else
   * every file URL or inline image anywhere in the response (a prompt call's {@code images}).
   */
  private static List<Output> outputs(JsonNode response) {
    if (response == null || !response.path("outputs").isArray()) {
      return LiveOutputs.collect(response);
    }
    List<Output> out = new ArrayList<>();
    for (JsonNode o : response.get("outputs")) {
      String url = ProviderAnswers.text(o, "url");
      String name = ProviderAnswers.text(o, "filename");
      String mime = ProviderAnswers.text(o, "mime");
      String b64 = ProviderAnswers.text(o, "base64");
      Output linked = url == null ? null : LiveOutputs.fromText(url);
      if (linked != null && linked.url() != null) {
        out.add(
            new Output(
                name != null ? name : linked.name(),
                linked.url(),
                null,
                mime != null ? mime : linked.mime()));
      } else if (b64 != null) {
        out.add(LiveOutputs.inline(name, b64, mime));
      }
    }
    return out;
  }

  /**
   * A file served by the endpoint itself sits behind the same proxy auth, which an artifact
   * download does not carry; the client fetches it and hands it on inline. A failed fetch leaves
   * the URL (and says why in the logs).
   */
  private Output fetch(String base, Output file, List<String> logs) {
    try {
      Answer a = send(Op.READ, HttpCall.get(URI.create(file.url()), auth()), base);
      String mime =
          a.reply().header("content-type").map(t -> t.split(";", 2)[0].strip()).orElse(null);
      return LiveOutputs.inline(
          file.name(),
          Base64.getEncoder().encodeToString(a.reply().body()),
          mime != null && !mime.isEmpty() ? mime : file.mime());
    } catch (ProviderException | IllegalArgumentException e) {
      logs.add("Could not fetch " + file.name() + " from the endpoint: " + e.getMessage());
      return file;
    }
  }

  /**
   * A failed call: the error the result route gives (the status word when it gives none), and the
   * missing model or node its {@code error_detail} names.
   */
  private JobState failed(String base, String id, String raw) {
    HttpCall call = HttpCall.get(URI.create(base + "/requests/" + id), auth());
    String text = "Modal call ended with " + raw;
    Failure failure = null;
    try {
      Answer a = send(Op.READ, call, base);
      JsonNode answer = answers.json(Op.READ, a.call(), a.reply());
      JsonNode err = answer.get("error");
      if (err != null && !err.isNull()) {
        text = ctx.http().scrub(err.isTextual() ? err.asText() : err.toString());
      }
      failure = failure(answer.path("error_detail"));
    } catch (ProviderException e) {
      // the status word still tells what happened
    }
    return new JobState(TaskStatus.ERROR, raw, null, null, null, text, null, null, failure);
  }

  /** {@code error_detail {code, node_id, class_type, missing[]}} as a typed failure, or null. */
  private Failure failure(JsonNode detail) {
    String code = ProviderAnswers.text(detail, "code");
    if (code == null || !(code.equals("missing_model") || code.equals("missing_node"))) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (JsonNode n : detail.path("missing")) {
      if (n.isTextual() && !n.asText().isBlank()) {
        names.add(ctx.http().scrub(n.asText()));
      }
    }
    String cls = ProviderAnswers.text(detail, "class_type");
    if (names.isEmpty() && code.equals("missing_node") && cls != null) {
      names.add(cls);
    }
    return new Failure(code, ProviderAnswers.text(detail, "node_id"), cls, names);
  }

  /**
   * Modal's words. Modal's SDK counts unknown values as PENDING; so do we (running). {@code
   * INTERNAL_FAILURE} is retried by Modal itself, so it is not an end either.
   */
  static TaskStatus status(String raw) {
    return switch (raw.toUpperCase(Locale.ROOT)) {
      case "SUCCESS" -> TaskStatus.DONE;
      case "FAILURE", "INIT_FAILURE", "TIMEOUT" -> TaskStatus.ERROR;
      case "TERMINATED" -> TaskStatus.CANCELED;
      default -> TaskStatus.RUNNING;
    };
  }

  /** One answer and the request it answers (the last hop after redirects). */
  private record Answer(HttpCall call, HttpReply reply) {}

  /** Sends a call and follows 303 See Other with GET on the same origin. */
  private Answer send(Op op, HttpCall first, String base) {
    HttpCall call = first;
    HttpReply reply = ctx.http().call(op, call);
    for (int hop = 0; reply.status() >= 300 && reply.status() < 400; hop++) {
      if (reply.status() != 303) {
        throw answers.bad(op, call.describe(), "unexpected redirect HTTP " + reply.status());
      }
      if (hop == MAX_REDIRECTS) {
        throw answers.bad(op, first.describe(), "more than " + MAX_REDIRECTS + " redirects");
      }
      String location =
          reply
              .header("location")
              .orElseThrow(() -> answers.bad(op, first.describe(), "303 without a Location"));
      URI next;
      try {
        next = call.uri().resolve(location.strip());
      } catch (IllegalArgumentException e) {
        throw answers.bad(op, first.describe(), "303 with an unreadable Location");
      }
      if (!sameOrigin(next, URI.create(base))) {
        throw answers.bad(op, first.describe(), "303 to another host; not followed");
      }
      call = HttpCall.get(next, auth());
      // the call behind the redirect already exists: waiting for it is a read, safe to retry
      reply = ctx.http().call(Op.READ, call);
    }
    return new Answer(call, reply);
  }

  private static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
        && Objects.equals(lower(a.getHost()), lower(b.getHost()))
        && port(a) == port(b);
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private ObjectNode input(ObjectNode job) {
    JsonNode input = job.get("input");
    if (input != null && !input.isNull()) {
      if (!input.isObject()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "job.input must be a JSON object");
      }
      return ((ObjectNode) input).deepCopy();
    }
    ObjectNode rest = job.deepCopy();
    rest.remove(ROUTING_KEYS);
    if (rest.isEmpty()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "the job has no input");
    }
    return rest;
  }

  private Map<String, String> auth() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Modal-Key", ctx.secret(TOKEN_ID).reveal());
    h.put("Modal-Secret", ctx.secret(TOKEN_SECRET).reveal());
    return h;
  }

  /** The deployed web endpoint's URL; there is no default, it is the user's own deployment. */
  private static String base(ProviderSettings s) {
    String b =
        s.text("base_url")
            .orElseThrow(
                () ->
                    ProviderAnswers.notConfigured(
                        PROVIDER,
                        "set 'base_url' in providers_gpu.modal to your deployed web endpoint"));
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  private static String id(String providerJobId) {
    if (providerJobId == null || !CALL_ID.matcher(providerJobId).matches()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "not a Modal function call id");
    }
    return providerJobId;
  }
}

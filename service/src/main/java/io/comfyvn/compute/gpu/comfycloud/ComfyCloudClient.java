package io.comfyvn.compute.gpu.comfycloud;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.InputRef;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Comfy API v2 (Comfy Cloud, serverless deployments and {@code comfy-api-proxy} in front of a
 * self-hosted ComfyUI), as its OpenAPI document describes it.
 *
 * <ul>
 *   <li>Inputs first: each file is uploaded with {@code POST /api/v2/assets} (multipart {@code
 *       file}, {@code content_type}, {@code file_path}, {@code tags=input}), and the graph's loader
 *       input then holds {@code {"__type":"core/ASSET","info":{"id":...,"file_path":...}}}.
 *   <li>{@code POST /api/v2/jobs {workflow}} with an {@code Idempotency-Key} derived from our task
 *       id: a resend after a lost answer is replayed by the API, never run twice. Validation is
 *       synchronous, so a graph naming a model or node the deployment lacks is refused (422) before
 *       any GPU time: that is this provider's preflight, answered as {@code missing_model} / {@code
 *       missing_node} with the names.
 *   <li>{@code GET /api/v2/jobs/{id}} is authoritative (the SSE stream is not used): status, {@code
 *       progress {value, nodes_done, nodes_total, step, steps, current_node, current_node_class}},
 *       {@code outputs[]}, {@code error}, {@code metrics}. {@code POST /api/v2/jobs/{id}/cancel}.
 * </ul>
 *
 * <p>Provider words ({@code provider_status}) are the API's own: {@code queued}, {@code running},
 * {@code succeeded}, {@code canceling}, {@code canceled}, {@code failed}, {@code expired}.
 */
final class ComfyCloudClient implements LiveClient {
  static final String PROVIDER = "comfy_cloud";
  static final String DEFAULT_BASE = "https://api.comfy.org";
  static final String TOKEN = "comfy_cloud.api_key";
  static final String RUNNER = "Comfy API v2";

  /** Job ids are {@code job_<ULID>} on Cloud and UUIDs behind the proxy; anything path-safe. */
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

  /** A job id no deployment has: a health probe reads it and expects 404 {@code not_found}. */
  static final String HEALTH_PROBE = "comfyvn-health-probe";

  private final LiveContext ctx;
  private final ProviderAnswers answers = new ProviderAnswers(PROVIDER);
  private final String base;
  private final URI baseUri;
  private final Map<String, String> auth;

  ComfyCloudClient(LiveContext ctx) {
    this.ctx = ctx;
    String b = ctx.settings().text("base_url").orElse(DEFAULT_BASE);
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    this.baseUri = URI.create(base + "/");
    this.auth = Map.of("Authorization", "Bearer " + ctx.secret(TOKEN).reveal());
  }

  @Override
  public String runner() {
    return RUNNER;
  }

  @Override
  public Submitted submit(LiveJob job) {
    WorkflowRun run =
        job.workflowRun()
            .orElseThrow(
                () ->
                    ProviderAnswers.invalidJob(
                        PROVIDER,
                        "Comfy API v2 runs workflows: send job.workflow (an API-format graph)"));
    Create c = create(job.taskId(), run);
    if (c.refused()) {
      throw c.refusal(run, ctx);
    }
    return submitted(c);
  }

  /**
   * A create as sent and answered. A refusal (402, 422) is the caller's to read: a submit throws
   * it, a reconcile reads it as "no job under this key".
   */
  private record Create(HttpCall call, HttpReply reply) {
    boolean refused() {
      return reply.status() == 402 || reply.status() == 422;
    }

    /** The API answered with the job an earlier create under the same key made. */
    boolean replayed() {
      return reply.header("idempotency-replayed").map("true"::equalsIgnoreCase).orElse(false);
    }

    ProviderException refusal(WorkflowRun run, LiveContext ctx) {
      return ErrorEnvelope.refused(PROVIDER, call, reply, run, ctx.http(), ctx.mapper());
    }
  }

  /**
   * Uploads the inputs and sends {@code POST /api/v2/jobs}, both under keys derived from the task:
   * the same task and workflow job always give the same requests, byte for byte (the graph is the
   * canonical one, each upload's key answers with the asset the first upload made), which is what
   * lets {@link #reconcile} resend a create after a restart.
   */
  private Create create(String taskId, WorkflowRun run) {
    ObjectNode graph = run.job().graph().json();
    for (InputFile f : run.inputs()) {
      String assetId = upload(taskId, f);
      for (InputRef ref : run.job().inputRefs()) {
        if (ref.name().equals(f.name())) {
          ObjectNode asset = ctx.mapper().createObjectNode().put("__type", "core/ASSET");
          asset.putObject("info").put("id", assetId).put("file_path", f.name());
          ((ObjectNode) graph.get(ref.nodeId()).get("inputs")).set(ref.input(), asset);
        }
      }
    }
    ObjectNode body = ctx.mapper().createObjectNode();
    body.set("workflow", graph);
    Map<String, String> headers = new LinkedHashMap<>(auth);
    headers.put(ProviderHttp.IDEMPOTENCY_KEY, idempotencyKey(taskId));
    HttpCall call = HttpCall.postJson(uri("/api/v2/jobs"), headers, body.toString());
    try {
      return new Create(call, ctx.http().call(Op.CREATE, call, s -> s == 402 || s == 422));
    } catch (ProviderException e) {
      throw queueFull(e);
    }
  }

  private Submitted submitted(Create c) {
    ObjectNode answer = answers.object(Op.CREATE, c.call(), c.reply());
    String id = answers.requiredText(Op.CREATE, c.call().describe(), answer, "id");
    JobState state = state(answer);
    if (c.replayed()) {
      state =
          state.plusLogs(
              List.of("Comfy API v2 replayed job " + id + " for this task (not created twice)"));
    }
    return new Submitted(id, state);
  }

  /**
   * How long after a create its key may be resent: Comfy API v2 keeps a key's answer for 24 h, and
   * a resend must arrive well inside that, or it could make a second job.
   */
  static final Duration RESEND_WITHIN = Duration.ofHours(23);

  /**
   * Comfy API v2 has no job list and sends no webhooks; a job is found only by the id its create
   * answer gave, or by resending that create under the same {@code Idempotency-Key}: the API
   * answers a byte-identical create under a key it has seen with the job it made (replayed, nothing
   * created), refuses another body under it ({@code idempotency_key_reuse}), and runs a create it
   * has not seen. So the create is rebuilt from what the task keeps ({@link
   * Reconciliation.Query#workflow}) and resent: replayed is the job; a first arrival is the one job
   * the task asked for (the first create never reached the API); a refusal means no job exists
   * under the key. A create that cannot be rebuilt exactly, or whose key may have expired, is not
   * resent: nothing else can find its job, so it cannot tell.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    if (query.now().isAfter(query.sentAt().plus(RESEND_WITHIN))) {
      return new Reconciliation.CannotTell(
          false,
          "Comfy API v2 has no job list or webhook, and the create is too old to resend under its"
              + " key (kept 24 h): a resend could make a second job");
    }
    Reconciliation.Workflow workflow = query.workflow().get(); // reads the inputs again: once
    if (workflow instanceof Reconciliation.Workflow.NotRebuilt not) {
      return new Reconciliation.CannotTell(
          false,
          "Comfy API v2 has no job list or webhook, and the create cannot be rebuilt for a keyed"
              + " resend: "
              + not.why());
    }
    Reconciliation.Workflow.Rebuilt rebuilt = (Reconciliation.Workflow.Rebuilt) workflow;
    Create c = create(query.taskId(), rebuilt.run());
    if (c.refused()) {
      ProviderException refusal = c.refusal(rebuilt.run(), ctx);
      if ("idempotency_key_reuse".equals(refusal.code())) {
        // a job exists under this key, made from other bytes than the rebuilt ones: its id is
        // not given, and nothing else finds it
        return new Reconciliation.CannotTell(
            false,
            "Comfy API v2 holds a create under this task's key whose body differs from the"
                + " rebuilt one");
      }
      return new Reconciliation.NotThere(
          "the create resent under this task's Idempotency-Key was refused, so no job exists"
              + " under it ("
              + refusal.getMessage()
              + ")");
    }
    Submitted job = submitted(c);
    return new Reconciliation.Found(
        job,
        c.replayed()
            ? "Comfy API v2 answered the create resent under this task's Idempotency-Key with job "
                + job.providerJobId()
                + ", made by the first create (nothing created again)"
            : "the create resent under this task's Idempotency-Key made job "
                + job.providerJobId()
                + ": the first create had not reached Comfy API v2 (one job for the task)");
  }

  /** Our key for a task's create: stable across resends of that create, unique per task. */
  static String idempotencyKey(String taskId) {
    return UUID.nameUUIDFromBytes(("comfyvn-job/" + taskId).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /** 429 {@code queue_full} after the door's own retries: the caller is told when to come back. */
  private static ProviderException queueFull(ProviderException e) {
    if (e.httpStatus() != 429) {
      return e;
    }
    ProviderException full =
        new ProviderException(
            Kind.UNAVAILABLE,
            "queue_full",
            PROVIDER
                + ": the deployment's queue is full"
                + e.retryAfter().map(d -> "; retry after " + d.toSeconds() + " s").orElse(""),
            true,
            Sent.REFUSED,
            429,
            e.retryAfter().orElse(null),
            e);
    e.retryAfter().ifPresent(d -> full.detail("retry_after_seconds", d.toSeconds()));
    return full;
  }

  /** Uploads one input; returns its asset id. Uploads are keyed too: a resend mints no copy. */
  private String upload(String taskId, InputFile f) {
    Map<String, String> headers = new LinkedHashMap<>(auth);
    headers.put(
        ProviderHttp.IDEMPOTENCY_KEY,
        UUID.nameUUIDFromBytes(
                ("comfyvn-asset/" + taskId + "/" + f.name() + "/" + f.sha256())
                    .getBytes(StandardCharsets.UTF_8))
            .toString());
    HttpCall call =
        HttpCall.postMultipart(
            uri("/api/v2/assets"),
            headers,
            List.of(
                new HttpCall.Part("file", f.name(), f.mime(), f.data()),
                HttpCall.Part.field("content_type", f.mime()),
                HttpCall.Part.field("file_path", f.name()),
                HttpCall.Part.field("tags", "input")));
    HttpReply reply;
    try {
      // an upload creates nothing billable; its key makes a resend mint no second asset
      reply = ctx.http().call(Op.CREATE, call, s -> s == 422 || s == 409);
    } catch (ProviderException e) {
      throw queueFull(e);
    }
    if (reply.status() >= 400) {
      throw new ProviderException(
          Kind.UNPROCESSABLE,
          "provider_rejected",
          PROVIDER
              + " "
              + call.describe()
              + " -> HTTP "
              + reply.status()
              + ": input '"
              + f.name()
              + "' refused: "
              + ctx.http().errorText(reply),
          false,
          Sent.NOT_SENT,
          reply.status(),
          null,
          null);
    }
    JsonNode asset = answers.object(Op.CREATE, call, reply);
    return answers.requiredText(Op.CREATE, call.describe(), asset, "id");
  }

  @Override
  public JobState poll(String providerJobId) {
    HttpCall call = HttpCall.get(uri("/api/v2/jobs/" + id(providerJobId)), auth);
    return state(answers.object(Op.READ, call, ctx.http().call(Op.READ, call)));
  }

  @Override
  public JobState cancel(String providerJobId) {
    HttpCall call =
        HttpCall.postJson(uri("/api/v2/jobs/" + id(providerJobId) + "/cancel"), auth, "{}");
    return state(answers.object(Op.CANCEL, call, ctx.http().call(Op.CANCEL, call)));
  }

  /**
   * The API has no health route in its public document, so health reads a job id no deployment has:
   * {@code 404 not_found} means the API answered and took the key; 401/403 fail as usual.
   */
  @Override
  public Health health() {
    HttpCall call = HttpCall.get(uri("/api/v2/jobs/" + HEALTH_PROBE), auth);
    HttpReply r = ctx.http().call(Op.READ, call, s -> s == 404);
    if (r.status() == 404) {
      return new Health(true, "Comfy API v2 at " + baseUri.getHost() + " accepts the API key");
    }
    return new Health(
        true, "Comfy API v2 at " + baseUri.getHost() + " answered " + r.status() + " to a probe");
  }

  /** A job object in the shared vocabulary. */
  private JobState state(JsonNode job) {
    String word = job.path("status").asText("");
    TaskStatus status =
        switch (word) {
          case "queued" -> TaskStatus.QUEUED;
          case "running" -> TaskStatus.RUNNING;
          case "succeeded" -> TaskStatus.DONE;
          // interruption takes effect at the next node or step: the request was taken
          case "canceling", "canceled" -> TaskStatus.CANCELED;
          case "failed", "expired" -> TaskStatus.ERROR;
          default ->
              throw answers.bad(
                  Op.READ, "GET /api/v2/jobs/{id}", "unknown job status '" + clip(word) + "'");
        };
    Progress steps = progress(job.path("progress"));
    Double fraction = null;
    if (job.path("progress").path("value").isNumber()) {
      fraction = Math.max(0, Math.min(1, job.path("progress").path("value").asDouble()));
    } else if (steps != null) {
      fraction = steps.fraction();
    }
    Map<String, Number> metrics = new LinkedHashMap<>();
    job.path("metrics")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isNumber()) {
                metrics.put(e.getKey(), e.getValue().numberValue());
              }
            });
    List<String> logs = new ArrayList<>();
    List<Output> outputs = status == TaskStatus.DONE ? outputs(job.path("outputs"), logs) : null;
    String error = null;
    Failure failure = null;
    JsonNode err = job.path("error");
    if (err.isObject()) {
      error = errorText(err, word);
      failure = ErrorEnvelope.runFailure(err);
    } else if (word.equals("expired")) {
      error = "the job expired before it ran (Comfy API v2 'expired')";
    }
    return new JobState(
        status,
        word,
        status == TaskStatus.DONE ? Double.valueOf(1.0) : fraction,
        outputs,
        logs,
        error,
        metrics,
        steps,
        failure);
  }

  private static Progress progress(JsonNode p) {
    if (!p.isObject() || !p.path("nodes_total").canConvertToInt()) {
      return null;
    }
    return new Progress(
        p.path("nodes_done").asInt(0),
        p.path("nodes_total").asInt(),
        p.path("step").canConvertToInt() ? p.get("step").asInt() : null,
        p.path("steps").canConvertToInt() ? p.get("steps").asInt() : null,
        ProviderAnswers.text(p, "current_node"),
        ProviderAnswers.text(p, "current_node_class"));
  }

  /**
   * Every committed output, of every kind. Signed URLs on another host are downloaded by the
   * artifact store without credentials; a URL on the API's own origin (comfy-api-proxy serves
   * {@code /api/v2/assets/{id}/content}) needs the bearer token, so it is fetched here.
   */
  private List<Output> outputs(JsonNode outputs, List<String> logs) {
    List<Output> out = new ArrayList<>();
    for (JsonNode o : outputs) {
      String url = ProviderAnswers.text(o, "url");
      if (url == null) {
        continue;
      }
      String name = ProviderAnswers.text(o, "name");
      String mime = ProviderAnswers.text(o, "content_type");
      URI resolved;
      try {
        resolved = baseUri.resolve(url);
      } catch (IllegalArgumentException bad) {
        logs.add("Comfy API v2 output " + clip(String.valueOf(name)) + " has an unusable URL");
        continue;
      }
      if (!sameOrigin(resolved)) {
        out.add(new Output(name, resolved.toString(), null, mime));
        continue;
      }
      try {
        HttpCall call = HttpCall.get(resolved, auth);
        HttpReply r = ctx.http().call(Op.READ, call);
        String type = r.header("content-type").map(t -> t.split(";", 2)[0].strip()).orElse(mime);
        out.add(
            LiveOutputs.inline(name, Base64.getEncoder().encodeToString(r.body()), nonBlank(type)));
      } catch (ProviderException e) {
        logs.add("Could not fetch output " + clip(String.valueOf(name)) + ": " + e.getMessage());
      }
    }
    return out;
  }

  private boolean sameOrigin(URI u) {
    return eq(u.getScheme(), baseUri.getScheme())
        && eq(u.getHost(), baseUri.getHost())
        && port(u) == port(baseUri);
  }

  private static boolean eq(String a, String b) {
    return a != null && a.equalsIgnoreCase(b);
  }

  private static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private String errorText(JsonNode err, String word) {
    StringBuilder b = new StringBuilder();
    b.append(err.path("code").asText(word));
    String message = ProviderAnswers.text(err, "message");
    if (message != null) {
      b.append(": ").append(message);
    }
    String node = ProviderAnswers.text(err, "node_id");
    if (node != null) {
      b.append(" (")
          .append(Optional.ofNullable(ProviderAnswers.text(err, "class_type")).orElse("node"))
          .append(" #")
          .append(node)
          .append(')');
    }
    String text = ctx.http().scrub(b.toString());
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  private static String nonBlank(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private static String id(String providerJobId) {
    if (providerJobId == null || !JOB_ID.matcher(providerJobId).matches()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "not a Comfy API v2 job id");
    }
    return providerJobId;
  }
}

package io.comfyvn.compute.gpu.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException.Kind;
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
import io.comfyvn.compute.gpu.huggingface.InferenceRuns.Run;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face, on two paths (docs/remote_gpu_services.md, "Hugging Face: which path a job takes"):
 *
 * <ul>
 *   <li><b>HF Jobs</b> for a job that names a container ({@code docker_image} or {@code space_id}
 *       with {@code command}): a real job API, {@code POST {jobs_base_url}/jobs/{ns}}, poll, cancel
 *       and logs. The job id is {@code {ns}/{id}}.
 *   <li><b>Inference Endpoint</b> otherwise: submit reads the endpoint's state, resumes it when it
 *       is paused or scaled to zero, and hands the one synchronous inference request ({@code POST
 *       {status.url}} with {@code X-Scale-Up-Timeout}) to {@link InferenceRuns}; poll reads that
 *       run. The job id is {@code hfie-<task id>}.
 * </ul>
 *
 * <p>A workflow job takes the Inference Endpoint path, to a custom container running ComfyUI behind
 * the handler contract of docs/hf_comfyui_container.md: {@code {"inputs": {workflow, files,
 * outputs}, "parameters": {seed, request_id}}} (the graph byte for byte as validated, the input
 * files by name, a {@code request_id} derived from the task id so a resend is answered, not run
 * again); the answer's {@code outputs[]} come back inline, and a 422 {@code missing_model} / {@code
 * missing_node} becomes the run's typed failure with the names.
 */
final class HuggingFaceClient implements LiveClient {
  static final String PROVIDER = "huggingface";
  static final String SECRET = "huggingface.api_key";
  static final String DEFAULT_BASE_URL = "https://api.endpoints.huggingface.cloud/v2";
  static final String DEFAULT_JOBS_BASE_URL = "https://huggingface.co/api";
  static final String RUN_PREFIX = "hfie-";

  /** The HF Jobs label that carries our task id (how a job is found again after a crash). */
  static final String TASK_LABEL = "comfyvn_task";

  /** What runs a workflow job here, as provenance records it. */
  static final String RUNNER = "HF Inference Endpoint (ComfyUI container)";

  /** How long the proxy may hold a request for a cold endpoint (HF's documented example). */
  static final Duration SCALE_UP_TIMEOUT = Duration.ofSeconds(600);

  /**
   * Waits between reads of a starting endpoint's state: quick at first (a resumed endpoint may be
   * back soon), doubling up to huggingface_hub's wait() interval of 5 s, so a cold start of minutes
   * costs few management calls.
   */
  static final Duration FIRST_READY_POLL = Duration.ofMillis(250);

  static final Duration MAX_READY_POLL = Duration.ofSeconds(5);

  /** The longest a run waits for its endpoint to start, unless {@code scale_up_timeout_s} says. */
  static final Duration READY_DEADLINE = Duration.ofSeconds(600);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

  /** HF Jobs print their files as {@code artifact: <url>} (our convention, see the docs). */
  private static final Pattern ARTIFACT = Pattern.compile("^artifact:\\s*(\\S+)\\s*$");

  private final LiveContext ctx;
  private final InferenceRuns runs;
  private final ProviderAnswers answers;

  HuggingFaceClient(LiveContext ctx, InferenceRuns runs) {
    this.ctx = ctx;
    this.runs = runs;
    this.answers = new ProviderAnswers(PROVIDER);
  }

  @Override
  public String runner() {
    return RUNNER;
  }

  @Override
  public Submitted submit(LiveJob job) {
    ObjectNode j = job.job();
    if (j.hasNonNull("docker_image") || j.hasNonNull("space_id")) {
      return submitJob(job);
    }
    return submitInference(job);
  }

  @Override
  public JobState poll(String providerJobId) {
    if (providerJobId != null && providerJobId.startsWith(RUN_PREFIX)) {
      return runs.find(providerJobId).map(Run::snapshot).orElseGet(HuggingFaceClient::lost);
    }
    JobRef ref = JobRef.parse(providerJobId);
    HttpCall call = HttpCall.get(jobUri(ref, ""), auth());
    ObjectNode info = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    JobState state = jobState(call.describe(), info);
    return state.status().terminal() ? withLogs(ref, state) : state;
  }

  @Override
  public JobState cancel(String providerJobId) {
    if (providerJobId != null && providerJobId.startsWith(RUN_PREFIX)) {
      return runs.find(providerJobId)
          .map(
              r -> {
                r.cancel();
                return r.snapshot();
              })
          .orElseGet(HuggingFaceClient::lost);
    }
    JobRef ref = JobRef.parse(providerJobId);
    HttpCall call = new HttpCall("POST", jobUri(ref, "/cancel"), auth(), new byte[0]);
    return jobState(
        call.describe(), answers.object(Op.CANCEL, call, ctx.http().call(Op.CANCEL, call)));
  }

  /**
   * HF Jobs carry our task id as the label {@code comfyvn_task}, so {@code GET /jobs/{ns}} (the
   * namespace's jobs) finds a job whose create answer was lost; no such job: none was created. An
   * Inference Endpoint call is one synchronous request answered to the process that sent it: once
   * that process is gone, its result cannot be asked for again (the endpoint keeps no record of
   * requests), so such a task cannot be found.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    ObjectNode j = query.job();
    if (!(j.hasNonNull("docker_image") || j.hasNonNull("space_id"))) {
      return new Reconciliation.CannotTell(
          false,
          "an Inference Endpoint request cannot be looked up: its answer went to the process that"
              + " sent it");
    }
    ProviderSettings s = ctx.settings();
    String ns = namespace(s);
    HttpCall call = HttpCall.get(URI.create(jobsBase(s) + "/jobs/" + ns), auth());
    JsonNode list = answers.json(Op.READ, call, ctx.http().call(Op.READ, call));
    for (JsonNode info : list) {
      if (query.taskId().equals(info.path("labels").path(TASK_LABEL).asText(null))
          && info.path("id").isTextual()) {
        String id = ns + "/" + info.get("id").asText();
        return new Reconciliation.Found(
            new Submitted(id, jobState(call.describe(), info)),
            "HF Jobs lists job " + id + " with label " + TASK_LABEL + "=" + query.taskId());
      }
    }
    return new Reconciliation.NotThere(
        "no job labelled " + TASK_LABEL + "=" + query.taskId() + " in HF Jobs of " + ns);
  }

  /**
   * The endpoint's state when one is configured, else whether HF Jobs answers for the namespace.
   */
  @Override
  public Health health() {
    ProviderSettings s = ctx.settings();
    try {
      if (s.text("endpoint").isPresent()) {
        Endpoint e = endpoint(s);
        return new Health(
            !e.broken(),
            "endpoint "
                + e.name()
                + " is "
                + e.state()
                + (e.message() == null ? "" : ": " + e.message()));
      }
      String ns = namespace(s);
      HttpCall call = HttpCall.get(URI.create(jobsBase(s) + "/jobs/" + ns), auth());
      ctx.http().call(Op.READ, call);
      return new Health(true, "HF Jobs answered for namespace " + ns);
    } catch (ProviderException e) {
      if (EgressGuard.isDenial(e)) {
        throw e;
      }
      return new Health(false, e.getMessage());
    }
  }

  // ---- Inference Endpoint path ----

  /** An endpoint as the management API describes it. */
  record Endpoint(String name, String state, String message, String url) {
    /** Whether it cannot serve until someone redeploys it. */
    boolean broken() {
      return state.equals("failed") || state.equals("updateFailed");
    }
  }

  private Submitted submitInference(LiveJob job) {
    String id = RUN_PREFIX + (job.taskId() != null ? job.taskId() : UUID.randomUUID().toString());
    Run earlier = runs.find(id).orElse(null);
    if (earlier != null) {
      // the same task again: report the run, never send its inference request twice
      return new Submitted(id, earlier.snapshot());
    }
    ProviderSettings s = job.settings();
    ObjectNode payload = inferencePayload(job);
    // the URL the token is sent to comes from the config file only, never from a request's
    // overrides (which may set the endpoint's name, not where our credentials go)
    String fixedUrl = ctx.settings().text("endpoint_url").orElse(null);
    List<String> logs = new ArrayList<>();
    Endpoint first = null;
    if (s.text("endpoint").isPresent()) {
      first = endpoint(s);
      failIfBroken(first);
      logs.add("Endpoint " + first.name() + " is " + first.state());
      if (first.state().equals("paused") || first.state().equals("scaledToZero")) {
        logs.add(resume(s, first));
      }
    } else if (fixedUrl == null) {
      throw ProviderAnswers.notConfigured(
          PROVIDER,
          "set 'endpoint' (with 'namespace') or 'endpoint_url' in providers_gpu.huggingface");
    }
    Endpoint seen = first;
    Duration deadline = readyDeadline(s);
    JobState initial =
        new JobState(
            TaskStatus.QUEUED,
            seen == null ? "unknown" : seen.state(),
            null,
            null,
            logs,
            null,
            null);
    WorkflowRun wf = job.workflow();
    Run run = runs.start(id, initial, r -> infer(r, s, seen, fixedUrl, payload, deadline, wf));
    return new Submitted(id, run.snapshot());
  }

  /** {@code {"inputs": ..., "parameters": {...}}} from the job, with the task's seed. */
  private ObjectNode inferencePayload(LiveJob job) {
    if (job.workflowRun().isPresent()) {
      return workflowPayload(job.workflowRun().get(), job.seed(), job.taskId());
    }
    ObjectNode j = job.job();
    JsonNode input = j.get("input");
    if (input != null && !input.isNull() && !input.isObject()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "job.input must be a JSON object");
    }
    ObjectNode out = ctx.mapper().createObjectNode();
    if (j.hasNonNull("inputs")) {
      out.set("inputs", j.get("inputs"));
    } else if (input != null && input.path("prompt").isTextual()) {
      out.put("inputs", input.get("prompt").asText());
    } else {
      throw ProviderAnswers.invalidJob(PROVIDER, "the job needs input.prompt or inputs");
    }
    ObjectNode parameters = out.putObject("parameters");
    if (input != null && !j.hasNonNull("inputs")) {
      // the rest of a prompt-style input (width, negative_prompt...) are the task's parameters
      input
          .properties()
          .forEach(
              e -> {
                if (!e.getKey().equals("prompt")) {
                  parameters.set(e.getKey(), e.getValue());
                }
              });
    }
    if (j.path("parameters").isObject()) {
      parameters.setAll((ObjectNode) j.get("parameters"));
    }
    if (!parameters.has("seed")) {
      parameters.put("seed", job.seed());
    }
    return out;
  }

  /**
   * A workflow job in the ComfyUI container's envelope (docs/hf_comfyui_container.md): the graph as
   * validated, each input file as base64 under the name its loader reads, the output nodes wanted;
   * the seed (already in the graph) and our request id as parameters.
   */
  private ObjectNode workflowPayload(WorkflowRun run, long seed, String taskId) {
    ObjectNode out = ctx.mapper().createObjectNode();
    ObjectNode inputs = out.putObject("inputs");
    inputs.set("workflow", run.job().graph().json());
    ObjectNode files = inputs.putObject("files");
    for (InputFile f : run.inputs()) {
      files.put(f.name(), Base64.getEncoder().encodeToString(f.data()));
    }
    ArrayNode outputs = inputs.putArray("outputs");
    run.job().outputs().forEach(o -> outputs.add(o.nodeId()));
    ObjectNode parameters = out.putObject("parameters").put("seed", seed);
    if (taskId != null) {
      parameters.put("request_id", requestId(taskId));
    }
    return out;
  }

  /** Our key for a task's inference request: the same for every attempt of one task. */
  static String requestId(String taskId) {
    return "comfyvn-"
        + UUID.nameUUIDFromBytes(("comfyvn-hf/" + taskId).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The container's refusal of a workflow (422 {@code {"error": {code, message, node_id,
   * class_type, missing}}}) as the run's end: a missing model or node by name, else the message.
   */
  private void refused(Run run, HttpReply reply, WorkflowRun wf) {
    JsonNode err;
    try {
      err = ctx.mapper().readTree(reply.body()).path("error");
    } catch (java.io.IOException notJson) {
      err = ctx.mapper().createObjectNode();
    }
    String code = err.path("code").asText("");
    String message = ctx.http().scrub(err.path("message").asText(ctx.http().errorText(reply)));
    String nodeId = ProviderAnswers.text(err, "node_id");
    String cls = ProviderAnswers.text(err, "class_type");
    List<String> names = new ArrayList<>();
    err.path("missing").forEach(n -> names.add(ctx.http().scrub(n.asText())));
    String text =
        "huggingface: the ComfyUI container refused the workflow (HTTP "
            + reply.status()
            + (code.isEmpty() ? "" : ", " + code)
            + "): "
            + shorten(message);
    if (code.equals("missing_model")) {
      List<String> named = new ArrayList<>();
      for (String n : names) {
        named.add(
            wf.job().models().stream()
                .filter(m -> m.name().equals(n) && (nodeId == null || m.nodeId().equals(nodeId)))
                .map(m -> m.folder() + "/" + m.name())
                .findFirst()
                .orElse(n));
      }
      run.fail("failed", text, new Failure("missing_model", nodeId, cls, named));
    } else if (code.equals("missing_node")) {
      run.fail(
          "failed",
          text,
          new Failure(
              "missing_node", nodeId, cls, names.isEmpty() && cls != null ? List.of(cls) : names));
    } else {
      run.fail("failed", text);
    }
  }

  /**
   * A run's work: wait (on the management API, with short requests) until the endpoint can take the
   * request, then send the inference request once.
   */
  private void infer(
      Run run,
      ProviderSettings s,
      Endpoint first,
      String fixedUrl,
      ObjectNode payload,
      Duration readyDeadline,
      WorkflowRun wf) {
    try {
      String url = fixedUrl;
      String word = "unknown";
      if (first != null) {
        Endpoint ready = awaitEndpoint(run, s, first, readyDeadline);
        if (ready == null) {
          return;
        }
        url = fixedUrl != null ? fixedUrl : ready.url();
        word = ready.state();
      }
      if (!run.markSent(word)) {
        return;
      }
      Map<String, String> headers = auth();
      headers.put("X-Scale-Up-Timeout", String.valueOf(SCALE_UP_TIMEOUT.toSeconds()));
      HttpCall call = HttpCall.postJson(URI.create(url), headers, payload.toString());
      run.log("Inference request sent");
      // The proxy may hold the request while the endpoint scales up, then the inference runs: the
      // wait covers both (on this run's own thread, never a request thread).
      HttpReply reply =
          wf == null
              ? ctx.http().call(Op.CREATE, call, inferenceTimeout(ctx.http().timeout(Op.CREATE)))
              : ctx.http()
                  .call(
                      Op.CREATE,
                      call,
                      inferenceTimeout(ctx.http().timeout(Op.CREATE)),
                      st -> st == 400 || st == 422);
      if (wf != null && reply.status() >= 400) {
        refused(run, reply, wf);
        return;
      }
      List<Output> files = inferenceOutputs(run, call, reply);
      run.done(files, "completed");
    } catch (ProviderException e) {
      run.fail("failed", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      run.fail("failed", "the service stopped while the run waited for the endpoint");
    } catch (RuntimeException e) {
      run.fail("failed", "huggingface: unexpected " + e.getClass().getSimpleName());
    }
  }

  /**
   * Reads the endpoint until it can take the request: running with a URL, or scaled to zero with a
   * URL (the request itself wakes it, held by {@code X-Scale-Up-Timeout}).
   *
   * @return the endpoint, or null when the run was canceled meanwhile
   */
  private Endpoint awaitEndpoint(Run run, ProviderSettings s, Endpoint first, Duration deadline)
      throws InterruptedException {
    Instant until = runs.clock().instant().plus(deadline);
    Duration wait = FIRST_READY_POLL;
    Endpoint e = first;
    while (true) {
      if (run.canceled()) {
        return null;
      }
      run.waiting(e.state());
      failIfBroken(e);
      boolean hasUrl = e.url() != null || ctx.settings().text("endpoint_url").isPresent();
      if (hasUrl && (e.state().equals("running") || e.state().equals("scaledToZero"))) {
        return e;
      }
      if (!runs.clock().instant().isBefore(until)) {
        throw new ProviderException(
            Kind.UPSTREAM_TIMEOUT,
            "provider_endpoint_not_ready",
            "huggingface: endpoint "
                + e.name()
                + " is still "
                + e.state()
                + " after "
                + deadline.toSeconds()
                + " s; the inference request was not sent",
            true,
            Sent.NOT_SENT,
            0,
            null,
            null);
      }
      runs.pause().pause(wait);
      wait =
          wait.multipliedBy(2).compareTo(MAX_READY_POLL) > 0
              ? MAX_READY_POLL
              : wait.multipliedBy(2);
      e = endpoint(s);
    }
  }

  /** The endpoint's answer as files: raw media bytes, or the files named in a JSON answer. */
  private List<Output> inferenceOutputs(Run run, HttpCall call, HttpReply reply) {
    String type = reply.header("content-type").orElse("application/octet-stream");
    String mime = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    run.log(
        "Endpoint answered HTTP "
            + reply.status()
            + " "
            + mime
            + ", "
            + reply.body().length
            + " bytes");
    if (mime.equals("application/json") || mime.endsWith("+json")) {
      JsonNode answer = answers.json(Op.CREATE, call, reply);
      List<Output> files = LiveOutputs.collect(answer);
      if (files.isEmpty()) {
        String text = answer.toString();
        run.log("Answer: " + ctx.http().scrub(shorten(text)));
      }
      return files;
    }
    if (mime.startsWith("text/")) {
      String text = reply.text();
      run.log("Answer: " + ctx.http().scrub(shorten(text)));
      return List.of();
    }
    String ext = mime.contains("/") ? mime.substring(mime.indexOf('/') + 1) : "bin";
    String name =
        "output." + (ext.equals("jpeg") ? "jpg" : ext.equals("octet-stream") ? "bin" : ext);
    return List.of(
        LiveOutputs.inline(name, Base64.getEncoder().encodeToString(reply.body()), mime));
  }

  private static String shorten(String text) {
    return text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
  }

  private Endpoint endpoint(ProviderSettings s) {
    String ns = namespace(s);
    String name = name(s.text("endpoint").orElseThrow(), "endpoint");
    HttpCall call = HttpCall.get(URI.create(base(s) + "/endpoint/" + ns + "/" + name), auth());
    ObjectNode e = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    JsonNode status = e.path("status");
    String state = answers.requiredText(Op.READ, call.describe(), status, "state");
    return new Endpoint(
        name, state, ProviderAnswers.text(status, "message"), ProviderAnswers.text(status, "url"));
  }

  /**
   * Resumes a paused or scaled-to-zero endpoint. A refusal is not fatal: "already running" is a
   * race we lost happily, and a scaled-to-zero endpoint also wakes on the request itself.
   */
  private String resume(ProviderSettings s, Endpoint e) {
    URI uri = URI.create(base(s) + "/endpoint/" + namespace(s) + "/" + e.name() + "/resume");
    HttpCall call = new HttpCall("POST", uri, auth(), new byte[0]);
    try {
      // resuming twice is harmless, so it is retried like a read
      ctx.http().call(Op.READ, call);
      return "Asked endpoint " + e.name() + " to resume";
    } catch (ProviderException refused) {
      if (refused.httpStatus() == 400) {
        return "Endpoint " + e.name() + " did not resume (" + refused.getMessage() + ")";
      }
      throw refused;
    }
  }

  /** How long the inference request waits: the scale-up hold plus the create's own timeout. */
  static Duration inferenceTimeout(Duration createTimeout) {
    return SCALE_UP_TIMEOUT.plus(createTimeout);
  }

  private static Duration readyDeadline(ProviderSettings s) {
    String v = s.text("scale_up_timeout_s").orElse(null);
    try {
      return v == null ? READY_DEADLINE : Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
    } catch (NumberFormatException e) {
      throw ProviderAnswers.notConfigured(PROVIDER, "scale_up_timeout_s must be whole seconds");
    }
  }

  private static void failIfBroken(Endpoint e) {
    if (e.broken()) {
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "provider_endpoint_failed",
          "huggingface: endpoint "
              + e.name()
              + " is "
              + e.state()
              + (e.message() == null ? "" : ": " + e.message()),
          false,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
  }

  /** What poll says about a run this process does not hold (restart, or kept too long). */
  private static JobState lost() {
    return new JobState(
        TaskStatus.LOST,
        "lost",
        null,
        null,
        null,
        "this service no longer holds the inference call's result (it restarted while the call"
            + " ran, or the result was dropped "
            + InferenceRuns.KEEP_FOR.toHours()
            + " h after it ended); the call is never repeated on its own",
        null);
  }

  // ---- HF Jobs path ----

  /** An HF Job as {@code {ns}/{id}}. */
  record JobRef(String namespace, String id) {
    static JobRef parse(String providerJobId) {
      String[] parts = providerJobId == null ? new String[0] : providerJobId.split("/", -1);
      if (parts.length != 2
          || !NAME.matcher(parts[0]).matches()
          || !NAME.matcher(parts[1]).matches()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "not a Hugging Face job id");
      }
      return new JobRef(parts[0], parts[1]);
    }

    @Override
    public String toString() {
      return namespace + "/" + id;
    }
  }

  private Submitted submitJob(LiveJob job) {
    ObjectNode j = job.job();
    ProviderSettings s = job.settings();
    String ns = namespace(s);
    ObjectNode body = ctx.mapper().createObjectNode();
    if (j.hasNonNull("docker_image")) {
      body.put("dockerImage", requiredText(j, "docker_image"));
    } else {
      body.put("spaceId", requiredText(j, "space_id"));
    }
    JsonNode command = j.get("command");
    if (command != null && command.isTextual()) {
      body.putArray("command").add("/bin/sh").add("-c").add(command.asText());
    } else if (command != null && command.isArray()) {
      body.set("command", strings(command, "command"));
    } else if (body.has("dockerImage")) {
      throw ProviderAnswers.invalidJob(PROVIDER, "a docker_image job needs a command");
    }
    if (j.has("arguments")) {
      body.set("arguments", strings(j.get("arguments"), "arguments"));
    }
    body.set("environment", environment(job));
    String flavor =
        j.path("flavor").isTextual() ? j.get("flavor").asText() : s.text("flavor").orElse(null);
    if (flavor != null) {
      body.put("flavor", flavor);
    }
    if (j.has("timeout_seconds")) {
      if (!j.get("timeout_seconds").canConvertToLong()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "job.timeout_seconds must be a whole number");
      }
      body.put("timeoutSeconds", j.get("timeout_seconds").asLong());
    }
    if (job.taskId() != null) {
      body.putObject("labels").put(TASK_LABEL, job.taskId());
    }
    HttpCall call =
        HttpCall.postJson(URI.create(jobsBase(s) + "/jobs/" + ns), auth(), body.toString());
    ObjectNode info = answers.object(Op.CREATE, call, ctx.http().call(Op.CREATE, call));
    String id = answers.requiredText(Op.CREATE, call.describe(), info, "id");
    return new Submitted(ns + "/" + id, jobState(call.describe(), info));
  }

  /**
   * The job's environment plus what a ComfyVN container reads: {@code COMFYVN_TASK_ID}, {@code
   * COMFYVN_SEED}, {@code COMFYVN_PROMPT} (when the input has a prompt) and {@code COMFYVN_INPUT}
   * (the input as JSON).
   */
  private ObjectNode environment(LiveJob job) {
    ObjectNode j = job.job();
    ObjectNode env = ctx.mapper().createObjectNode();
    JsonNode given = j.has("environment") ? j.get("environment") : j.get("env");
    if (given != null && !given.isNull()) {
      if (!given.isObject()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "job.environment must be a JSON object");
      }
      given.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    if (job.taskId() != null) {
      env.put("COMFYVN_TASK_ID", job.taskId());
    }
    env.put("COMFYVN_SEED", Long.toString(job.seed()));
    JsonNode input = j.get("input");
    if (input != null && input.isObject()) {
      if (input.path("prompt").isTextual()) {
        env.put("COMFYVN_PROMPT", input.get("prompt").asText());
      }
      env.put("COMFYVN_INPUT", input.toString());
    }
    return env;
  }

  /** A JobInfo in the shared vocabulary. */
  private JobState jobState(String where, JsonNode info) {
    JsonNode status = info.path("status");
    String stage = answers.requiredText(Op.READ, where, status, "stage");
    TaskStatus s = stage(stage);
    String message = ProviderAnswers.text(status, "message");
    if (message != null) {
      message = ctx.http().scrub(message);
    }
    return new JobState(
        s,
        stage,
        s == TaskStatus.DONE ? Double.valueOf(1.0) : null,
        null,
        null,
        s == TaskStatus.ERROR ? (message == null ? "HF Job ended with " + stage : message) : null,
        null);
  }

  /** HF Jobs stages; unknown future ones count as running. */
  static TaskStatus stage(String raw) {
    return switch (raw.toUpperCase(Locale.ROOT)) {
      case "SCHEDULING" -> TaskStatus.QUEUED;
      case "COMPLETED" -> TaskStatus.DONE;
      case "ERROR" -> TaskStatus.ERROR;
      case "CANCELED", "CANCELLED", "DELETED" -> TaskStatus.CANCELED;
      default -> TaskStatus.RUNNING;
    };
  }

  /**
   * A finished job's state with its logs (server-sent events, one {@code data: {"data": line}} per
   * line) and the files it printed as {@code artifact: <url>}. Logs are read only once the job has
   * ended: a running job's log stream stays open.
   */
  private JobState withLogs(JobRef ref, JobState state) {
    List<String> lines = new ArrayList<>();
    List<Output> files = new ArrayList<>();
    HttpCall call = HttpCall.get(jobUri(ref, "/logs"), auth());
    try {
      HttpReply reply = ctx.http().call(Op.READ, call);
      for (String raw : reply.text().split("\r?\n")) {
        if (!raw.startsWith("data:")) {
          continue;
        }
        String line = logLine(raw.substring(5).strip());
        lines.add(line);
        Matcher m = ARTIFACT.matcher(line);
        Output o = m.matches() ? LiveOutputs.fromText(m.group(1)) : null;
        if (o != null) {
          files.add(o);
        }
      }
    } catch (ProviderException e) {
      lines.add("Logs unavailable: " + e.getMessage());
    }
    return new JobState(
        state.status(),
        state.providerStatus(),
        state.progress(),
        files,
        lines,
        state.error(),
        state.metrics());
  }

  private String logLine(String data) {
    try {
      JsonNode event = ctx.mapper().readTree(data);
      if (event != null && event.path("data").isTextual()) {
        return event.get("data").asText();
      }
    } catch (java.io.IOException notJson) {
      // a plain-text event is the line itself
    }
    return data;
  }

  private URI jobUri(JobRef ref, String suffix) {
    return URI.create(jobsBase(ctx.settings()) + "/jobs/" + ref + suffix);
  }

  private static ArrayNode strings(JsonNode node, String what) {
    if (!node.isArray()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "job." + what + " must be a list of strings");
    }
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (JsonNode n : node) {
      if (!n.isValueNode() || n.isNull()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "job." + what + " must be a list of strings");
      }
      out.add(n.asText());
    }
    return out;
  }

  // ---- shared ----

  private Map<String, String> auth() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer " + ctx.secret(SECRET).reveal());
    return h;
  }

  private static String namespace(ProviderSettings s) {
    return name(
        s.text("namespace")
            .orElseThrow(
                () ->
                    ProviderAnswers.notConfigured(
                        PROVIDER, "set 'namespace' in providers_gpu.huggingface")),
        "namespace");
  }

  private static String name(String value, String what) {
    if (!NAME.matcher(value).matches()) {
      throw ProviderAnswers.notConfigured(
          PROVIDER, what + " has characters a URL path cannot take");
    }
    return value;
  }

  private static String base(ProviderSettings s) {
    return trim(s.text("base_url").orElse(DEFAULT_BASE_URL));
  }

  private static String jobsBase(ProviderSettings s) {
    return trim(s.text("jobs_base_url").orElse(DEFAULT_JOBS_BASE_URL));
  }

  private static String trim(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String requiredText(JsonNode job, String key) {
    JsonNode v = job.get(key);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "job." + key + " must be text");
    }
    return v.asText().strip();
  }
}

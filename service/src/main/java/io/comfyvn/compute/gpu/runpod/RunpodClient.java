package io.comfyvn.compute.gpu.runpod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * RunPod serverless, queue-based: {@code POST /v2/{endpoint}/run}, {@code GET /status/{id}}, {@code
 * POST /cancel/{id}}, {@code GET /health}. Auth is {@code Authorization: Bearer <key>}. RunPod has
 * no logs in the status body; artifacts are whatever the worker put in {@code output} (URLs or
 * base64 images). A workflow job is sent as {@code runpod-workers/worker-comfyui} takes it and its
 * answers are read as that handler writes them ({@link WorkerComfyui}).
 */
final class RunpodClient implements LiveClient {
  static final String DEFAULT_BASE = "https://api.runpod.ai/v2";

  private final ProviderHttp http;
  private final ProviderAnswers answers = new ProviderAnswers("runpod");
  private final ObjectMapper mapper;
  private final String base;
  private final String endpointId;
  private final Map<String, String> auth;

  RunpodClient(LiveContext ctx) {
    this.http = ctx.http();
    this.mapper = ctx.mapper();
    this.base = trimSlash(ctx.settings().text("base_url").orElse(DEFAULT_BASE));
    this.endpointId =
        ctx.settings()
            .text("endpoint_id")
            .orElseThrow(
                () ->
                    ProviderAnswers.invalidJob(
                        "runpod",
                        "providers_gpu.runpod.endpoint_id is not set in config/comfyvn.json"));
    this.auth = Map.of("Authorization", "Bearer " + ctx.secret("runpod.api_key").reveal());
  }

  @Override
  public String runner() {
    return WorkerComfyui.RUNNER;
  }

  @Override
  public Submitted submit(LiveJob job) {
    ObjectNode body = mapper.createObjectNode();
    List<String> notes = List.of();
    if (job.workflowRun().isPresent()) {
      // a workflow job is worker-comfyui's {workflow, images}
      WorkflowRun run = job.workflowRun().get();
      notes = WorkerComfyui.check(run.job());
      body.set("input", WorkerComfyui.input(run, mapper));
    } else {
      // RunPod requires {"input": {...}}; like its SDK, wrap a payload that has no "input".
      JsonNode input = job.job().get("input");
      body.set(
          "input", input != null && input.isObject() ? input.deepCopy() : job.job().deepCopy());
    }
    if (job.webhookUrl() != null) {
      body.put("webhook", job.webhookUrl());
    }
    JsonNode policy = job.job().get("policy");
    if (policy != null && policy.isObject()) {
      body.set("policy", policy.deepCopy());
    }
    String text = body.toString();
    int size = text.getBytes(StandardCharsets.UTF_8).length;
    if (size > WorkerComfyui.MAX_RUN_BODY) {
      throw new ProviderException(
          Kind.TOO_LARGE,
          "input_too_large",
          "runpod: the /run body would be "
              + size
              + " bytes (inputs travel as base64); RunPod takes at most "
              + WorkerComfyui.MAX_RUN_BODY
              + ". Nothing was sent; use smaller inputs",
          false,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    HttpCall call = HttpCall.postJson(uri("/run"), auth, text);
    JsonNode j = answers.object(Op.CREATE, call, http.call(Op.CREATE, call));
    return new Submitted(
        answers.requiredText(Op.CREATE, call.describe(), j, "id"), state(j).plusLogs(notes));
  }

  /**
   * RunPod serverless has no way to list or look up jobs by anything but the id its create answer
   * gave: the webhook registered with the create (its URL carries our task id) is the only thing
   * that can bring that id back, when the job ends.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    return new Reconciliation.CannotTell(
        true,
        "RunPod has no job list; only the webhook registered with the create can name the job");
  }

  @Override
  public JobState poll(String providerJobId) {
    HttpCall call = HttpCall.get(uri("/status/" + enc(providerJobId)), auth);
    return state(answers.object(Op.READ, call, http.call(Op.READ, call)));
  }

  @Override
  public JobState cancel(String providerJobId) {
    HttpCall call = HttpCall.postJson(uri("/cancel/" + enc(providerJobId)), auth, null);
    return state(answers.object(Op.CANCEL, call, http.call(Op.CANCEL, call)));
  }

  @Override
  public Health health() {
    HttpCall call = HttpCall.get(uri("/health"), auth);
    JsonNode j = answers.object(Op.READ, call, http.call(Op.READ, call));
    JsonNode jobs = j.path("jobs");
    JsonNode workers = j.path("workers");
    return new Health(
        true,
        "endpoint "
            + endpointId
            + ": workers idle="
            + workers.path("idle").asInt()
            + " running="
            + workers.path("running").asInt()
            + ", jobs inQueue="
            + jobs.path("inQueue").asInt()
            + " inProgress="
            + jobs.path("inProgress").asInt());
  }

  @Override
  public Optional<Submitted> parseWebhook(JsonNode body) {
    String id = body.path("id").asText("");
    return id.isEmpty() ? Optional.empty() : Optional.of(new Submitted(id, state(body)));
  }

  /** Maps a status body (from /run, /status, /cancel or a webhook) to the shared vocabulary. */
  static JobState state(JsonNode j) {
    String raw = j.path("status").asText("");
    TaskStatus status =
        switch (raw) {
          case "IN_QUEUE" -> TaskStatus.QUEUED;
          case "IN_PROGRESS", "RUNNING" -> TaskStatus.RUNNING;
          case "COMPLETED" -> TaskStatus.DONE;
          case "FAILED", "TIMED_OUT" -> TaskStatus.ERROR;
          case "CANCELLED" -> TaskStatus.CANCELED;
          default -> TaskStatus.RUNNING; // an unknown future word: keep following the job
        };
    Map<String, Number> metrics = new LinkedHashMap<>();
    if (j.hasNonNull("delayTime")) {
      metrics.put("delay_ms", j.get("delayTime").asLong());
    }
    if (j.hasNonNull("executionTime")) {
      metrics.put("execution_ms", j.get("executionTime").asLong());
    }
    String error = null;
    Failure failure = null;
    if (j.hasNonNull("error")) {
      error = j.get("error").isTextual() ? j.get("error").asText() : j.get("error").toString();
      failure = WorkerComfyui.failure(error);
      if (failure != null || j.path("output").path("details").isArray()) {
        error = WorkerComfyui.errorText(error, j.path("output"), failure);
      }
    } else if ("TIMED_OUT".equals(raw)) {
      error = "the job timed out at RunPod";
    }
    List<String> logs = new ArrayList<>();
    if (j.hasNonNull("workerId")) {
      logs.add("worker " + j.get("workerId").asText());
    }
    Double progress = status == TaskStatus.DONE ? Double.valueOf(1.0) : null;
    List<Output> outputs = status == TaskStatus.DONE ? outputs(j.path("output"), logs) : List.of();
    return new JobState(status, raw, progress, outputs, logs, error, metrics, null, failure);
  }

  /**
   * Every file in a worker's output: worker-comfyui's {@code images[{filename, type: base64 |
   * s3_url, data}]} (its {@code errors[]} and {@code success_no_images} as log lines), else
   * whatever URLs, data URIs and inline objects {@link LiveOutputs} finds in another worker's
   * output.
   */
  static List<Output> outputs(JsonNode output, List<String> logs) {
    if (isWorkerComfyui(output)) {
      return WorkerComfyui.outputs(output, logs);
    }
    List<Output> out = new ArrayList<>();
    inlineImages(output, out, 0);
    out.addAll(LiveOutputs.collect(output));
    return out;
  }

  /** worker-comfyui's shape: {@code images} entries that are all {@code {filename, type, data}}. */
  private static boolean isWorkerComfyui(JsonNode output) {
    JsonNode images = output.path("images");
    if (!images.isArray()) {
      return false;
    }
    if (images.isEmpty()) {
      return "success_no_images".equals(output.path("status").asText());
    }
    for (JsonNode i : images) {
      String type = i.path("type").asText("");
      if (!i.path("data").isTextual() || !(type.equals("base64") || type.equals("s3_url"))) {
        return false;
      }
    }
    return true;
  }

  private static void inlineImages(JsonNode n, List<Output> out, int depth) {
    if (depth > 6 || n == null) {
      return;
    }
    if (n.isObject() && "base64".equals(n.path("type").asText()) && n.path("data").isTextual()) {
      out.add(
          LiveOutputs.inline(
              ProviderAnswers.text(n, "filename"),
              n.get("data").asText(),
              ProviderAnswers.text(n, "mime")));
      return;
    }
    if (n.isContainerNode()) {
      n.forEach(c -> inlineImages(c, out, depth + 1));
    }
  }

  private URI uri(String path) {
    return URI.create(base + "/" + enc(endpointId) + path);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}

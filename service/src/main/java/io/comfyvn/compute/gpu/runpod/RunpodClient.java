package io.comfyvn.compute.gpu.runpod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.status.TaskStatus;
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
 * base64 images, e.g. worker-comfyui's {@code images[]}).
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
  public Submitted submit(LiveJob job) {
    ObjectNode body = mapper.createObjectNode();
    // RunPod requires {"input": {...}}; like its SDK, wrap a payload that has no "input".
    JsonNode input = job.job().get("input");
    body.set("input", input != null && input.isObject() ? input.deepCopy() : job.job().deepCopy());
    if (job.webhookUrl() != null) {
      body.put("webhook", job.webhookUrl());
    }
    JsonNode policy = job.job().get("policy");
    if (policy != null && policy.isObject()) {
      body.set("policy", policy.deepCopy());
    }
    HttpCall call = HttpCall.postJson(uri("/run"), auth, body.toString());
    JsonNode j = answers.object(Op.CREATE, call, http.call(Op.CREATE, call));
    return new Submitted(answers.requiredText(Op.CREATE, call.describe(), j, "id"), state(j));
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
    if (j.hasNonNull("error")) {
      error = j.get("error").isTextual() ? j.get("error").asText() : j.get("error").toString();
    } else if ("TIMED_OUT".equals(raw)) {
      error = "the job timed out at RunPod";
    }
    List<String> logs = new ArrayList<>();
    if (j.hasNonNull("workerId")) {
      logs.add("worker " + j.get("workerId").asText());
    }
    Double progress = status == TaskStatus.DONE ? Double.valueOf(1.0) : null;
    List<Output> outputs = status == TaskStatus.DONE ? outputs(j.path("output")) : List.of();
    return new JobState(status, raw, progress, outputs, logs, error, metrics);
  }

  /**
   * Every file in a worker's output: worker-comfyui's inline {@code {"type": "base64", "data":
   * ...}} images, plus whatever URLs and data URIs {@link LiveOutputs} finds.
   */
  static List<Output> outputs(JsonNode output) {
    List<Output> out = new ArrayList<>();
    inlineImages(output, out, 0);
    out.addAll(LiveOutputs.collect(output));
    return out;
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

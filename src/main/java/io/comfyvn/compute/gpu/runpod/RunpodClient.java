package io.comfyvn.compute.gpu.runpod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.JobStatus;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderException;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.io.IOException;
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
                    new ProviderException(
                        Kind.BAD_REQUEST,
                        "missing_setting",
                        "runpod needs providers_gpu.runpod.endpoint_id in config/comfyvn.json",
                        false,
                        ProviderException.Sent.NOT_SENT,
                        0,
                        null,
                        null));
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
    HttpReply r = http.call(Op.CREATE, HttpCall.postJson(uri("/run"), auth, body.toString()));
    JsonNode j = json(r, true);
    String id = j.path("id").asText("");
    if (id.isEmpty()) {
      throw badAnswer("the create answer has no id", true);
    }
    return new Submitted(id, state(j));
  }

  @Override
  public JobState poll(String providerJobId) {
    return state(
        json(http.call(Op.READ, HttpCall.get(uri("/status/" + enc(providerJobId)), auth)), false));
  }

  @Override
  public JobState cancel(String providerJobId) {
    HttpReply r =
        http.call(Op.CANCEL, HttpCall.postJson(uri("/cancel/" + enc(providerJobId)), auth, null));
    return state(json(r, false));
  }

  @Override
  public Health health() {
    JsonNode j = json(http.call(Op.READ, HttpCall.get(uri("/health"), auth)), false);
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
    JobStatus status =
        switch (raw) {
          case "IN_QUEUE" -> JobStatus.QUEUED;
          case "IN_PROGRESS", "RUNNING" -> JobStatus.RUNNING;
          case "COMPLETED" -> JobStatus.DONE;
          case "FAILED", "TIMED_OUT" -> JobStatus.ERROR;
          case "CANCELLED" -> JobStatus.CANCELED;
          default -> JobStatus.RUNNING; // an unknown future word: keep following the job
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
    Double progress = status == JobStatus.DONE ? Double.valueOf(1.0) : null;
    List<Output> outputs = status == JobStatus.DONE ? outputs(j.path("output")) : List.of();
    return new JobState(status, raw, progress, outputs, logs, error, metrics);
  }

  /** Every image in a worker's output: URL strings, {url}, {image}, or base64 {data}/{image}. */
  static List<Output> outputs(JsonNode output) {
    List<Output> out = new ArrayList<>();
    collect(output, out, 0);
    return out;
  }

  private static void collect(JsonNode n, List<Output> out, int depth) {
    if (depth > 4 || n == null || n.isNull()) {
      return;
    }
    if (n.isTextual()) {
      String t = n.asText();
      if (t.startsWith("http://") || t.startsWith("https://")) {
        out.add(new Output(null, t, null, null));
      } else if (t.startsWith("data:")) {
        out.add(new Output(null, null, t, null));
      }
      return;
    }
    if (n.isArray()) {
      n.forEach(c -> collect(c, out, depth + 1));
      return;
    }
    if (n.isObject()) {
      String name = n.path("filename").asText(null);
      String type = n.path("type").asText("");
      String data = n.path("data").asText(null);
      if ("base64".equals(type) && data != null) {
        out.add(new Output(name, null, data, n.path("mime").asText("image/png")));
        return;
      }
      if (n.hasNonNull("url") && n.get("url").isTextual()) {
        out.add(new Output(name, n.get("url").asText(), null, n.path("mime").asText(null)));
        return;
      }
      for (String k : new String[] {"images", "image", "output", "outputs", "files"}) {
        collect(n.get(k), out, depth + 1);
      }
    }
  }

  private JsonNode json(HttpReply r, boolean create) {
    try {
      JsonNode j = mapper.readTree(r.body());
      if (j == null || !j.isObject()) {
        throw badAnswer("the answer is not a JSON object", create);
      }
      return j;
    } catch (IOException e) {
      throw badAnswer("the answer is not JSON", create);
    }
  }

  private static ProviderException badAnswer(String what, boolean create) {
    return new ProviderException(
        Kind.UPSTREAM_FAILED,
        "provider_bad_answer",
        "runpod: " + what,
        !create,
        ProviderException.Sent.AMBIGUOUS,
        200,
        null,
        null);
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

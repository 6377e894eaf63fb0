package io.comfyvn.compute.gpu.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.status.TaskStatus;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ComfyUI's native API: {@code POST /prompt} queues an API-format graph and answers {@code
 * {prompt_id, number, node_errors}}; {@code GET /history/{id}} is empty until the prompt ends, so
 * {@code GET /queue} tells queued ({@code queue_pending}) from running ({@code queue_running});
 * {@code POST /queue {"delete": [id]}} drops a queued prompt and {@code POST /interrupt} stops the
 * running one; {@code GET /system_stats} reports the version and each device's VRAM. Outputs are
 * the {@code images[]} of every output node, fetched from {@code GET /view}.
 *
 * <p>Provider words ({@code provider_status}): {@code pending} (queued), {@code running}, {@code
 * success}, {@code error}, {@code interrupted} (canceled).
 */
final class ComfyUiClient implements LiveClient {
  static final String PROVIDER = "comfyui";
  static final String DEFAULT_BASE = "http://127.0.0.1:8188";
  static final String TOKEN = "comfyui.api_key";
  static final String DEFAULT_CLIENT_ID = "comfyvn-compute";

  static final String PENDING = "pending";
  static final String RUNNING = "running";
  static final String SUCCESS = "success";
  static final String ERROR = "error";
  static final String INTERRUPTED = "interrupted";

  /** ComfyUI's prompt ids are UUIDs; anything path-safe of that size is accepted. */
  private static final Pattern PROMPT_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  private static final double GB = 1024.0 * 1024 * 1024;

  private final LiveContext ctx;
  private final ProviderAnswers answers = new ProviderAnswers(PROVIDER);
  private final String base;
  private final Map<String, String> auth;

  ComfyUiClient(LiveContext ctx) {
    this.ctx = ctx;
    String b = ctx.settings().text("base_url").orElse(DEFAULT_BASE);
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    this.auth =
        ctx.optionalSecret(TOKEN)
            .map(Secret::reveal)
            .map(t -> Map.of("Authorization", "Bearer " + t))
            .orElse(Map.of());
  }

  @Override
  public Submitted submit(LiveJob job) {
    ObjectNode body = ctx.mapper().createObjectNode();
    body.set("prompt", Workflows.graph(job.job(), job.seed(), job.settings()));
    body.put("client_id", job.settings().text("client_id").orElse(DEFAULT_CLIENT_ID));
    HttpCall call = HttpCall.postJson(uri("/prompt"), auth, body.toString());
    ObjectNode answer = answers.object(Op.CREATE, call, ctx.http().call(Op.CREATE, call));
    String id = answers.requiredText(Op.CREATE, call.describe(), answer, "prompt_id");
    JsonNode nodeErrors = answer.path("node_errors");
    if (nodeErrors.isContainerNode() && !nodeErrors.isEmpty()) {
      // ComfyUI queues the outputs that did validate; a job that is partly wrong must not run
      // half, so the queued prompt is dropped before the job is refused.
      dropQuietly(id);
      throw new ProviderException(
          Kind.UNPROCESSABLE,
          "provider_rejected",
          PROVIDER + " " + call.describe() + ": node errors: " + nodeErrorText(nodeErrors),
          false,
          Sent.REFUSED,
          200,
          null,
          null);
    }
    return new Submitted(id, state(TaskStatus.QUEUED, PENDING));
  }

  @Override
  public JobState poll(String providerJobId) {
    String id = id(providerJobId);
    JsonNode entry = historyEntry(id);
    if (entry != null) {
      return finished(entry);
    }
    String where = queued(id);
    if (RUNNING.equals(where)) {
      return state(TaskStatus.RUNNING, RUNNING);
    }
    if (PENDING.equals(where)) {
      return state(TaskStatus.QUEUED, PENDING);
    }
    // It may have ended between the two reads; read the history once more before giving up.
    entry = historyEntry(id);
    if (entry != null) {
      return finished(entry);
    }
    throw new ProviderException(
        Kind.NOT_FOUND,
        "provider_not_found",
        PROVIDER
            + ": prompt "
            + id
            + " is neither queued nor in the history (was ComfyUI restarted?)",
        false,
        Sent.REFUSED,
        404,
        null,
        null);
  }

  @Override
  public JobState cancel(String providerJobId) {
    String id = id(providerJobId);
    String where = queued(id);
    if (PENDING.equals(where)) {
      post(Op.CANCEL, "/queue", ctx.mapper().createObjectNode().set("delete", array(id)));
      return state(TaskStatus.CANCELED, INTERRUPTED);
    }
    if (RUNNING.equals(where)) {
      // With prompt_id, ComfyUI interrupts only if this prompt is the running one (older servers
      // ignore the body and interrupt whatever runs, which is this prompt: it was just running).
      post(Op.CANCEL, "/interrupt", ctx.mapper().createObjectNode().put("prompt_id", id));
      return state(TaskStatus.CANCELED, INTERRUPTED);
    }
    return poll(id);
  }

  @Override
  public Health health() {
    HttpCall call = HttpCall.get(uri("/system_stats"), auth);
    JsonNode j = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    String version = j.path("system").path("comfyui_version").asText("");
    StringBuilder detail =
        new StringBuilder("ComfyUI ").append(version.isBlank() ? "(version unknown)" : version);
    JsonNode devices = j.path("devices");
    if (!devices.isArray() || devices.isEmpty()) {
      detail.append(", no GPU device reported");
    }
    for (JsonNode d : devices) {
      detail
          .append(", ")
          .append(deviceName(d.path("name").asText("device")))
          .append(' ')
          .append(gb(d.path("vram_free").asDouble()))
          .append('/')
          .append(gb(d.path("vram_total").asDouble()))
          .append(" GB free");
    }
    return new Health(true, detail.toString());
  }

  /** The history entry of a prompt, or null while it has none (queued, running or unknown). */
  private JsonNode historyEntry(String id) {
    HttpCall call = HttpCall.get(uri("/history/" + id), auth);
    JsonNode entry = answers.object(Op.READ, call, ctx.http().call(Op.READ, call)).get(id);
    return entry != null && entry.isObject() ? entry : null;
  }

  /** {@link #RUNNING}, {@link #PENDING}, or null when the queue does not hold the prompt. */
  private String queued(String id) {
    HttpCall call = HttpCall.get(uri("/queue"), auth);
    ObjectNode q = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    if (holds(q.path("queue_running"), id)) {
      return RUNNING;
    }
    return holds(q.path("queue_pending"), id) ? PENDING : null;
  }

  /** Queue items are {@code [number, prompt_id, prompt, extra_data, outputs_to_execute]}. */
  private static boolean holds(JsonNode items, String id) {
    for (JsonNode item : items) {
      if (id.equals(item.path(1).asText(null))) {
        return true;
      }
    }
    return false;
  }

  /** A finished prompt's history entry in the shared vocabulary. */
  private JobState finished(JsonNode entry) {
    JsonNode status = entry.path("status");
    String word = status.path("status_str").asText("");
    Map<String, Number> metrics = metrics(status.path("messages"));
    if (word.equals("error")) {
      JsonNode interrupted = message(status.path("messages"), "execution_interrupted");
      if (interrupted != null) {
        return new JobState(TaskStatus.CANCELED, INTERRUPTED, null, null, null, null, metrics);
      }
      JsonNode err = message(status.path("messages"), "execution_error");
      String text =
          err == null
              ? "ComfyUI reported an error without details"
              : err.path("node_type").asText("node")
                  + " (node "
                  + err.path("node_id").asText("?")
                  + "): "
                  + err.path("exception_message").asText("").strip();
      return new JobState(
          TaskStatus.ERROR, ERROR, null, null, null, ctx.http().scrub(text), metrics);
    }
    // Servers older than status_str record only finished prompts (status absent or completed).
    boolean done =
        word.equals("success")
            || (word.isEmpty()
                && (status.isMissingNode() || status.path("completed").asBoolean(false)));
    if (!done) {
      return state(TaskStatus.RUNNING, RUNNING);
    }
    List<String> logs = new ArrayList<>();
    List<Output> files = new ArrayList<>();
    for (JsonNode node : entry.path("outputs")) {
      for (JsonNode image : node.path("images")) {
        String name = ProviderAnswers.text(image, "filename");
        // "temp" entries are PreviewImage previews, not results the workflow saved
        if (name != null && image.path("type").asText("output").equals("output")) {
          files.add(file(name, image.path("subfolder").asText(""), logs));
        }
      }
    }
    return new JobState(TaskStatus.DONE, SUCCESS, 1.0, files, logs, null, metrics);
  }

  /**
   * An output as its {@code /view} URL, which the artifact store downloads; behind a proxy that
   * wants the bearer token (which a download does not carry) the client fetches it and hands it on
   * inline. A failed fetch leaves the URL and says why in the logs.
   */
  private Output file(String name, String subfolder, List<String> logs) {
    String url =
        base + "/view?filename=" + enc(name) + "&subfolder=" + enc(subfolder) + "&type=output";
    Output linked = new Output(name, url, null, mimeOf(name));
    if (auth.isEmpty()) {
      return linked;
    }
    try {
      HttpCall call = HttpCall.get(URI.create(url), auth);
      HttpReply r = ctx.http().call(Op.READ, call);
      String mime = r.header("content-type").map(t -> t.split(";", 2)[0].strip()).orElse(null);
      return LiveOutputs.inline(
          name,
          Base64.getEncoder().encodeToString(r.body()),
          mime != null && !mime.isEmpty() ? mime : mimeOf(name));
    } catch (ProviderException e) {
      logs.add("Could not fetch " + name + " from ComfyUI: " + e.getMessage());
      return linked;
    }
  }

  private static String mimeOf(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".png")) {
      return "image/png";
    }
    if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (lower.endsWith(".webp")) {
      return "image/webp";
    }
    if (lower.endsWith(".gif")) {
      return "image/gif";
    }
    if (lower.endsWith(".mp4")) {
      return "video/mp4";
    }
    return null;
  }

  /** The data of the first status message of this kind ({@code [event, data]} pairs). */
  private static JsonNode message(JsonNode messages, String event) {
    for (JsonNode m : messages) {
      if (event.equals(m.path(0).asText())) {
        return m.path(1);
      }
    }
    return null;
  }

  /** Wall time from {@code execution_start} to the end message, when both carry timestamps. */
  private static Map<String, Number> metrics(JsonNode messages) {
    Map<String, Number> out = new LinkedHashMap<>();
    JsonNode start = message(messages, "execution_start");
    if (start == null || !start.path("timestamp").canConvertToLong()) {
      return out;
    }
    for (String end :
        new String[] {"execution_success", "execution_error", "execution_interrupted"}) {
      JsonNode e = message(messages, end);
      if (e != null && e.path("timestamp").canConvertToLong()) {
        out.put(
            "execution_ms",
            Math.max(0, e.path("timestamp").asLong() - start.path("timestamp").asLong()));
      }
    }
    return out;
  }

  /** One line per failing node: {@code <id> <class_type>: <message> (<details>)}. */
  private String nodeErrorText(JsonNode nodeErrors) {
    List<String> lines = new ArrayList<>();
    nodeErrors
        .properties()
        .forEach(
            e -> {
              for (JsonNode err : e.getValue().path("errors")) {
                String details = err.path("details").asText("");
                lines.add(
                    e.getKey()
                        + " "
                        + e.getValue().path("class_type").asText("")
                        + ": "
                        + err.path("message").asText("")
                        + (details.isBlank() ? "" : " (" + details + ")"));
              }
            });
    String text = lines.isEmpty() ? nodeErrors.toString() : String.join("; ", lines);
    return ctx.http().scrub(text.length() > 300 ? text.substring(0, 300) + "..." : text);
  }

  private void dropQuietly(String id) {
    try {
      post(Op.CANCEL, "/queue", ctx.mapper().createObjectNode().set("delete", array(id)));
    } catch (ProviderException e) {
      // the job is refused either way; a prompt left queued is visible in ComfyUI's own queue
    }
  }

  private void post(Op op, String path, JsonNode body) {
    HttpCall call = HttpCall.postJson(uri(path), auth, body.toString());
    ctx.http().call(op, call);
  }

  private ArrayNode array(String id) {
    return ctx.mapper().createArrayNode().add(id);
  }

  private static JobState state(TaskStatus status, String word) {
    return new JobState(status, word, null, null, null, null, null);
  }

  /**
   * {@code cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync} -> {@code NVIDIA GeForce RTX 4090}.
   */
  static String deviceName(String raw) {
    String n = raw;
    int colon = n.lastIndexOf(" : ");
    if (colon > 0) {
      n = n.substring(0, colon);
    }
    if (n.matches("^[a-z]+:\\d+ .*")) {
      n = n.substring(n.indexOf(' ') + 1);
    }
    return n.strip();
  }

  private static String gb(double bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / GB);
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private static String id(String providerJobId) {
    if (providerJobId == null || !PROMPT_ID.matcher(providerJobId).matches()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "not a ComfyUI prompt id");
    }
    return providerJobId;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

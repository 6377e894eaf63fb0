package io.comfyvn.compute.gpu.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClient.Progress;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.InputRef;
import io.comfyvn.compute.workflow.MediaTypes;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * ComfyUI's native API: {@code POST /prompt} queues an API-format graph and answers {@code
 * {prompt_id, number, node_errors}}; {@code GET /history/{id}} is empty until the prompt ends, so
 * {@code GET /queue} tells queued ({@code queue_pending}) from running ({@code queue_running});
 * {@code POST /queue {"delete": [id]}} drops a queued prompt and {@code POST /interrupt} stops the
 * running one; {@code GET /system_stats} reports the version and each device's VRAM. Outputs are
 * every file of every output node ({@code images}, {@code gifs}, {@code audio}, ...), fetched from
 * {@code GET /view}, and {@code text} strings.
 *
 * <p>A workflow job is checked against the box first: {@code GET /object_info} for its node classes
 * and {@code GET /models/<folder>} for its model files (the loader's list in {@code /object_info}
 * where the box has no {@code /models} route); what the box lacks is refused as {@code
 * missing_node} / {@code missing_model} with the names, and nothing is queued. Its inputs go up
 * with {@code POST /upload/image} (into {@code input/comfyvn/<sha256 prefix>/}, so two jobs' files
 * of one name never meet). The prompt is queued under our own {@code prompt_id} (derived from the
 * task id) and {@code client_id}: before sending, and after a create whose answer was lost, {@code
 * /history/{id}} and {@code /queue} say whether the box already has it, so it is never queued
 * twice. Progress comes from the socket ({@link ProgressFeed}).
 *
 * <p>Where the box has ComfyUI's newer jobs API, a prompt is read with {@code GET /api/jobs/{id}}
 * (one record for queued, running and finished prompts: {@code pending}, {@code in_progress},
 * {@code completed}, {@code failed}, with the history entry's outputs and status once it ended) and
 * canceled with {@code POST /api/jobs/{id}/cancel}; a box without it (its 404 is aiohttp's plain
 * text, not the API's {@code {"error": "Job not found"}}) is read through {@code /history} and
 * {@code /queue} as before. The client learns which once and remembers it.
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

  static final String RUNNER = "ComfyUI native API";

  /** Where a client finds the progress socket of a box and client id. */
  interface Feeds {
    ProgressFeed feed(String base, String clientId);
  }

  private final LiveContext ctx;
  private final ProviderAnswers answers = new ProviderAnswers(PROVIDER);
  private final String base;
  private final Map<String, String> auth;
  private final String clientId;
  private final Feeds feeds;
  private final ProgressFeed feed;

  /** Whether the box has the jobs API: not known until the first answer says. */
  private enum JobsApi {
    UNKNOWN,
    PRESENT,
    ABSENT
  }

  private volatile JobsApi jobsApi = JobsApi.UNKNOWN;

  /** What {@code GET /api/jobs/{id}} said. */
  private sealed interface JobAnswer {}

  /** The box has the job: its record. */
  private record Found(JsonNode job) implements JobAnswer {}

  /** The box has the jobs API and no such job. */
  private record NoSuchJob() implements JobAnswer {}

  /** The box has no jobs API (an older ComfyUI). */
  private record NoJobsApi() implements JobAnswer {}

  ComfyUiClient(LiveContext ctx) {
    this(ctx, null);
  }

  ComfyUiClient(LiveContext ctx, Feeds feeds) {
    this.ctx = ctx;
    String b = ctx.settings().text("base_url").orElse(DEFAULT_BASE);
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    this.auth =
        ctx.optionalSecret(TOKEN)
            .map(Secret::reveal)
            .map(t -> Map.of("Authorization", "Bearer " + t))
            .orElse(Map.of());
    this.clientId = ctx.settings().text("client_id").orElse(DEFAULT_CLIENT_ID);
    // "jobs_api": false reads the box the older way only (a proxy that answers 404s its own way)
    if (ctx.settings().text("jobs_api").map("false"::equalsIgnoreCase).orElse(false)) {
      this.jobsApi = JobsApi.ABSENT;
    }
    this.feeds = feeds;
    // the socket carries no credentials: behind a token-checking proxy there is no feed
    this.feed = feeds == null || !auth.isEmpty() ? null : feeds.feed(base, clientId);
  }

  @Override
  public String runner() {
    return RUNNER;
  }

  /** Our prompt id for a task: the same for every attempt, so the box's copy is recognised. */
  static String promptId(String taskId) {
    return UUID.nameUUIDFromBytes(("comfyvn-prompt/" + taskId).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  @Override
  public Submitted submit(LiveJob job) {
    String id = promptId(job.taskId());
    ObjectNode graph;
    if (job.workflowRun().isPresent()) {
      WorkflowRun run = job.workflowRun().get();
      Preflight.check(this::getJson, run);
      graph = run.job().graph().json();
      for (InputFile f : run.inputs()) {
        String name = upload(f);
        for (InputRef ref : run.job().inputRefs()) {
          if (ref.name().equals(f.name())) {
            ((ObjectNode) graph.get(ref.nodeId()).get("inputs")).put(ref.input(), name);
          }
        }
      }
    } else {
      graph = Workflows.graph(job.job(), job.seed(), job.settings());
    }
    // already on the box (a resend after a crash or a lost answer)? then it is not queued again
    Optional<Submitted> there = existing(id);
    if (there.isPresent()) {
      return there.get();
    }
    // a request may name its own client id (settings it may override); its socket is that id's
    String cid = job.settings().text("client_id").orElse(clientId);
    ObjectNode body = ctx.mapper().createObjectNode();
    body.set("prompt", graph);
    body.put("client_id", cid);
    body.put("prompt_id", id);
    if (feeds != null && auth.isEmpty()) {
      feeds.feed(base, cid).watch(id);
    }
    HttpCall call = HttpCall.postJson(uri("/prompt"), auth, body.toString());
    ObjectNode answer;
    try {
      // a 400 is ComfyUI's validation refusal: its reason is in node_errors, which the generic
      // error text (the "error" object: "Prompt outputs failed validation") leaves out
      HttpReply reply = ctx.http().call(Op.CREATE, call, status -> status == 400);
      if (reply.status() == 400) {
        throw refused(call, reply);
      }
      answer = answers.object(Op.CREATE, call, reply);
    } catch (ProviderException e) {
      if (e.sent() == Sent.AMBIGUOUS) {
        // the answer was lost: the box says whether it queued our prompt id
        Optional<Submitted> queued = existingQuietly(id);
        if (queued.isPresent()) {
          return queued.get();
        }
      }
      throw e;
    }
    String answered = answers.requiredText(Op.CREATE, call.describe(), answer, "prompt_id");
    if (!answered.equals(id)) {
      // an older ComfyUI ignores prompt_id and picks its own: follow that one
      id = answered;
    }
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

  /**
   * The prompt id is ours (derived from the task id), so the box is asked directly: its history
   * (finished) or its queue (pending or running). Neither holds it: nothing was queued, or the box
   * restarted and dropped its queue; either way nothing will run.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    String id = promptId(query.taskId());
    return existing(id)
        .<Reconciliation>map(
            s ->
                new Reconciliation.Found(s, "ComfyUI has our prompt id " + id + " (history/queue)"))
        .orElseGet(
            () ->
                new Reconciliation.NotThere(
                    "ComfyUI has prompt id " + id + " neither in /history nor in /queue"));
  }

  /** The prompt as the box has it (finished, running or queued), or empty. */
  private Optional<Submitted> existing(String id) {
    JobAnswer a = apiJob(id);
    if (a instanceof Found f) {
      return Optional.of(new Submitted(id, withLog(fromJob(id, f.job()), id)));
    }
    if (a instanceof NoSuchJob) {
      return Optional.empty();
    }
    JsonNode entry = historyEntry(id);
    if (entry != null) {
      return Optional.of(new Submitted(id, withLog(finished(entry), id)));
    }
    String where = queued(id);
    if (where == null) {
      return Optional.empty();
    }
    JobState s =
        RUNNING.equals(where)
            ? state(TaskStatus.RUNNING, RUNNING)
            : state(TaskStatus.QUEUED, PENDING);
    return Optional.of(new Submitted(id, withLog(s, id)));
  }

  private Optional<Submitted> existingQuietly(String id) {
    try {
      return existing(id);
    } catch (ProviderException e) {
      return Optional.empty();
    }
  }

  private static JobState withLog(JobState s, String id) {
    return s.plusLogs(List.of("ComfyUI already had prompt " + id + "; it was not queued again"));
  }

  /** Uploads one input; returns the name the graph's loader reads it by. */
  private String upload(InputFile f) {
    String sub = "comfyvn/" + f.sha256().substring(0, 16);
    HttpCall call =
        HttpCall.postMultipart(
            uri("/upload/image"),
            auth,
            List.of(
                new HttpCall.Part("image", f.name(), f.mime(), f.data()),
                HttpCall.Part.field("overwrite", "true"),
                HttpCall.Part.field("type", "input"),
                HttpCall.Part.field("subfolder", sub)));
    // an upload queues nothing and overwrites the same bytes at the same name: safe to repeat,
    // so it is limited and retried like a read
    JsonNode answer = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    String name = answers.requiredText(Op.READ, call.describe(), answer, "name");
    String folder = answer.path("subfolder").asText("");
    return folder.isEmpty() ? name : folder + "/" + name;
  }

  /** A GET for the preflight: the JSON answer, or empty on 404 (a route this box lacks). */
  private Optional<JsonNode> getJson(String path) {
    HttpCall call = HttpCall.get(uri(path), auth);
    HttpReply r = ctx.http().call(Op.READ, call, s -> s == 404);
    if (r.status() == 404) {
      return Optional.empty();
    }
    return Optional.of(answers.json(Op.READ, call, r));
  }

  @Override
  public JobState poll(String providerJobId) {
    String id = id(providerJobId);
    JobAnswer a = apiJob(id);
    if (a instanceof Found f) {
      JobState s = fromJob(id, f.job());
      if (s.status().terminal() && feed != null) {
        feed.forget(id);
      }
      return s;
    }
    if (a instanceof NoSuchJob) {
      throw notOnBox(id);
    }
    JsonNode entry = historyEntry(id);
    if (entry != null) {
      if (feed != null) {
        feed.forget(id);
      }
      return finished(entry);
    }
    JsonNode queue = queue();
    JsonNode item = item(queue.path("queue_running"), id);
    if (item != null) {
      Progress steps = steps(id, item);
      return new JobState(
          TaskStatus.RUNNING,
          RUNNING,
          steps == null ? null : steps.fraction(),
          null,
          null,
          null,
          null,
          steps,
          null);
    }
    if (item(queue.path("queue_pending"), id) != null) {
      return state(TaskStatus.QUEUED, PENDING);
    }
    // It may have ended between the two reads; read the history once more before giving up.
    entry = historyEntry(id);
    if (entry != null) {
      return finished(entry);
    }
    throw notOnBox(id);
  }

  private static ProviderException notOnBox(String id) {
    return new ProviderException(
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

  /**
   * {@code GET /api/jobs/{id}}, unless the box is known to lack the jobs API. A 404 carrying the
   * API's JSON error is "no such job"; any other 404 (aiohttp's text) means an older box.
   */
  private JobAnswer apiJob(String id) {
    if (jobsApi == JobsApi.ABSENT) {
      return new NoJobsApi();
    }
    HttpCall call = HttpCall.get(uri("/api/jobs/" + id), auth);
    HttpReply r = ctx.http().call(Op.READ, call, st -> st == 404 || st == 405);
    if (r.status() == 404 || r.status() == 405) {
      boolean api = r.status() == 404 && jsonError(r);
      jobsApi = api ? JobsApi.PRESENT : JobsApi.ABSENT;
      return api ? new NoSuchJob() : new NoJobsApi();
    }
    JsonNode job = answers.object(Op.READ, call, r);
    if (!job.path("status").isTextual()) {
      // a 200 that is not a job record (a proxy's page): read the box the older way
      jobsApi = JobsApi.ABSENT;
      return new NoJobsApi();
    }
    jobsApi = JobsApi.PRESENT;
    return new Found(job);
  }

  private boolean jsonError(HttpReply r) {
    if (!r.header("content-type").map(t -> t.contains("json")).orElse(false)) {
      return false;
    }
    try {
      return ctx.mapper().readTree(r.body()).path("error").isTextual();
    } catch (java.io.IOException notJson) {
      return false;
    }
  }

  /**
   * A jobs-API record in the shared vocabulary: {@code pending} queued, {@code in_progress} running
   * (with the socket's progress), {@code completed} / {@code failed} read like a history entry from
   * its {@code execution_status} and {@code outputs}.
   */
  private JobState fromJob(String id, JsonNode job) {
    String word = job.path("status").asText();
    switch (word) {
      case "pending" -> {
        return state(TaskStatus.QUEUED, PENDING);
      }
      case "in_progress" -> {
        Progress steps = null;
        if (feed != null) {
          JsonNode item = item(queue().path("queue_running"), id);
          steps = item == null ? null : steps(id, item);
        }
        return new JobState(
            TaskStatus.RUNNING,
            RUNNING,
            steps == null ? null : steps.fraction(),
            null,
            null,
            null,
            null,
            steps,
            null);
      }
      case "completed", "failed" -> {
        if (!job.path("execution_status").isObject()) {
          // a summary without the entry's parts: the history has them
          JsonNode entry = historyEntry(id);
          if (entry != null) {
            return finished(entry);
          }
        }
        ObjectNode entry = ctx.mapper().createObjectNode();
        entry.set("status", job.path("execution_status"));
        entry.set("outputs", job.path("outputs"));
        return finished(entry);
      }
      default ->
      // a word a newer box may add: still going
      {
        return state(TaskStatus.RUNNING, RUNNING);
      }
    }
  }

  @Override
  public JobState cancel(String providerJobId) {
    String id = id(providerJobId);
    JobAnswer a = apiJob(id);
    if (a instanceof Found f) {
      JobState now = fromJob(id, f.job());
      if (now.status().terminal()) {
        return now;
      }
      // the jobs API cancels a pending prompt (out of the queue) or the running one, idempotently
      HttpCall call = HttpCall.postJson(uri("/api/jobs/" + id + "/cancel"), auth, "{}");
      JsonNode answer = answers.object(Op.CANCEL, call, ctx.http().call(Op.CANCEL, call));
      return answer.path("cancelled").asBoolean(false)
          ? state(TaskStatus.CANCELED, INTERRUPTED)
          : poll(id);
    }
    if (a instanceof NoSuchJob) {
      throw notOnBox(id);
    }
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

  /** Where the socket says the running prompt is, node n of its graph's m. */
  private Progress steps(String id, JsonNode item) {
    if (feed == null) {
      return null;
    }
    JsonNode graph = item.path(2);
    return feed.progress(
        id, graph.size(), node -> graph.path(node).path("class_type").asText(null));
  }

  private ObjectNode queue() {
    HttpCall call = HttpCall.get(uri("/queue"), auth);
    return answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
  }

  /** A prompt's item in one list of {@code GET /queue}, or null. */
  private static JsonNode item(JsonNode list, String id) {
    for (JsonNode item : list) {
      if (id.equals(item.path(1).asText(null))) {
        return item;
      }
    }
    return null;
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
    List<Output> previews = new ArrayList<>();
    entry
        .path("outputs")
        .properties()
        .forEach(
            node ->
                node.getValue()
                    .properties()
                    .forEach(
                        kind -> {
                          if (kind.getKey().equals("text")) {
                            int i = 0;
                            for (JsonNode t : kind.getValue()) {
                              if (t.isTextual()) {
                                files.add(
                                    LiveOutputs.inline(
                                        "node-" + node.getKey() + "-" + (i++) + ".txt",
                                        Base64.getEncoder()
                                            .encodeToString(
                                                t.asText().getBytes(StandardCharsets.UTF_8)),
                                        "text/plain"));
                              }
                            }
                            return;
                          }
                          for (JsonNode f : kind.getValue()) {
                            String name = f.isObject() ? ProviderAnswers.text(f, "filename") : null;
                            if (name == null) {
                              continue; // "animated": [true], other flags
                            }
                            String type = f.path("type").asText("output");
                            Output o = file(name, f.path("subfolder").asText(""), type, logs);
                            // "temp" entries are previews, kept only when nothing was saved
                            (type.equals("output") ? files : previews).add(o);
                          }
                        }));
    if (files.isEmpty()) {
      files.addAll(previews);
    }
    return new JobState(TaskStatus.DONE, SUCCESS, 1.0, files, logs, null, metrics);
  }

  /**
   * An output as its {@code /view} URL, which the artifact store downloads; behind a proxy that
   * wants the bearer token (which a download does not carry) the client fetches it and hands it on
   * inline. A failed fetch leaves the URL and says why in the logs.
   */
  private Output file(String name, String subfolder, String type, List<String> logs) {
    String url =
        base
            + "/view?filename="
            + enc(name)
            + "&subfolder="
            + enc(subfolder)
            + "&type="
            + enc(type);
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
    return MediaTypes.byExtension(name).map(MediaTypes.Sniffed::mime).orElse(null);
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

  /**
   * {@code POST /prompt} answered 400: nothing was queued. The message is ComfyUI's {@code
   * error.message} and, per failing node, what {@link #nodeErrorText} says ({@code 10 LoadImage:
   * Custom validation failed for node (image - Invalid image file: castle_sketch.png)}).
   */
  private ProviderException refused(HttpCall call, HttpReply reply) {
    String why = ctx.http().errorText(reply);
    try {
      JsonNode body = ctx.mapper().readTree(reply.text());
      JsonNode error = body == null ? null : body.path("error");
      if (error != null && error.path("message").isTextual()) {
        why = ctx.http().scrub(ProviderHttp.cut(error.path("message").asText(), 200));
      }
      JsonNode nodeErrors = body == null ? null : body.path("node_errors");
      if (nodeErrors != null && nodeErrors.isObject() && !nodeErrors.isEmpty()) {
        why += ": " + nodeErrorText(nodeErrors);
      }
    } catch (java.io.IOException notJson) {
      // a proxy's text page: the generic error text above
    }
    return new ProviderException(
        Kind.UNPROCESSABLE,
        "provider_rejected",
        PROVIDER + " " + call.describe() + " -> HTTP 400: " + why,
        false,
        Sent.REFUSED,
        400,
        null,
        null);
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

package io.comfyvn.compute.gpu.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Replicate's predictions API: create by model ({@code POST /models/{owner}/{name}/predictions}),
 * by version ({@code POST /predictions}) or by deployment ({@code POST
 * /deployments/{owner}/{name}/predictions}), get, cancel, {@code GET /account} for health, and
 * Standard-Webhooks signatures checked with the account's {@code whsec_} secret. A workflow job is
 * sent as a cog-comfyui model takes it and its answers read as that model writes them ({@link
 * CogComfyui}); inputs over Replicate's 256 KB data-URL limit go up first through {@code POST
 * /files}.
 */
final class ReplicateClient implements LiveClient {
  static final String PROVIDER = "replicate";
  static final String DEFAULT_BASE_URL = "https://api.replicate.com/v1";
  static final String SECRET = "replicate.api_token";

  /**
   * Job keys that choose where and how to run; the rest of a job without {@code input} is input.
   */
  private static final Set<String> ROUTING_KEYS =
      Set.of("model", "version", "deployment", "wait_seconds", "id");

  private static final Pattern OWNER_NAME =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern PREDICTION_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  /** tqdm's progress bar as models print it, e.g. {@code 45%|████▌ | 9/20}. */
  private static final Pattern TQDM = Pattern.compile("(\\d{1,3})%\\|");

  /** Replicate's {@code Prefer: wait} accepts 1..60 seconds. */
  private static final int MAX_WAIT_SECONDS = 60;

  /** Room between a blocking create's wait and our read timeout, so the create never times out. */
  private static final Duration WAIT_MARGIN = Duration.ofSeconds(5);

  static final String DATA_REMOVED_LOG =
      "Replicate removed this prediction's input, output and logs (it deletes them one hour after"
          + " an API prediction ends)";

  private final LiveContext ctx;
  private final ProviderAnswers answers;
  private final Duration readTimeout;
  private final Clock clock;
  private final AtomicReference<AccountKey> accountKey;

  /**
   * The account's webhook key and the API token it was fetched with (a new token means another
   * account may be in use, so the key is fetched again).
   */
  record AccountKey(Secret token, byte[] key) {}

  /**
   * @param readTimeout the create's timeout in force, which caps {@code Prefer: wait}
   * @param clock the clock webhook timestamps are checked against
   * @param accountKey the provider's cache of the account's webhook key (clients are built per use,
   *     so the key is kept where it outlives them)
   */
  ReplicateClient(
      LiveContext ctx, Duration readTimeout, Clock clock, AtomicReference<AccountKey> accountKey) {
    this.ctx = ctx;
    this.accountKey = accountKey;
    this.answers = new ProviderAnswers(PROVIDER);
    this.readTimeout = readTimeout;
    this.clock = clock;
  }

  @Override
  public String runner() {
    return CogComfyui.RUNNER;
  }

  @Override
  public Submitted submit(LiveJob job) {
    ObjectNode j = job.job();
    ProviderSettings s = job.settings();
    String base = base(s);
    ObjectNode body = ctx.mapper().createObjectNode();
    URI uri = target(j, s, base, body);
    body.set("input", job.workflowRun().isPresent() ? workflowInput(job, base) : input(j));
    if (job.webhookUrl() != null) {
      body.put("webhook", job.webhookUrl());
      body.putArray("webhook_events_filter").add("start").add("completed");
    }
    Map<String, String> headers = auth();
    waitSeconds(j).ifPresent(w -> headers.put("Prefer", "wait=" + w));
    HttpCall call = HttpCall.postJson(uri, headers, body.toString());
    ObjectNode prediction = answers.object(Op.CREATE, call, ctx.http().call(Op.CREATE, call));
    String id = answers.requiredText(Op.CREATE, call.describe(), prediction, "id");
    return new Submitted(id, state(Op.CREATE, call.describe(), prediction));
  }

  @Override
  public JobState poll(String providerJobId) {
    HttpCall call =
        HttpCall.get(
            URI.create(base(ctx.settings()) + "/predictions/" + id(providerJobId)), auth());
    return state(
        Op.READ, call.describe(), answers.object(Op.READ, call, ctx.http().call(Op.READ, call)));
  }

  @Override
  public JobState cancel(String providerJobId) {
    URI uri = URI.create(base(ctx.settings()) + "/predictions/" + id(providerJobId) + "/cancel");
    HttpCall call = new HttpCall("POST", uri, auth(), new byte[0]);
    return state(
        Op.CANCEL,
        call.describe(),
        answers.object(Op.CANCEL, call, ctx.http().call(Op.CANCEL, call)));
  }

  @Override
  public Health health() {
    HttpCall call = HttpCall.get(URI.create(base(ctx.settings()) + "/account"), auth());
    try {
      ObjectNode account = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
      String who = account.path("username").asText("?");
      String type = account.path("type").asText("");
      return new Health(true, "account " + who + (type.isEmpty() ? "" : " (" + type + ")"));
    } catch (ProviderException e) {
      if (EgressGuard.isDenial(e)) {
        throw e;
      }
      return new Health(false, e.getMessage());
    }
  }

  /**
   * Replicate lists predictions newest first, 100 a page ({@code GET /predictions}, {@code next} is
   * the following page's URL), each with the {@code input} it was created with. A prediction
   * created since our create was recorded (less {@link #LIST_SKEW} for clocks), with exactly our
   * input and not another task's, is ours; the oldest such one when several match (two tasks with
   * one input take them in turn). A workflow job's input is the cog-comfyui input its create sent,
   * rebuilt from what the task keeps ({@link #sentWorkflow}), not the job as given; one that cannot
   * be rebuilt (an inline input not kept) is matched by the graph hash and input sha256s the submit
   * recorded ({@link #recordedWorkflow}), and without such a record it is not matched. Once the
   * list is older than the create and none matched, Replicate has no prediction for it. Inputs are
   * deleted an hour after a prediction ends, so an older create cannot be matched any more.
   */
  @Override
  public Reconciliation reconcile(Reconciliation.Query q) {
    String base = base(ctx.settings());
    Predicate<JsonNode> ours;
    // set when a listed prediction may be ours but its input cannot be compared (an uploaded zip
    // of a job matched by its recorded hashes): then "no match" is no proof it is not there
    AtomicBoolean undecided = new AtomicBoolean();
    if (WorkflowJobs.isWorkflowJob(q.job())) {
      Reconciliation.Workflow w = q.workflow().get(); // reads the inputs again: once
      if (w instanceof Reconciliation.Workflow.NotRebuilt not) {
        if (not.hash() == null) {
          // nothing to match its cog-comfyui input by; the webhook may still name it
          return new Reconciliation.CannotTell(
              true,
              "the workflow job's create cannot be rebuilt to match it in Replicate's list: "
                  + not.why());
        }
        ours = recordedWorkflow(not.hash(), not.inputs(), undecided);
      } else {
        ours = sentWorkflow(((Reconciliation.Workflow.Rebuilt) w).run(), base);
      }
    } else {
      JsonNode input = input(q.job());
      ours = p -> input.equals(NUMBERS_BY_VALUE, p);
    }
    Instant since = q.sentAt().minus(LIST_SKEW);
    URI page = URI.create(base + "/predictions");
    JsonNode match = null;
    Instant matchCreated = null;
    for (int n = 0; n < LIST_PAGES; n++) {
      HttpCall call = HttpCall.get(page, auth());
      ObjectNode answer = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
      boolean older = false;
      for (JsonNode p : answer.path("results")) {
        Instant created = instant(p.path("created_at").asText(null));
        if (created != null && created.isBefore(since)) {
          older = true;
          continue;
        }
        String id = p.path("id").asText("");
        if (!id.isEmpty()
            && !q.taken().test(id)
            && (matchCreated == null || (created != null && created.isBefore(matchCreated)))
            && ours.test(p.path("input"))) {
          match = p;
          matchCreated = created;
        }
      }
      String next = answer.path("next").isTextual() ? answer.get("next").asText() : null;
      if (match != null && (older || next == null)) {
        break;
      }
      if ((older || next == null) && undecided.get()) {
        return new Reconciliation.CannotTell(
            true,
            "a prediction with the graph sent has an uploaded input zip that cannot be compared"
                + " with the recorded inputs");
      }
      if (older || next == null) {
        return new Reconciliation.NotThere(
            "no prediction with this input in Replicate's list since " + since);
      }
      if (!next.startsWith(base + "/")) {
        return new Reconciliation.CannotTell(true, "Replicate's list pointed to another host");
      }
      page = URI.create(next);
    }
    if (match == null) {
      return new Reconciliation.CannotTell(
          true, "more than " + LIST_PAGES * 100 + " predictions since the create; not found yet");
    }
    String id = match.get("id").asText();
    return new Reconciliation.Found(
        new Submitted(id, state(Op.READ, "list", match)),
        "matched prediction " + id + " by its input in Replicate's list");
  }

  /**
   * Whether a prediction's input is the cog-comfyui input {@link #workflowInput} sent for this
   * workflow job: the same {@code workflow_json} text (the canonical graph, its seeds in it),
   * {@code randomise_seeds: false}, and the same input zip (the same files give the same bytes):
   * the data URL itself, or for an uploaded zip a file of this account whose sha256 is the zip's.
   * The output settings are not compared (they are the config's, which may have changed since).
   */
  private Predicate<JsonNode> sentWorkflow(WorkflowRun run, String base) {
    String graph = run.job().graph().text();
    byte[] zip = run.inputs().isEmpty() ? null : CogComfyui.zip(run.inputs());
    String dataUrl =
        zip != null && zip.length <= CogComfyui.MAX_DATA_URL_FILE ? CogComfyui.dataUrl(zip) : null;
    String zipSha = zip == null || dataUrl != null ? null : sha256(zip);
    return input -> {
      if (!graph.equals(raw(input, "workflow_json"))
          || !input.path("randomise_seeds").isBoolean()
          || input.path("randomise_seeds").asBoolean()) {
        return false;
      }
      String file = raw(input, "input_file");
      if (zip == null) {
        return file == null;
      }
      if (dataUrl != null) {
        return dataUrl.equals(file);
      }
      return file != null && zipSha.equals(uploadedSha256(base, file));
    };
  }

  /**
   * Whether a prediction's input is the cog-comfyui input sent for a workflow job that cannot be
   * rebuilt, told by what the submit recorded: {@code sha256(workflow_json)} is the graph's hash,
   * {@code randomise_seeds: false}, and the input zip's entries are exactly the recorded inputs,
   * each by name and sha256 (no zip when none were recorded). The zip is read from a data URL; an
   * uploaded zip's contents are not read here, so such a prediction is neither taken nor ruled out
   * ({@code undecided}).
   */
  private static Predicate<JsonNode> recordedWorkflow(
      String hash, Map<String, String> inputs, AtomicBoolean undecided) {
    Map<String, String> want = new TreeMap<>(inputs);
    return input -> {
      String graph = raw(input, "workflow_json");
      if (graph == null
          || !hash.equals(sha256(graph.getBytes(StandardCharsets.UTF_8)))
          || !input.path("randomise_seeds").isBoolean()
          || input.path("randomise_seeds").asBoolean()) {
        return false;
      }
      String file = raw(input, "input_file");
      if (want.isEmpty()) {
        return file == null;
      }
      if (file == null) {
        return false;
      }
      String prefix = "data:application/zip;base64,";
      if (!file.startsWith(prefix)) {
        undecided.set(true);
        return false;
      }
      Map<String, String> entries = zipEntries(file.substring(prefix.length()));
      return want.equals(entries);
    };
  }

  /** Each entry's name and sha256 in a base64 zip; null when it is not a readable zip. */
  private static Map<String, String> zipEntries(String base64) {
    Map<String, String> out = new TreeMap<>();
    try (ZipInputStream z =
        new ZipInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(base64)))) {
      for (ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[8192];
        for (int n = z.read(buf); n > 0; n = z.read(buf)) {
          md.update(buf, 0, n); // streamed: an entry is never held whole
        }
        if (e.isDirectory()
            || out.put(e.getName(), HexFormat.of().formatHex(md.digest())) != null) {
          return null; // not a zip CogComfyui.zip makes
        }
      }
    } catch (IllegalArgumentException | IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    return out;
  }

  /** A text field as it is, byte for byte; null when absent or not text. */
  private static String raw(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  /** The sha256 Replicate gives for a file of ours ({@code GET /files/{id}}), or null. */
  private String uploadedSha256(String base, String url) {
    if (!url.startsWith(base + "/files/")) {
      return null; // not a file this client uploaded
    }
    HttpCall call = HttpCall.get(URI.create(url), auth());
    ObjectNode file = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    return ProviderAnswers.text(file.path("checksums"), "sha256");
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Pages of the list read at most (100 predictions each). */
  static final int LIST_PAGES = 10;

  /** How much older than our record a prediction may look (our clock against Replicate's). */
  static final Duration LIST_SKEW = Duration.ofMinutes(2);

  /** JSON equality where 7, 7.0 and 7L are one number. */
  private static final java.util.Comparator<JsonNode> NUMBERS_BY_VALUE =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  private static Instant instant(String s) {
    if (s == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(s).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /** A webhook body is the prediction itself, the same object {@code GET} returns. */
  @Override
  public Optional<Submitted> parseWebhook(JsonNode body) {
    if (body == null
        || !body.isObject()
        || !body.path("status").isTextual()
        || !body.path("id").isTextual()) {
      return Optional.empty();
    }
    return Optional.of(new Submitted(body.get("id").asText(), state(Op.READ, "webhook", body)));
  }

  /**
   * Checks the Standard-Webhooks signature with the {@code webhook_secret} setting, else the
   * account's secret from {@code GET /webhooks/default/secret} (fetched once per client).
   *
   * @throws ProviderException when the secret cannot be fetched (the caller answers 5xx, so
   *     Replicate retries the final webhook)
   */
  @Override
  public boolean verifyWebhook(Map<String, String> headers, byte[] rawBody) {
    byte[] key = webhookKey();
    return key.length > 0 && WebhookSignature.verify(key, headers, rawBody, clock.instant());
  }

  private byte[] webhookKey() {
    String configured = ctx.settings().text("webhook_secret").orElse(null);
    if (configured != null) {
      return key(configured);
    }
    Secret token = ctx.secret(SECRET);
    AccountKey cached = accountKey.get();
    if (cached != null && cached.token().equals(token)) {
      return cached.key();
    }
    HttpCall call =
        HttpCall.get(URI.create(base(ctx.settings()) + "/webhooks/default/secret"), auth());
    ObjectNode answer = answers.object(Op.READ, call, ctx.http().call(Op.READ, call));
    byte[] key = key(answers.requiredText(Op.READ, call.describe(), answer, "key"));
    accountKey.set(new AccountKey(token, key));
    return key;
  }

  /** An unusable secret verifies nothing: every webhook is refused, the tracker's polls finish. */
  private static byte[] key(String secret) {
    try {
      return WebhookSignature.key(secret);
    } catch (IllegalArgumentException notBase64) {
      return new byte[0];
    }
  }

  /** Chooses the create URL (and puts {@code version} in the body when creating by version). */
  private URI target(ObjectNode job, ProviderSettings s, String base, ObjectNode body) {
    String deployment = ProviderAnswers.text(job, "deployment");
    String version = ProviderAnswers.text(job, "version");
    String model = ProviderAnswers.text(job, "model");
    if (deployment == null && version == null && model == null) {
      deployment = s.text("deployment").orElse(null);
      version = s.text("version").orElse(null);
      model = s.text("model").orElse(null);
    }
    if (deployment != null) {
      return URI.create(
          base + "/deployments/" + ownerName(deployment, "deployment") + "/predictions");
    }
    if (model != null && model.contains(":")) {
      // owner/name:version is a version reference, created through /predictions
      version = model;
    } else if (model != null && version == null) {
      return URI.create(base + "/models/" + ownerName(model, "model") + "/predictions");
    }
    if (version != null) {
      body.put("version", version);
      return URI.create(base + "/predictions");
    }
    throw ProviderAnswers.notConfigured(
        PROVIDER,
        "set 'model', 'version' or 'deployment' in providers_gpu.replicate or in the job");
  }

  private static String ownerName(String value, String what) {
    if (!OWNER_NAME.matcher(value).matches()) {
      throw ProviderAnswers.invalidJob(PROVIDER, what + " must look like owner/name");
    }
    return value;
  }

  private ObjectNode input(ObjectNode job) {
    JsonNode input = job.get("input");
    if (input != null && !input.isNull()) {
      if (!input.isObject()) {
        throw ProviderAnswers.invalidJob(PROVIDER, "job.input must be a JSON object");
      }
      return (ObjectNode) input;
    }
    ObjectNode rest = job.deepCopy();
    rest.remove(ROUTING_KEYS);
    if (rest.isEmpty()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "the job has no input");
    }
    return rest;
  }

  /**
   * A workflow job as cog-comfyui's input: the graph as {@code workflow_json}, the files zipped in
   * {@code input_file} (a data URL up to 256 KB, else uploaded first).
   */
  private ObjectNode workflowInput(LiveJob job, String base) {
    WorkflowRun run = job.workflowRun().orElseThrow();
    String inputFile = null;
    if (!run.inputs().isEmpty()) {
      byte[] zip = CogComfyui.zip(run.inputs());
      inputFile =
          zip.length <= CogComfyui.MAX_DATA_URL_FILE ? CogComfyui.dataUrl(zip) : upload(base, zip);
    }
    return CogComfyui.input(run, inputFile, job.settings(), ctx.mapper());
  }

  /**
   * Uploads the inputs' zip with {@code POST /files} and returns its URL. Nothing billable is made,
   * so a failure here is "not sent" for the prediction, whatever happened to the upload.
   */
  private String upload(String base, byte[] zip) {
    HttpCall call =
        HttpCall.postMultipart(
            URI.create(base + "/files"),
            auth(),
            List.of(
                new HttpCall.Part("content", "comfyvn-inputs.zip", "application/zip", zip),
                new HttpCall.Part(
                    "metadata",
                    "metadata.json",
                    "application/json",
                    "{\"purpose\":\"comfyvn workflow inputs\"}".getBytes(StandardCharsets.UTF_8))));
    try {
      ObjectNode file = answers.object(Op.CREATE, call, ctx.http().call(Op.CREATE, call));
      String url = ProviderAnswers.text(file.path("urls"), "get");
      if (url == null) {
        throw answers.bad(Op.CREATE, call.describe(), "the file has no urls.get");
      }
      return url;
    } catch (ProviderException e) {
      if (EgressGuard.isDenial(e)) {
        throw e;
      }
      throw new ProviderException(
          e.kind(),
          e.code(),
          PROVIDER
              + ": uploading the workflow's inputs failed, no prediction was created: "
              + e.getMessage(),
          e.retryable(),
          Sent.NOT_SENT,
          e.httpStatus(),
          e.retryAfter().orElse(null),
          e);
    }
  }

  /** {@code job.wait_seconds} clamped to Replicate's range and below our read timeout. */
  private Optional<Long> waitSeconds(ObjectNode job) {
    JsonNode w = job.get("wait_seconds");
    if (w == null || w.isNull()) {
      return Optional.empty();
    }
    if (!w.canConvertToLong()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "job.wait_seconds must be a whole number");
    }
    long cap = Math.min(MAX_WAIT_SECONDS, readTimeout.minus(WAIT_MARGIN).toSeconds());
    long wait = Math.min(w.asLong(), cap);
    return wait >= 1 ? Optional.of(wait) : Optional.empty();
  }

  /** A prediction object in the shared vocabulary. */
  private JobState state(Op op, String where, JsonNode p) {
    String raw = answers.requiredText(op, where, p, "status");
    TaskStatus status = status(raw);
    List<String> logs = new ArrayList<>(lines(p.get("logs")));
    Double progress = status == TaskStatus.DONE ? Double.valueOf(1.0) : progress(logs);
    List<Output> outputs;
    if (p.path("data_removed").asBoolean(false)) {
      outputs = List.of();
      logs.add(DATA_REMOVED_LOG);
    } else {
      outputs = CogComfyui.outputs(p.get("output"));
    }
    JsonNode err = p.get("error");
    String error =
        err == null || err.isNull()
            ? null
            : ctx.http().scrub(err.isTextual() ? err.asText() : err.toString());
    Failure failure =
        status == TaskStatus.ERROR ? CogComfyui.failure(error, logs, p.path("input")) : null;
    if (failure != null) {
      error = CogComfyui.errorText(error, failure);
    }
    return new JobState(
        status, raw, progress, outputs, logs, error, metrics(p.path("metrics")), null, failure);
  }

  /** Replicate's words; future ones (the API has added {@code aborted} before) count as running. */
  static TaskStatus status(String raw) {
    return switch (raw.toLowerCase(Locale.ROOT)) {
      case "starting" -> TaskStatus.QUEUED;
      case "processing" -> TaskStatus.RUNNING;
      case "succeeded" -> TaskStatus.DONE;
      case "failed" -> TaskStatus.ERROR;
      case "canceled", "cancelled", "aborted" -> TaskStatus.CANCELED;
      default -> TaskStatus.RUNNING;
    };
  }

  private static List<String> lines(JsonNode logs) {
    if (logs == null || !logs.isTextual() || logs.asText().isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : logs.asText().split("\r?\n")) {
      // tqdm redraws its bar with carriage returns; the last redraw is the current one
      String current = line.substring(line.lastIndexOf('\r') + 1);
      if (!current.isBlank()) {
        out.add(current);
      }
    }
    return out;
  }

  /** Progress from the last tqdm bar in the logs. */
  static Double progress(List<String> logs) {
    for (int i = logs.size() - 1; i >= 0; i--) {
      Matcher m = TQDM.matcher(logs.get(i));
      Double last = null;
      while (m.find()) {
        last = Math.min(100, Integer.parseInt(m.group(1))) / 100.0;
      }
      if (last != null) {
        return last;
      }
    }
    return null;
  }

  private static Map<String, Number> metrics(JsonNode m) {
    Map<String, Number> out = new LinkedHashMap<>();
    if (m.path("predict_time").isNumber()) {
      out.put("execution_ms", Math.round(m.get("predict_time").asDouble() * 1000));
    }
    if (m.path("total_time").isNumber()) {
      out.put("total_ms", Math.round(m.get("total_time").asDouble() * 1000));
    }
    return out;
  }

  private Map<String, String> auth() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Authorization", "Bearer " + ctx.secret(SECRET).reveal());
    return h;
  }

  private static String base(ProviderSettings s) {
    String b = s.text("base_url").orElse(DEFAULT_BASE_URL);
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  private static String id(String providerJobId) {
    if (providerJobId == null || !PREDICTION_ID.matcher(providerJobId).matches()) {
      throw ProviderAnswers.invalidJob(PROVIDER, "not a Replicate prediction id");
    }
    return providerJobId;
  }
}

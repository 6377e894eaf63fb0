package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replicate's HTTP API under {@code /replicate/v1}: predictions by version, by official model and
 * by deployment, get, cancel, list, account, webhook secret, hardware and files ({@code POST
 * /files}, as the JS SDK uploads a file input). Errors are {@code application/problem+json}.
 *
 * <p>Models: {@value #MODEL} draws a PNG from its prompt, or runs a fake cog-comfyui ({@link
 * FakeCogComfyui}) when its input has {@code workflow_json}; {@value #COG_MODEL} (by version) is
 * cog-comfyui only. A cog run's files are served under {@code /replicate/delivery/}.
 */
final class FakeReplicate {
  static final String PROVIDER = "replicate";
  static final String MODEL = "comfyvn/fake-sdxl";
  static final String VERSION = sha256Hex(MODEL);
  static final String COG_MODEL = "fofr/any-comfyui-workflow";
  static final String COG_VERSION = sha256Hex(COG_MODEL);
  private static final String BASE = "/replicate/v1";
  private static final int LOG_STEPS = 20;
  private static final Set<String> EVENTS = Set.of("start", "output", "logs", "completed");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final FakeKit kit;
  private final Map<String, Prediction> predictions = new ConcurrentHashMap<>();

  /** Files uploaded through {@code POST /files}, by id. */
  private final Map<String, Upload> uploads = new ConcurrentHashMap<>();

  /** A cog run's output files: {@code <prediction>/<name>} -> file. */
  private final Map<String, FakeCogComfyui.File> delivery = new ConcurrentHashMap<>();

  private record Upload(
      String id, String name, String contentType, byte[] data, JsonNode metadata, Instant at) {}

  private static final class Prediction {
    final String id;
    final String deployment;
    final Lifecycle life;
    final Instant deadline;
    final JsonNode input;
    final String prompt;
    final long seed;
    final String webhook;
    final Set<String> events;
    boolean startSent;
    boolean finalSent;
    String model = MODEL;
    String version = VERSION;

    /** The fake cog-comfyui's result, when this prediction ran one; null otherwise. */
    FakeCogComfyui.Result cog;

    int logsSent;
    Instant logsSentAt = Instant.EPOCH;

    Prediction(
        String id,
        String deployment,
        Lifecycle life,
        Instant deadline,
        JsonNode input,
        String webhook,
        Set<String> events) {
      this.id = id;
      this.deployment = deployment;
      this.life = life;
      this.deadline = deadline;
      this.input = input;
      this.prompt = FakeKit.prompt(input);
      this.seed = FakeKit.seed(input, prompt);
      this.webhook = webhook;
      this.events = events;
    }
  }

  FakeReplicate(FakeKit kit) {
    this.kit = kit;
  }

  static void error(Context ctx, int status, String detail) {
    String title =
        switch (status) {
          case 401 -> "Unauthenticated";
          case 404 -> "Not found";
          case 422 -> "Unprocessable Entity";
          case 429 -> "Too Many Requests";
          default -> status >= 500 ? "Internal Server Error" : "Bad Request";
        };
    problem(ctx, status, title, detail);
  }

  private static void problem(Context ctx, int status, String title, String detail) {
    ctx.status(status)
        .contentType("application/problem+json")
        .result(
            "{\"title\":"
                + quote(title)
                + ",\"detail\":"
                + quote(detail)
                + ",\"status\":"
                + status
                + "}");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  void register(RoutesConfig r) {
    kit.post(
        r,
        BASE + "/predictions",
        PROVIDER,
        "create",
        FakeReplicate::error,
        ctx -> create(ctx, Route.VERSION));
    kit.post(
        r,
        BASE + "/models/{owner}/{name}/predictions",
        PROVIDER,
        "create",
        FakeReplicate::error,
        ctx -> create(ctx, Route.MODEL));
    kit.post(
        r,
        BASE + "/deployments/{owner}/{name}/predictions",
        PROVIDER,
        "create",
        FakeReplicate::error,
        ctx -> create(ctx, Route.DEPLOYMENT));
    kit.get(r, BASE + "/predictions", PROVIDER, "list", FakeReplicate::error, this::list);
    kit.get(r, BASE + "/predictions/{id}", PROVIDER, "get", FakeReplicate::error, this::get);
    kit.post(
        r,
        BASE + "/predictions/{id}/cancel",
        PROVIDER,
        "cancel",
        FakeReplicate::error,
        this::cancel);
    kit.get(r, BASE + "/account", PROVIDER, "account", FakeReplicate::error, this::account);
    kit.get(
        r,
        BASE + "/webhooks/default/secret",
        PROVIDER,
        "webhook_secret",
        FakeReplicate::error,
        this::secret);
    kit.get(r, BASE + "/hardware", PROVIDER, "hardware", FakeReplicate::error, this::hardware);
    registerFiles(r);
  }

  private enum Route {
    VERSION,
    MODEL,
    DEPLOYMENT
  }

  /** {@code Bearer} (what the SDKs send) and the legacy {@code Token} form. */
  private boolean allowed(Context ctx) {
    String auth = ctx.header("Authorization");
    if (auth == null || auth.isBlank()) {
      problem(ctx, 401, "Unauthenticated", "You did not pass an authentication token");
      return false;
    }
    String token = kit.credentials.replicateToken();
    if (!auth.equals("Bearer " + token) && !auth.equals("Token " + token)) {
      problem(ctx, 401, "Unauthenticated", "You did not pass a valid authentication token");
      return false;
    }
    return true;
  }

  private void create(Context ctx, Route route) {
    if (!allowed(ctx)) {
      return;
    }
    ObjectNode body = kit.objectBody(ctx);
    if (body == null) {
      error(ctx, 400, "The request body must be a JSON object");
      return;
    }
    String deployment = null;
    boolean cogOnly = false;
    switch (route) {
      case VERSION -> {
        String v = body.path("version").asText("");
        cogOnly = v.equals(COG_VERSION) || v.equals(COG_MODEL + ":" + COG_VERSION);
        if (!cogOnly
            && !v.equals(MODEL)
            && !v.equals(VERSION)
            && !v.equals(MODEL + ":" + VERSION)) {
          problem(
              ctx,
              422,
              "Invalid version or not permitted",
              "The specified version does not exist (or perhaps you don't have permission to use it?)");
          return;
        }
      }
      case MODEL -> {
        if (!(ctx.pathParam("owner") + "/" + ctx.pathParam("name")).equals(MODEL)) {
          problem(
              ctx,
              422,
              "Invalid version or not permitted",
              "The specified model does not exist (or perhaps you don't have permission to use it?)");
          return;
        }
      }
      case DEPLOYMENT -> {
        deployment = ctx.pathParam("owner") + "/" + ctx.pathParam("name");
        if (!deployment.equals(MODEL)) {
          problem(ctx, 404, "Not found", "Deployment not found");
          return;
        }
      }
    }
    JsonNode input = body.get("input");
    if (input == null || !input.isObject()) {
      problem(ctx, 422, "Input validation failed", "- input: input is required");
      return;
    }
    String webhook = body.hasNonNull("webhook") ? body.get("webhook").asText() : null;
    if (webhook != null && !WebhookSender.allowed(webhook)) {
      problem(
          ctx,
          422,
          "Invalid webhook",
          "webhook must be an http(s) URL on a loopback host (fake provider)");
      return;
    }
    Set<String> events = new LinkedHashSet<>(List.of("output", "completed"));
    JsonNode filter = body.get("webhook_events_filter");
    if (filter != null && !filter.isNull()) {
      events.clear();
      for (JsonNode e : filter) {
        if (!EVENTS.contains(e.asText())) {
          problem(
              ctx, 422, "Input validation failed", "- webhook_events_filter: unknown event " + e);
          return;
        }
        events.add(e.asText());
      }
    }
    Instant now = kit.now();
    Instant deadline = null;
    String cancelAfter = ctx.header("Cancel-After");
    if (cancelAfter != null) {
      Duration d = parseDuration(cancelAfter.trim());
      if (d == null) {
        error(ctx, 400, "Cancel-After must be a duration such as 30s, 5m or 1h30m");
        return;
      }
      deadline = now.plus(d);
    }
    Integer wait = preferWait(ctx.header("Prefer"));
    String id = newId();
    FakeCogComfyui.Result cog =
        cogOnly || input.has("workflow_json") ? cogComfyui(id, input) : null;
    Outcome outcome = kit.outcome(PROVIDER, input);
    boolean refused = cog != null && cog.failed() && outcome == Outcome.SUCCEED;
    Lifecycle life =
        new Lifecycle(
            now,
            kit.settings.queueTime(),
            refused ? Duration.ofMillis(500) : kit.settings.runTime(),
            null,
            deadline,
            refused ? Outcome.FAIL : outcome);
    Prediction p = new Prediction(id, deployment, life, deadline, input, webhook, events);
    p.cog = cog;
    if (cogOnly) {
      p.model = COG_MODEL;
      p.version = COG_VERSION;
    }
    predictions.put(p.id, p);
    if (wait != null) {
      kit.await(() -> p.life.phase(kit.now()).terminal(), Duration.ofSeconds(wait));
      ctx.header("Preference-Applied", "wait=" + wait);
    }
    kit.json(ctx, 201, render(p, kit.now()));
  }

  /** {@code Prefer: wait} is 60 s; {@code wait=n} is clamped to 1..60; null without the header. */
  static Integer preferWait(String prefer) {
    if (prefer == null) {
      return null;
    }
    for (String part : prefer.split(",")) {
      String p = part.trim();
      if (p.equals("wait")) {
        return 60;
      }
      if (p.startsWith("wait=")) {
        try {
          return Math.max(1, Math.min(60, Integer.parseInt(p.substring(5).trim())));
        } catch (NumberFormatException e) {
          return 60;
        }
      }
    }
    return null;
  }

  /** Go-style durations as Replicate takes them: {@code 90s}, {@code 5m}, {@code 1h30m}. */
  static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text);
    Duration total = Duration.ZERO;
    int at = 0;
    while (m.find()) {
      if (m.start() != at) {
        return null;
      }
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      at = m.end();
    }
    return at == text.length() && at > 0 ? total : null;
  }

  private Prediction find(Context ctx) {
    Prediction p = predictions.get(ctx.pathParam("id"));
    if (p == null) {
      ctx.status(404)
          .contentType("application/problem+json")
          .result("{\"detail\":\"Not found.\",\"status\":404}");
    }
    return p;
  }

  private void get(Context ctx) {
    if (allowed(ctx)) {
      Prediction p = find(ctx);
      if (p != null) {
        kit.json(ctx, 200, render(p, kit.now()));
      }
    }
  }

  private void cancel(Context ctx) {
    if (allowed(ctx)) {
      Prediction p = find(ctx);
      if (p != null) {
        p.life.cancel(kit.now());
        kit.json(ctx, 200, render(p, kit.now()));
      }
    }
  }

  private void list(Context ctx) {
    if (!allowed(ctx)) {
      return;
    }
    Instant now = kit.now();
    List<Prediction> newestFirst =
        predictions.values().stream()
            .sorted(
                Comparator.comparing((Prediction p) -> p.life.created())
                    .thenComparing(p -> p.id)
                    .reversed())
            .toList();
    int from = listCursor(ctx.queryParam("cursor"));
    ObjectNode out = kit.object();
    String self = kit.baseUrl() + BASE + "/predictions?cursor=";
    if (from + LIST_PAGE < newestFirst.size()) {
      out.put("next", self + cursor(from + LIST_PAGE));
    } else {
      out.putNull("next");
    }
    if (from > 0) {
      out.put("previous", self + cursor(Math.max(0, from - LIST_PAGE)));
    } else {
      out.putNull("previous");
    }
    ArrayNode results = out.putArray("results");
    newestFirst.stream().skip(from).limit(LIST_PAGE).forEach(p -> results.add(render(p, now)));
    kit.json(ctx, 200, out);
  }

  /** Replicate's list pages hold 100 predictions, newest first, linked by opaque cursors. */
  static final int LIST_PAGE = 100;

  private static String cursor(int offset) {
    return java.util.Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("o=" + offset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static int listCursor(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return 0;
    }
    try {
      String text =
          new String(
              java.util.Base64.getUrlDecoder().decode(cursor),
              java.nio.charset.StandardCharsets.UTF_8);
      return text.startsWith("o=") ? Math.max(0, Integer.parseInt(text.substring(2))) : 0;
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  private void account(Context ctx) {
    if (allowed(ctx)) {
      ObjectNode out =
          kit.object().put("type", "user").put("username", "comfyvn").put("name", "ComfyVN (fake)");
      out.putNull("github_url");
      kit.json(ctx, 200, out);
    }
  }

  private void secret(Context ctx) {
    if (allowed(ctx)) {
      kit.json(ctx, 200, kit.object().put("key", kit.credentials.replicateWebhookSecret()));
    }
  }

  private void hardware(Context ctx) {
    if (allowed(ctx)) {
      ArrayNode out = kit.mapper.createArrayNode();
      out.addObject().put("sku", "cpu").put("name", "CPU");
      out.addObject().put("sku", "gpu-t4").put("name", "Nvidia T4 GPU");
      out.addObject().put("sku", "gpu-l40s").put("name", "Nvidia L40S GPU");
      out.addObject().put("sku", "gpu-a100-large").put("name", "Nvidia A100 (80GB) GPU");
      kit.json(ctx, 200, out);
    }
  }

  /** The prediction object at {@code now}, as get, create, cancel and webhooks send it. */
  private ObjectNode render(Prediction p, Instant now) {
    Phase phase = p.life.phase(now);
    Instant started = p.life.startedAt(now);
    Instant ended = p.life.endedAt(now);
    boolean removed = ended != null && !now.isBefore(ended.plus(kit.settings.replicateRetention()));
    String base = kit.baseUrl() + BASE + "/predictions/" + p.id;
    ObjectNode out = kit.object().put("id", p.id).put("model", p.model).put("version", p.version);
    if (removed) {
      out.putObject("input");
    } else {
      out.set("input", p.input);
    }
    out.put("logs", removed ? "" : p.cog != null ? cogLogs(p, phase, now) : logs(p, phase, now));
    if (phase == Phase.SUCCEEDED && !removed) {
      ArrayNode output = out.putArray("output");
      if (p.cog != null) {
        cogUrls(p).forEach(output::add);
      } else {
        kit.imageUrls(p.id, p.prompt, p.seed, FakeKit.imageCount(p.input)).forEach(output::add);
      }
    } else {
      out.putNull("output");
    }
    out.put("data_removed", removed);
    switch (phase) {
      case FAILED ->
          out.put(
              "error",
              p.cog != null && p.cog.failed() ? p.cog.error() : "forced failure (fake provider)");
      case TIMED_OUT -> out.put("error", "Prediction timed out");
      default -> out.putNull("error");
    }
    out.put("status", status(p, phase, now));
    out.put("created_at", p.life.created().toString());
    putTime(out, "started_at", started);
    putTime(out, "completed_at", ended);
    if (p.deployment != null) {
      out.put("deployment", p.deployment);
    }
    if (p.deadline != null) {
      out.put("deadline", p.deadline.toString());
    }
    ObjectNode metrics = out.putObject("metrics");
    if (started != null && ended != null) {
      metrics.put("predict_time", Duration.between(started, ended).toMillis() / 1000.0);
      metrics.put("total_time", Duration.between(p.life.created(), ended).toMillis() / 1000.0);
      if (phase == Phase.SUCCEEDED && p.cog == null) {
        metrics.put("image_count", FakeKit.imageCount(p.input));
      }
    }
    ObjectNode urls = out.putObject("urls");
    urls.put("get", base)
        .put("cancel", base + "/cancel")
        .put("web", kit.baseUrl() + "/replicate/p/" + p.id);
    return out;
  }

  private static void putTime(ObjectNode out, String field, Instant t) {
    if (t == null) {
      out.putNull(field);
    } else {
      out.put(field, t.toString());
    }
  }

  private static String status(Prediction p, Phase phase, Instant now) {
    return switch (phase) {
      case QUEUED -> "starting";
      case RUNNING -> "processing";
      case SUCCEEDED -> "succeeded";
      case FAILED, TIMED_OUT -> "failed";
      case CANCELED -> {
        // A deadline reached before the model started is "aborted" (not billed).
        boolean byDeadline = p.deadline != null && p.deadline.equals(p.life.endedAt(now));
        yield byDeadline && p.life.neverStarted(now) ? "aborted" : "canceled";
      }
    };
  }

  /** tqdm-style progress lines that grow while the prediction runs. */
  private static String logs(Prediction p, Phase phase, Instant now) {
    if (p.life.startedAt(now) == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder("Using seed: ").append(p.seed).append('\n');
    int steps =
        phase == Phase.SUCCEEDED ? LOG_STEPS : (int) Math.floor(p.life.progress(now) * LOG_STEPS);
    for (int i = 1; i <= Math.min(steps, LOG_STEPS); i++) {
      int pct = i * 100 / LOG_STEPS;
      sb.append(String.format("%3d%%|%-10s| %d/%d%n", pct, "#".repeat(pct / 10), i, LOG_STEPS));
    }
    if (phase == Phase.FAILED) {
      sb.append(
          "Traceback (most recent call last):\nRuntimeError: forced failure (fake provider)\n");
    }
    return sb.toString();
  }

  /** Sends start, logs, output and completed webhooks as the predictions move on. */
  void tick() {
    Instant now = kit.now();
    for (Prediction p : predictions.values()) {
      if (p.webhook == null || p.finalSent) {
        continue;
      }
      Phase phase = p.life.phase(now);
      if (!p.startSent && p.life.startedAt(now) != null) {
        p.startSent = true;
        if (p.events.contains("start")) {
          send(p, "start", now, List.of());
        }
      }
      if (phase == Phase.RUNNING && p.events.contains("logs")) {
        int len = logs(p, phase, now).length();
        if (len > p.logsSent && !now.isBefore(p.logsSentAt.plusMillis(500))) {
          p.logsSent = len;
          p.logsSentAt = now;
          send(p, "logs", now, List.of());
        }
      }
      if (phase.terminal()) {
        p.finalSent = true;
        if (p.events.contains("completed")) {
          send(p, "completed", now, kit.settings.replicateWebhookRetries());
        } else if (p.events.contains("output") && phase == Phase.SUCCEEDED) {
          send(p, "output", now, List.of());
        }
      }
    }
  }

  private void send(Prediction p, String event, Instant now, List<Duration> retries) {
    String messageId = "msg_" + newId();
    String secret = kit.credentials.replicateWebhookSecret();
    kit.webhooks.send(
        PROVIDER,
        p.id,
        event,
        p.webhook,
        kit.text(render(p, now)),
        (body, at) -> {
          Map<String, String> h = new LinkedHashMap<>();
          h.put("webhook-id", messageId);
          h.put("webhook-timestamp", String.valueOf(at.getEpochSecond()));
          h.put(
              "webhook-signature",
              WebhookSigner.sign(secret, messageId, at.getEpochSecond(), body));
          return h;
        },
        retries);
  }

  /** Runs the fake cog-comfyui for a prediction; its files are kept for {@code /delivery}. */
  private FakeCogComfyui.Result cogComfyui(String id, JsonNode input) {
    FakeCogComfyui.Result r =
        FakeCogComfyui.predict(
            input,
            kit.mapper,
            this::fileBytes,
            (graph, folder) -> kit.execute(PROVIDER, graph, folder));
    for (FakeCogComfyui.File f : r.files()) {
      delivery.put(id + "/" + f.name(), f);
    }
    return r;
  }

  private List<String> cogUrls(Prediction p) {
    return p.cog.files().stream()
        .map(f -> kit.baseUrl() + "/replicate/delivery/" + p.id + "/" + f.name())
        .toList();
  }

  /** cog's printed lines so far: all of them once the prediction ended. */
  private static String cogLogs(Prediction p, Phase phase, Instant now) {
    if (p.life.startedAt(now) == null) {
      return "";
    }
    List<String> lines = p.cog.logs();
    int n = phase.terminal() ? lines.size() : (int) Math.floor(p.life.progress(now) * lines.size());
    StringBuilder sb = new StringBuilder();
    lines.subList(0, Math.min(n, lines.size())).forEach(l -> sb.append(l).append('\n'));
    if (phase == Phase.FAILED && p.cog.failed()) {
      sb.append("Traceback (most recent call last):\n").append(p.cog.error()).append('\n');
    }
    return sb.toString();
  }

  /** The bytes behind an {@code input_file} URL: only this fake's own files API. */
  private byte[] fileBytes(String url) {
    String prefix = kit.baseUrl() + BASE + "/files/";
    if (!url.startsWith(prefix)) {
      return null;
    }
    Upload u = uploads.get(url.substring(prefix.length()).replaceFirst("[/?#].*$", ""));
    return u == null ? null : u.data();
  }

  private void registerFiles(RoutesConfig r) {
    kit.post(r, BASE + "/files", PROVIDER, "file_create", FakeReplicate::error, this::fileCreate);
    kit.get(r, BASE + "/files", PROVIDER, "file_list", FakeReplicate::error, this::fileList);
    kit.get(r, BASE + "/files/{id}", PROVIDER, "file_get", FakeReplicate::error, this::fileGet);
    kit.delete(
        r, BASE + "/files/{id}", PROVIDER, "file_delete", FakeReplicate::error, this::fileDelete);
    kit.get(
        r,
        "/replicate/delivery/{id}/{name}",
        PROVIDER,
        "delivery",
        FakeReplicate::error,
        this::deliver);
  }

  /** {@code POST /files}: multipart {@code content} (the file) and optional {@code metadata}. */
  private void fileCreate(Context ctx) throws java.io.IOException {
    if (!allowed(ctx)) {
      return;
    }
    io.javalin.http.UploadedFile file = ctx.uploadedFile("content");
    if (file == null) {
      problem(ctx, 422, "Input validation failed", "- content: a file is required");
      return;
    }
    byte[] data;
    try (java.io.InputStream in = file.content()) {
      data = in.readAllBytes();
    }
    JsonNode metadata = kit.object();
    io.javalin.http.UploadedFile meta = ctx.uploadedFile("metadata");
    String metaText =
        meta != null
            ? new String(meta.content().readAllBytes(), StandardCharsets.UTF_8)
            : ctx.formParam("metadata");
    if (metaText != null && !metaText.isBlank()) {
      try {
        metadata = kit.mapper.readTree(metaText);
      } catch (java.io.IOException e) {
        problem(ctx, 422, "Input validation failed", "- metadata: must be JSON");
        return;
      }
    }
    String type = file.contentType() == null ? "application/octet-stream" : file.contentType();
    Upload u = new Upload(newId(), file.filename(), type, data, metadata, kit.now());
    uploads.put(u.id(), u);
    kit.json(ctx, 201, fileJson(u));
  }

  private ObjectNode fileJson(Upload u) {
    ObjectNode out =
        kit.object()
            .put("id", u.id())
            .put("name", u.name())
            .put("content_type", u.contentType())
            .put("size", u.data().length)
            .put("etag", FakeExecutor.hex(FakeExecutor.digest(u.data())).substring(0, 32));
    out.putObject("checksums").put("sha256", FakeExecutor.hex(FakeExecutor.digest(u.data())));
    out.set("metadata", u.metadata());
    out.put("created_at", u.at().toString());
    out.put("expires_at", u.at().plus(Duration.ofDays(1)).toString());
    out.putObject("urls").put("get", kit.baseUrl() + BASE + "/files/" + u.id());
    return out;
  }

  private void fileList(Context ctx) {
    if (allowed(ctx)) {
      ObjectNode out = kit.object();
      out.putNull("next");
      out.putNull("previous");
      ArrayNode results = out.putArray("results");
      uploads.values().stream()
          .sorted(Comparator.comparing(Upload::at).reversed())
          .forEach(u -> results.add(fileJson(u)));
      kit.json(ctx, 200, out);
    }
  }

  private void fileGet(Context ctx) {
    if (allowed(ctx)) {
      Upload u = uploads.get(ctx.pathParam("id"));
      if (u == null) {
        problem(ctx, 404, "Not found", "File not found");
      } else {
        kit.json(ctx, 200, fileJson(u));
      }
    }
  }

  private void fileDelete(Context ctx) {
    if (allowed(ctx)) {
      if (uploads.remove(ctx.pathParam("id")) == null) {
        problem(ctx, 404, "Not found", "File not found");
      } else {
        ctx.status(204);
      }
    }
  }

  /** A cog run's output file, as {@code replicate.delivery} serves it: no credentials. */
  private void deliver(Context ctx) {
    FakeCogComfyui.File f = delivery.get(ctx.pathParam("id") + "/" + ctx.pathParam("name"));
    if (f == null) {
      problem(ctx, 404, "Not found", "no such file");
      return;
    }
    ctx.status(200).contentType(f.mime()).result(f.data());
  }

  boolean force(String id, Outcome outcome) {
    Prediction p = predictions.get(id);
    if (p != null) {
      p.life.force(outcome, kit.now());
    }
    return p != null;
  }

  private static String newId() {
    char[] id = new char[26];
    for (int i = 0; i < id.length; i++) {
      id[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
    }
    return new String(id);
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

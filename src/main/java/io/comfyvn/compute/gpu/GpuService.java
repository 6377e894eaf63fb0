package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.Results.FeatureState;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.tasks.TaskStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The {@code /api/providers/gpu} operations for every provider: resolves the provider, asks {@link
 * ModeDecision} how to run, runs the dry-run contract (written once for all providers), records
 * tasks before answering, and logs each call to {@code logs/providers_gpu.log}.
 */
public final class GpuService {
  /** The task kind of a public GPU submit. */
  public static final String TASK_KIND = "public.gpu.submit";

  /** The reason word of the work order's dry-run contract when secrets are absent. */
  public static final String MISSING_TOKEN = "missing token";

  /** The log line of a completed dry-run job. */
  public static final String SIMULATED_COMPLETION = "Simulated completion";

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      io.comfyvn.compute.Json.mapper();

  private final GpuProviders providers;
  private final AppConfig config;
  private final SecretStore secrets;
  private final TaskRegistry tasks;
  private final ProviderCallLog callLog;
  private final LiveClients live;
  private final LiveTracker tracker;
  private final Supplier<Optional<String>> webhookBase;
  private final CostEstimator estimator;
  private final SimTasks simTasks;

  /**
   * What live mode needs.
   *
   * @param clients builds each provider's live client
   * @param tracker follows live tasks until they end
   * @param webhookBase the URL providers can reach this service at, when webhooks are enabled
   */
  public record Live(
      LiveClients clients, LiveTracker tracker, Supplier<Optional<String>> webhookBase) {}

  public GpuService(
      GpuProviders providers,
      AppConfig config,
      SecretStore secrets,
      TaskRegistry tasks,
      ProviderCallLog callLog,
      Live live,
      CostEstimator estimator,
      SimTasks simTasks) {
    this.providers = providers;
    this.config = config;
    this.secrets = secrets;
    this.tasks = tasks;
    this.callLog = callLog;
    this.live = live.clients();
    this.tracker = live.tracker();
    this.webhookBase = live.webhookBase();
    this.estimator = estimator;
    this.simTasks = simTasks;
  }

  /** The feature flag's state, as every answer carries it. */
  public FeatureState feature() {
    return new FeatureState(AppConfig.PUBLIC_GPU_FLAG, config.feature(AppConfig.PUBLIC_GPU_FLAG));
  }

  /** Every provider with its readiness and the sample secrets file. */
  public Results.Providers providers() {
    List<Results.ProviderStatus> out = new ArrayList<>();
    ObjectNode sample = JsonNodeFactory.instance.objectNode();
    for (GpuProvider p : providers.all()) {
      ProviderDescriptor d = p.descriptor();
      Call call = resolve(p, ModeDecision.Requested.AUTO);
      String readiness;
      if (!call.missing().isEmpty()) {
        readiness = "missing_secrets";
      } else if (call.decision().mode() == Mode.LIVE) {
        readiness = "live";
      } else {
        readiness = "dry_run";
      }
      out.add(
          new Results.ProviderStatus(
              d.slug(),
              d.name(),
              d.aliases(),
              d.requiredSecrets(),
              call.missing().isEmpty(),
              call.missing(),
              call.decision().mode(),
              call.settings().mode() == ProviderSettings.ConfiguredMode.LIVE ? "live" : "dry_run",
              call.missing().isEmpty(),
              readiness,
              call.decision().reasons(),
              d.hints(),
              d.docsUrl(),
              d.pricingUrl(),
              d.pricingAsOf(),
              d.capabilities()));
      for (ProviderDescriptor.SecretSpec s : d.secrets()) {
        ObjectNode section =
            sample.has(s.section())
                ? (ObjectNode) sample.get(s.section())
                : sample.putObject(s.section());
        section.put(s.field(), s.placeholder());
      }
    }
    return new Results.Providers(
        true, out, SecretStore.SECRETS_FILE, secrets.problem().orElse(null), sample, feature());
  }

  /** Health of one provider. */
  public Results.Health health(String providerName, ModeDecision.Requested requested) {
    long start = System.nanoTime();
    GpuProvider p = providers.require(providerName);
    Call call = resolve(p, requested);
    boolean present = call.missing().isEmpty();
    if (call.decision().mode() == Mode.LIVE) {
      return liveHealth(p, call, start);
    }
    Results.Health h =
        new Results.Health(
            present,
            call.decision().mode() != Mode.LIVE,
            call.decision().mode(),
            call.slug(),
            p.descriptor().name(),
            present ? "present" : "missing",
            present ? null : MISSING_TOKEN,
            null,
            call.missing(),
            call.decision().reasons(),
            secrets.problem().orElse(null),
            feature());
    log("health", call, null, null, present ? "ok" : "missing_secrets", start, null);
    return h;
  }

  private Results.Health liveHealth(GpuProvider p, Call call, long start) {
    boolean ok;
    String detail;
    try {
      LiveClient.Health h = live.require(p).health();
      ok = h.ok();
      detail = h.detail();
    } catch (ProviderException e) {
      ok = false;
      detail = e.code() + ": " + e.getMessage();
    }
    log("health", call, null, null, ok ? "ok" : "unhealthy", start, null);
    return new Results.Health(
        ok,
        false,
        Mode.LIVE,
        call.slug(),
        p.descriptor().name(),
        "present",
        ok ? null : "unhealthy",
        detail,
        List.of(),
        List.of(),
        secrets.problem().orElse(null),
        feature());
  }

  /** Health of every provider, sorted by slug. */
  public List<Results.Health> healthAll() {
    return providers.slugs().stream().map(s -> health(s, ModeDecision.Requested.AUTO)).toList();
  }

  /**
   * Submits a job. The task is in the registry before this returns; the same request (and the same
   * idempotency key) returns the same task.
   */
  public Results.Submit submit(GpuRequest req) {
    long start = System.nanoTime();
    GpuProvider p = providers.require(req.provider());
    Call call = resolve(p, req.requested());
    long seed = Seeds.resolve(req.seed(), req.job());
    String fingerprint = Seeds.fingerprint(req.job());
    List<String> ignored = ignoredConfigKeys(p.descriptor(), req.config());
    if (req.idempotencyKey() != null) {
      Optional<Task> earlier = tasks.findByIdempotencyKey(req.idempotencyKey());
      if (earlier.isPresent()) {
        checkSameJob(earlier.get(), call.slug(), seed, fingerprint);
        Results.Submit again = submitAnswer(earlier.get(), call, ignored);
        log("submit", call, earlier.get().id(), again.id(), "idempotent_replay", start, req.job());
        return again;
      }
    }
    if (call.decision().mode() == Mode.SIM) {
      // Sim runs without secrets: it sends nothing anywhere.
      ObjectNode simMeta = baseMeta(call, seed, fingerprint, req.config(), ignored);
      simMeta.set("payload", req.job().deepCopy());
      String simId = stableId("sim|" + call.slug() + "|" + seed + "|" + fingerprint);
      Task simTask =
          simTasks.start(
              new SimTasks.Start(
                  req.idempotencyKey() == null ? simId : null,
                  TASK_KIND,
                  call.slug(),
                  req.job(),
                  seed,
                  simMeta,
                  req.idempotencyKey()));
      Results.Submit simAnswer = submitAnswer(simTask, call, ignored);
      log("submit", call, simTask.id(), simAnswer.id(), "sim", start, req.job());
      return simAnswer;
    }
    if (call.decision().mode() == Mode.LIVE) {
      return submitLive(p, call, req, seed, fingerprint, ignored, start);
    }
    boolean missing = !call.missing().isEmpty();
    ObjectNode meta = baseMeta(call, seed, fingerprint, req.config(), ignored);
    String providerJobId = missing ? null : MockIds.of(call.slug(), seed);
    if (providerJobId != null) {
      meta.put("provider_job_id", providerJobId);
    }
    ArrayNode logs = meta.putArray("logs");
    meta.putArray("artifacts");
    TaskStatus status;
    String message;
    if (missing) {
      status = TaskStatus.ERROR;
      message = MISSING_TOKEN;
      ArrayNode names = meta.putArray("missing_secrets");
      call.missing().forEach(names::add);
      logs.add("Not submitted: missing secrets " + String.join(", ", call.missing()));
    } else {
      status = TaskStatus.DONE;
      message = SIMULATED_COMPLETION;
      logs.add(SIMULATED_COMPLETION);
    }
    meta.set("payload", req.job().deepCopy());
    String taskId =
        stableId(
            (missing ? "missing|" : "dry_run|") + call.slug() + "|" + seed + "|" + fingerprint);
    TaskRegistry.Registered reg =
        tasks.register(
            new TaskRegistry.Draft(
                req.idempotencyKey() == null ? taskId : null,
                TASK_KIND,
                status,
                1.0,
                message,
                meta,
                req.idempotencyKey()));
    Results.Submit answer = submitAnswer(reg.task(), call, ignored);
    log(
        "submit",
        call,
        reg.task().id(),
        answer.id(),
        missing ? "missing_secrets" : (reg.created() ? "ok" : "existing_task"),
        start,
        req.job());
    return answer;
  }

  /**
   * Live submit: the task is written first (queued, "sending"), then the create goes upstream once.
   * A refused create marks the task error; an ambiguous one (no answer after sending) leaves it
   * queued for reconciliation, never resent: a webhook carrying our task id finds the job again.
   */
  private Results.Submit submitLive(
      GpuProvider p,
      Call call,
      GpuRequest req,
      long seed,
      String fingerprint,
      List<String> ignored,
      long start) {
    ObjectNode meta = baseMeta(call, seed, fingerprint, req.config(), ignored);
    meta.put("submit_state", "sending");
    // Kept with the task so the provenance sidecars of its outputs can carry the cost.
    meta.set("estimate", JSON.valueToTree(estimator.estimate(call.slug(), req.job())));
    meta.put("webhook_token", UUID.randomUUID().toString().replace("-", ""));
    meta.putArray("logs");
    meta.putArray("artifacts");
    meta.set("payload", req.job().deepCopy());
    TaskRegistry.Registered reg =
        tasks.register(
            new TaskRegistry.Draft(
                null,
                TASK_KIND,
                TaskStatus.QUEUED,
                0.0,
                "Submitting to " + p.descriptor().name(),
                meta,
                req.idempotencyKey()));
    Task task = reg.task();
    if (!reg.created()) {
      return submitAnswer(task, call, ignored);
    }
    ProviderSettings settings = effectiveSettings(call.settings(), req.config(), ignored);
    String webhook =
        p.descriptor().capabilities().contains("webhooks")
            ? webhookBase
                .get()
                .map(
                    b ->
                        b
                            + "/api/providers/gpu/webhooks/"
                            + call.slug()
                            + "?task="
                            + task.id()
                            + "&token="
                            + meta.path("webhook_token").asText())
                .orElse(null)
            : null;
    LiveClient.Submitted submitted;
    try {
      submitted =
          live.require(p)
              .submit(new LiveClient.LiveJob(task.id(), req.job(), seed, settings, webhook));
    } catch (ProviderException e) {
      boolean ambiguous = e.sent() == ProviderException.Sent.AMBIGUOUS;
      ObjectNode patch =
          TaskRegistry.newMeta()
              .put("submit_state", ambiguous ? "unknown" : "refused")
              .put("reconcile", ambiguous)
              .put("error", e.getMessage())
              .put("error_code", e.code());
      if (ambiguous) {
        tasks.update(
            task.id(),
            TaskStatus.QUEUED,
            0.0,
            "Submit outcome unknown; waiting to reconcile (not resubmitted)",
            patch);
        tracker.follow(task.id());
      } else {
        tasks.update(task.id(), TaskStatus.ERROR, 0.0, "Rejected: " + e.getMessage(), patch);
      }
      log("submit", call, task.id(), null, e.code(), start, req.job());
      e.detail("task_id", task.id()).detail("provider", call.slug());
      if (ambiguous) {
        e.detail("reconcile", true);
      }
      throw e;
    }
    Task updated =
        tracker.apply(task.id(), submitted.providerJobId(), submitted.state()).orElse(task);
    tracker.follow(task.id());
    log("submit", call, task.id(), submitted.providerJobId(), "ok", start, req.job());
    return submitAnswer(updated, call, ignored);
  }

  /** The provider's settings with the request's allowed overrides on top. */
  private static ProviderSettings effectiveSettings(
      ProviderSettings base, ObjectNode requestConfig, List<String> ignored) {
    ObjectNode merged = base.settings().deepCopy();
    requestConfig
        .properties()
        .forEach(
            e -> {
              if (!ignored.contains(e.getKey())) {
                merged.set(e.getKey(), e.getValue().deepCopy());
              }
            });
    return new ProviderSettings(base.mode(), merged);
  }

  /** Polls a job by task id, mock id, or (with a provider) the provider's job id. */
  public Results.Poll poll(String id, String providerHint) {
    long start = System.nanoTime();
    Target t = target(id, providerHint);
    Results.Poll answer;
    if (t.task().isPresent()) {
      Task task = t.task().get();
      answer =
          new Results.Poll(
              true,
              !"live".equals(task.meta().path("mode").asText()),
              modeOf(task),
              t.slug(),
              task.providerJobId().isEmpty() ? null : task.providerJobId(),
              task.id(),
              task.status().wire(),
              task.progress(),
              textOrNull(task.meta(), "provider_status"),
              artifacts(task),
              strings(task.meta().path("logs")),
              feature());
    } else {
      answer =
          new Results.Poll(
              true,
              true,
              Mode.DRY_RUN,
              t.slug(),
              id,
              null,
              TaskStatus.DONE.wire(),
              1.0,
              null,
              List.of(),
              List.of(SIMULATED_COMPLETION),
              feature());
    }
    log("poll", t, answer.taskId(), answer.id(), answer.status(), start);
    return answer;
  }

  /** Cancels a job; a job that already finished is reported, not changed. */
  public Results.Cancel cancel(String id, String providerHint) {
    long start = System.nanoTime();
    Target t = target(id, providerHint);
    Results.Cancel answer;
    if (t.task().isEmpty()) {
      answer =
          new Results.Cancel(
              true,
              true,
              Mode.DRY_RUN,
              t.slug(),
              id,
              null,
              TaskStatus.DONE.wire(),
              false,
              "dry-run job already finished",
              feature());
    } else {
      Task task = t.task().get();
      if (task.status().terminal()) {
        answer =
            cancelAnswer(t, task, false, "job already finished (" + task.status().wire() + ")");
      } else if ("live".equals(task.meta().path("mode").asText())
          && !task.providerJobId().isEmpty()) {
        GpuProvider p = providers.require(task.providerSlug());
        LiveClient.JobState state = live.require(p).cancel(task.providerJobId());
        Task now = tracker.apply(task.id(), null, state).orElse(task);
        answer = cancelAnswer(t, now, now.status() == TaskStatus.CANCELED, now.message());
      } else {
        Task now =
            tasks
                .update(
                    task.id(), TaskStatus.CANCELED, task.progress(), "Canceled by request", null)
                .orElse(task);
        answer = cancelAnswer(t, now, now.status() == TaskStatus.CANCELED, now.message());
      }
    }
    log(
        "cancel",
        t,
        answer.taskId(),
        answer.id(),
        answer.canceled() ? "canceled" : "not_canceled",
        start);
    return answer;
  }

  /**
   * Logs a {@code /simulate} call to {@code logs/providers_gpu.log} like the other operations.
   *
   * @param slug provider slug
   * @param jobId the simulated job id
   * @param outcome the simulated outcome
   * @param simulatedMs the simulated submit-to-result time
   * @param start {@link System#nanoTime()} when the call began
   * @param job the job payload (logged at DEBUG only)
   */
  public void logSimulation(
      String slug, String jobId, String outcome, long simulatedMs, long start, Object job) {
    callLog.call(
        "simulate",
        slug,
        Mode.SIM.wire(),
        null,
        jobId,
        outcome + " after " + simulatedMs + " ms simulated",
        (System.nanoTime() - start) / 1000,
        job);
  }

  // --- internals -------------------------------------------------------------------------------

  /** A resolved call: provider, its settings, missing secrets, and the mode decision. */
  private record Call(
      String slug, ProviderSettings settings, List<String> missing, ModeDecision decision) {}

  /** What a poll or cancel refers to. */
  private record Target(String slug, Optional<Task> task) {}

  private Call resolve(GpuProvider p, ModeDecision.Requested requested) {
    ProviderDescriptor d = p.descriptor();
    ProviderSettings settings = config.provider(d.slug());
    List<String> missing = secrets.missing(d.secretKeys());
    ModeDecision decision =
        ModeDecision.decide(
            config.feature(AppConfig.PUBLIC_GPU_FLAG),
            missing,
            settings.mode(),
            p.hasLiveClient(),
            requested);
    return new Call(d.slug(), settings, missing, decision);
  }

  private Target target(String id, String providerHint) {
    if (id.isBlank() || id.length() > 256) {
      throw ComputeException.badRequest("invalid_id", "a job id is 1 to 256 characters");
    }
    String hinted =
        providerHint == null || providerHint.isBlank()
            ? null
            : providers.require(providerHint).descriptor().slug();
    Optional<Task> byTask = tasks.get(id);
    if (byTask.isPresent() && TASK_KIND.equals(byTask.get().kind())) {
      return new Target(byTask.get().providerSlug(), byTask);
    }
    Optional<MockIds.MockId> mock = MockIds.parse(id);
    if (mock.isPresent()) {
      String slug = providers.require(mock.get().slug()).descriptor().slug();
      return new Target(slug, tasks.findByProviderJob(slug, id));
    }
    // Sim job ids name their provider (sim-<slug>-<seed>); other provider ids need ?provider=.
    String slug = hinted != null ? hinted : simSlug(id);
    if (slug != null) {
      Optional<Task> byJob = tasks.findByProviderJob(slug, id);
      if (byJob.isPresent()) {
        return new Target(slug, byJob);
      }
    }
    throw ComputeException.notFound(
        "unknown_job",
        "no job with id '" + (id.length() > 64 ? id.substring(0, 64) + "..." : id) + "'");
  }

  /** The provider of a {@code sim-<slug>-<seed>} id, when it names a known one. */
  private String simSlug(String id) {
    if (!id.startsWith("sim-") || id.lastIndexOf('-') <= 4) {
      return null;
    }
    return providers
        .find(id.substring(4, id.lastIndexOf('-')))
        .map(p -> p.descriptor().slug())
        .orElse(null);
  }

  private Results.Submit submitAnswer(Task task, Call call, List<String> ignored) {
    ObjectNode meta = task.meta();
    boolean missing = task.status() == TaskStatus.ERROR && MISSING_TOKEN.equals(task.message());
    return new Results.Submit(
        !missing && task.status() != TaskStatus.ERROR,
        !"live".equals(meta.path("mode").asText()),
        modeOf(task),
        task.providerSlug(),
        textOrNull(meta, "provider_job_id"),
        task.id(),
        task.status().wire(),
        meta.path("seed").asLong(),
        missing ? MISSING_TOKEN : (task.status() == TaskStatus.ERROR ? task.message() : null),
        missing ? strings(meta.path("missing_secrets")) : null,
        call.decision().reasons(),
        ignored.isEmpty() ? null : ignored,
        estimateOf(task),
        feature());
  }

  /** The estimate kept with a live task, else computed from the task's payload. */
  private Estimate estimateOf(Task task) {
    JsonNode kept = task.meta().get("estimate");
    if (kept != null && kept.isObject()) {
      try {
        return JSON.treeToValue(kept, Estimate.class);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        // an older task's estimate in another shape: compute it again below
      }
    }
    JsonNode payload = task.meta().path("payload");
    return estimator.estimate(
        task.providerSlug(), payload.isObject() ? (ObjectNode) payload : JSON.createObjectNode());
  }

  private Results.Cancel cancelAnswer(Target t, Task task, boolean canceled, String message) {
    return new Results.Cancel(
        true,
        !"live".equals(task.meta().path("mode").asText()),
        modeOf(task),
        t.slug(),
        task.providerJobId().isEmpty() ? null : task.providerJobId(),
        task.id(),
        task.status().wire(),
        canceled,
        message,
        feature());
  }

  private ObjectNode baseMeta(
      Call call, long seed, String fingerprint, ObjectNode config, List<String> ignored) {
    ObjectNode meta = TaskRegistry.newMeta();
    meta.put("provider_slug", call.slug());
    meta.put("public_adapter", true);
    meta.put("dry_run", call.decision().mode() != Mode.LIVE);
    meta.put("mode", call.decision().mode().wire());
    meta.put("seed", seed);
    meta.put("job_sha256", fingerprint);
    ObjectNode cfg = meta.putObject("config");
    config
        .properties()
        .forEach(
            e -> {
              if (!ignored.contains(e.getKey())) {
                cfg.set(e.getKey(), e.getValue().deepCopy());
              }
            });
    return meta;
  }

  /**
   * Request config keys this service will not take from a request: anything the provider does not
   * know, secrets (only the secrets file holds those) and any URL setting (a request must not point
   * authenticated calls elsewhere).
   */
  private static List<String> ignoredConfigKeys(ProviderDescriptor d, ObjectNode config) {
    List<String> out = new ArrayList<>();
    config
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (!d.hints().settings().containsKey(k) || isUrlSetting(k)) {
                out.add(k);
              }
            });
    out.sort(String::compareTo);
    return out;
  }

  /** Any URL setting ({@code base_url}, {@code endpoint_url}, {@code jobs_base_url}...). */
  private static boolean isUrlSetting(String key) {
    return key.equals("url") || key.endsWith("_url");
  }

  private static void checkSameJob(Task earlier, String slug, long seed, String fingerprint) {
    ObjectNode meta = earlier.meta();
    if (!fingerprint.equals(meta.path("job_sha256").asText())
        || !slug.equals(earlier.providerSlug())
        || seed != meta.path("seed").asLong(-1)) {
      throw new ComputeException(
          ComputeException.Kind.CONFLICT,
          "idempotency_conflict",
          "this idempotency key was used for a different job (task " + earlier.id() + ")");
    }
  }

  private static Mode modeOf(Task task) {
    String m = task.meta().path("mode").asText("dry_run");
    for (Mode mode : Mode.values()) {
      if (mode.wire().equals(m)) {
        return mode;
      }
    }
    return Mode.DRY_RUN;
  }

  private static List<Results.Artifact> artifacts(Task task) {
    List<Results.Artifact> out = new ArrayList<>();
    for (JsonNode a : task.meta().path("artifacts")) {
      out.add(
          new Results.Artifact(
              textOrNull(a, "name"),
              textOrNull(a, "url"),
              textOrNull(a, "path"),
              textOrNull(a, "mime"),
              textOrNull(a, "sha256"),
              a.hasNonNull("bytes") ? a.get("bytes").asLong() : null));
    }
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String stableId(String name) {
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  private void log(
      String op,
      Call call,
      String taskId,
      String jobId,
      String outcome,
      long start,
      Object payload) {
    callLog.call(
        op,
        call.slug(),
        call.decision().mode().wire(),
        taskId,
        jobId,
        outcome,
        (System.nanoTime() - start) / 1000,
        payload);
  }

  private void log(String op, Target t, String taskId, String jobId, String outcome, long start) {
    String mode = t.task().map(task -> modeOf(task).wire()).orElse(Mode.DRY_RUN.wire());
    callLog.call(
        op, t.slug(), mode, taskId, jobId, outcome, (System.nanoTime() - start) / 1000, null);
  }
}

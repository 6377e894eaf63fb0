package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.MockIds;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import io.comfyvn.compute.gpu.Seeds;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.limits.SpendGuard;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.workflow.InputFiles;
import io.comfyvn.compute.workflow.InputSources;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.ShownInputs;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code /api/providers/gpu} operations for every provider. It resolves each call ({@link
 * Modes}), then hands it to the room that runs that mode: {@link DryRun}, {@link SimTaskRunner} or
 * {@link LiveSubmits}; answers are cut by {@link Answers} from the task as recorded, which is
 * written before any answer goes out. Each call is logged to {@code logs/providers_gpu.log}.
 */
public final class GpuService {
  /** The task kind of a public GPU submit. */
  public static final String TASK_KIND = "public.gpu.submit";

  private final Modes modes;
  private final TaskRegistry tasks;
  private final ProviderCallLog callLog;
  private final LiveClients live;
  private final LiveTracker tracker;
  private final CostEstimator estimator;
  private final SimTaskRunner simTasks;
  private final DryRun dryRun;
  private final LiveSubmits liveSubmits;
  private final InputSources inputs;

  /**
   * What live mode needs.
   *
   * @param clients builds each provider's live client
   * @param tracker follows live tasks until they end
   * @param webhookBase the URL providers can reach this service at, when webhooks are enabled
   * @param spendGuard admits live submits within the configured spend limits
   * @param inputs where a live workflow job's input files are read (the data folder, the web)
   */
  public record Live(
      LiveClients clients,
      LiveTracker tracker,
      Supplier<Optional<String>> webhookBase,
      SpendGuard spendGuard,
      InputSources inputs) {
    /** Without file sources: a live workflow job's inputs must then be inline (base64). */
    public Live(
        LiveClients clients,
        LiveTracker tracker,
        Supplier<Optional<String>> webhookBase,
        SpendGuard spendGuard) {
      this(clients, tracker, webhookBase, spendGuard, InputSources.inlineOnly());
    }
  }

  public GpuService(
      GpuProviders providers,
      AppConfig config,
      SecretStore secrets,
      TaskRegistry tasks,
      ProviderCallLog callLog,
      Live live,
      CostEstimator estimator,
      SimTaskRunner simTasks) {
    this.modes = new Modes(providers, config, secrets, live.clients().gate());
    this.tasks = tasks;
    this.callLog = callLog;
    this.live = live.clients();
    this.tracker = live.tracker();
    this.estimator = estimator;
    this.simTasks = simTasks;
    this.dryRun = new DryRun(tasks);
    this.liveSubmits =
        new LiveSubmits(
            tasks, live.clients(), live.tracker(), live.webhookBase(), live.spendGuard());
    this.inputs = live.inputs();
  }

  /** The feature flag's state, as every answer carries it. */
  public Results.FeatureState feature() {
    return modes.feature();
  }

  /** Every provider with its readiness and the sample secrets file. */
  public Results.Providers providers() {
    List<Results.ProviderStatus> out = new ArrayList<>();
    ObjectNode sample = JsonNodeFactory.instance.objectNode();
    for (GpuProvider p : modes.providers().all()) {
      ProviderDescriptor d = p.descriptor();
      Modes.Call call = modes.resolve(p, ModeDecision.Requested.AUTO);
      String readiness;
      if (!call.secretsPresent()) {
        readiness = "missing_secrets";
      } else if (call.mode() == Mode.LIVE) {
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
              call.secretsPresent(),
              call.missing(),
              call.mode(),
              call.settings().mode() == ProviderSettings.ConfiguredMode.LIVE ? "live" : "dry_run",
              call.secretsPresent(),
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
        true,
        out,
        SecretStore.SECRETS_FILE,
        modes.secrets().problem().orElse(null),
        sample,
        feature());
  }

  /** Health of one provider. */
  public Results.Health health(String providerName, ModeDecision.Requested requested) {
    long start = System.nanoTime();
    Modes.Call call = modes.resolve(providerName, requested);
    if (call.mode() == Mode.LIVE) {
      return liveHealth(call, start);
    }
    Results.Health h = dryRun.health(call, modes.secrets().problem().orElse(null), feature());
    log("health", call, null, null, h.ok() ? "ok" : "missing_secrets", start, null);
    return h;
  }

  private Results.Health liveHealth(Modes.Call call, long start) {
    boolean ok;
    String detail;
    try {
      LiveClient.Health h = live.require(call.provider()).health();
      ok = h.ok();
      detail = h.detail();
    } catch (ProviderException e) {
      if (EgressGuard.isDenial(e)) {
        // the configured URL may not receive the key: a 422 naming the host, not "unhealthy"
        log("health", call, null, null, e.code(), start, null);
        throw e;
      }
      ok = false;
      detail = e.code() + ": " + e.getMessage();
    }
    log("health", call, null, null, ok ? "ok" : "unhealthy", start, null);
    return new Results.Health(
        ok,
        false,
        Mode.LIVE,
        call.slug(),
        call.provider().descriptor().name(),
        "present",
        ok ? null : "unhealthy",
        detail,
        List.of(),
        List.of(),
        modes.secrets().problem().orElse(null),
        feature());
  }

  /** Health of every provider, sorted by slug. */
  public List<Results.Health> healthAll() {
    return modes.providers().slugs().stream()
        .map(s -> health(s, ModeDecision.Requested.AUTO))
        .toList();
  }

  /**
   * Submits a job. The task is in the registry before this returns. An idempotency key replays an
   * earlier task only when its job may exist upstream and it ran in the mode this call runs in;
   * otherwise (refused, not sent, missing secrets, another mode) this is a new attempt under the
   * same key. A key used for another job is a 409.
   */
  public Results.Submit submit(GpuRequest req) {
    long start = System.nanoTime();
    Modes.Call call = modes.resolve(req.provider(), req.requested());
    List<String> ignored = ignoredConfigKeys(call.provider().descriptor(), req.config());
    ObjectNode honoured = req.config().deepCopy();
    honoured.remove(ignored);
    long seed = Seeds.resolve(req.seed(), req.job());
    // A workflow job is checked whole before any task is written or anything is sent; a live one
    // also has its input files read now, so a missing file or a refused URL is a 4xx, not a task.
    Optional<WorkflowJob> workflow = WorkflowJobs.read(req.job(), seed, Limits.DEFAULT);
    WorkflowRun run =
        call.mode() == Mode.LIVE && workflow.isPresent()
            ? new WorkflowRun(
                workflow.get(), InputFiles.resolve(workflow.get(), inputs, Limits.DEFAULT))
            : null;
    SubmitJob j =
        new SubmitJob(
            call,
            req.job(),
            seed,
            Seeds.fingerprint(req.job()),
            honoured,
            ignored,
            req.idempotencyKey(),
            estimator.estimate(call.slug(), req.job()),
            run,
            workflow.orElse(null));
    Optional<Task> earlier = Idempotency.replayable(tasks, j);
    if (earlier.isPresent()) {
      log(
          "submit",
          call,
          earlier.get().id(),
          earlier.get().providerJobId(),
          "idempotent_replay",
          start,
          req.job());
      return answer(earlier.get(), j, true);
    }
    TaskRegistry.Registered reg;
    String outcome;
    switch (call.mode()) {
      case SIM -> {
        // Sim runs without secrets: it sends nothing anywhere.
        reg =
            simTasks.start(
                j.stableTaskId("sim"),
                j.submission(SubmitState.ACCEPTED, null, null),
                j.job(),
                j.details());
        outcome = "sim";
      }
      case LIVE -> {
        try {
          reg = liveSubmits.submit(j);
        } catch (ComputeException e) { // the provider's failure, or the spend guard's 429/402
          log(
              "submit",
              call,
              (String) e.details().get("task_id"),
              null,
              e.code(),
              start,
              req.job());
          throw e;
        }
        outcome = reg.created() ? "ok" : "idempotent_replay";
      }
      default -> {
        reg = dryRun.submit(j);
        outcome =
            !call.secretsPresent() ? "missing_secrets" : (reg.created() ? "ok" : "existing_task");
      }
    }
    log(
        "submit",
        call,
        reg.task().id(),
        reg.task().providerJobId(),
        outcome,
        start,
        ShownInputs.of(req.job()));
    return answer(reg.task(), j, !reg.created());
  }

  /**
   * The answer to a submit. Only a live replay says so ({@code replayed}): a dry-run or sim answer
   * is the same bytes however often the same request comes.
   */
  private Results.Submit answer(Task task, SubmitJob j, boolean replayed) {
    return Answers.submit(
        task, j.call(), j.ignored(), replayed && task.live(), j.estimate(), feature());
  }

  /** Polls a job by task id, mock id, or (with a provider) the provider's job id. */
  public Results.Poll poll(String id, String providerHint) {
    long start = System.nanoTime();
    Target t = target(id, providerHint);
    Results.Poll answer =
        t.task()
            .map(task -> Answers.poll(task, feature()))
            .orElseGet(() -> dryRun.pollUnknownMock(t.slug(), id, feature()));
    log("poll", t, answer.taskId(), answer.id(), answer.status(), start);
    return answer;
  }

  /** Cancels a job; a job that already finished is reported, not changed. */
  public Results.Cancel cancel(String id, String providerHint) {
    long start = System.nanoTime();
    Target t = target(id, providerHint);
    Results.Cancel answer;
    if (t.task().isEmpty()) {
      answer = dryRun.cancelUnknownMock(t.slug(), id, feature());
    } else {
      Task task = t.task().get();
      if (task.status().terminal()) {
        answer =
            Answers.cancel(
                task, false, "job already finished (" + task.status().wire() + ")", feature());
      } else if (task.live() && !task.providerJobId().isEmpty()) {
        GpuProvider p = modes.providers().require(task.providerSlug());
        Optional<String> closed = modes.gate().closedFor(p);
        if (closed.isPresent()) {
          // Nothing may leave the machine: say so, and leave the task as it is (the job may still
          // run at the provider; marking it canceled here would be a lie).
          answer =
              Answers.cancel(
                  task,
                  false,
                  "Not canceled at the provider: " + closed.get() + "; the job may still run there",
                  feature());
        } else {
          LiveClient.JobState state = live.require(p).cancel(task.providerJobId());
          Task now = tracker.apply(task.id(), null, state).orElse(task);
          answer =
              Answers.cancel(now, now.status() == TaskStatus.CANCELED, now.message(), feature());
        }
      } else if (task.live()) {
        // The create is in flight (sent) or its answer was lost (ambiguous): a job may be running
        // at the provider, and only its id can stop it. Marking the task canceled here would
        // leave that job running and billed with nobody following it (a terminal task takes no
        // job id), so the task is left as it is and the caller is told what to do instead.
        String why =
            "the create may have reached "
                + task.providerSlug()
                + " and its job id is not known yet (submit "
                + task.submission().state().wire()
                + ")";
        Optional<String> closed =
            modes.gate().closedFor(modes.providers().require(task.providerSlug()));
        answer =
            Answers.cancel(
                task,
                false,
                closed
                    .map(
                        c ->
                            why
                                + "; "
                                + c
                                + ", so it can be neither found nor canceled from here: check "
                                + task.providerSlug()
                                + "'s console")
                    .orElse(why + "; cancel again once the task shows its provider job id"),
                feature());
      } else {
        Task now =
            tasks
                .update(
                    task.id(), TaskStatus.CANCELED, task.progress(), "Canceled by request", null)
                .orElse(task);
        answer = Answers.cancel(now, now.status() == TaskStatus.CANCELED, now.message(), feature());
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
        Mode.SIM,
        null,
        jobId,
        outcome + " after " + simulatedMs + " ms simulated",
        (System.nanoTime() - start) / 1000,
        job instanceof JsonNode j ? ShownInputs.of(j) : job);
  }

  // --- internals -------------------------------------------------------------------------------

  /** What a poll or cancel refers to. */
  private record Target(String slug, Optional<Task> task) {}

  private Target target(String id, String providerHint) {
    if (id.isBlank() || id.length() > 256) {
      throw ComputeException.badRequest("invalid_id", "a job id is 1 to 256 characters");
    }
    GpuProviders providers = modes.providers();
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
    return modes
        .providers()
        .find(id.substring(4, id.lastIndexOf('-')))
        .map(p -> p.descriptor().slug())
        .orElse(null);
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

  private void log(
      String op,
      Modes.Call call,
      String taskId,
      String jobId,
      String outcome,
      long start,
      Object payload) {
    callLog.call(
        op,
        call.slug(),
        call.mode(),
        taskId,
        jobId == null || jobId.isEmpty() ? null : jobId,
        outcome,
        (System.nanoTime() - start) / 1000,
        payload);
  }

  private void log(String op, Target t, String taskId, String jobId, String outcome, long start) {
    Mode mode = t.task().map(Task::mode).orElse(Mode.DRY_RUN);
    callLog.call(
        op, t.slug(), mode, taskId, jobId, outcome, (System.nanoTime() - start) / 1000, null);
  }
}

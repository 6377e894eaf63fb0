package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.cluster.TaskLeases;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.provenance.ArtifactStore;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Artifact;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.workflow.InputSources;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every live task until it is terminal: polls with an adaptive interval (fast at first,
 * backing off while nothing changes; each poll also passes the provider's rate limiter), applies
 * webhook states, downloads artifacts with provenance when a job is done, and picks unfinished live
 * tasks up again after a restart. Task changes are persisted (and only then announced) by the
 * {@link TaskRegistry}.
 *
 * <p>Threads are bounded: one scheduler thread plus a fixed pool of poll workers, whatever the
 * number of tasks followed. Settings, under {@code tracker} in {@code config/comfyvn.json}: {@code
 * initial_poll_ms} (1000), {@code max_poll_ms} (30000), {@code backoff} (1.5), {@code workers} (4),
 * and, for creates whose answer was never read ({@link Reconciler}), {@code reconcile_after_ms}
 * (1800000), {@code reconcile_after_restart_ms} (120000) and {@code reconcile_settle_ms} (10000).
 */
public final class LiveTracker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveTracker.class);

  private final TaskRegistry tasks;
  private final GpuProviders providers;
  private final LiveClients clients;
  private final ArtifactStore artifacts;
  private final Clock clock;
  private final Settings settings;
  private final Scheduler scheduler;
  private final Executor workers;
  private final ExecutorService ownedWorkers;
  private final TaskLeases leases;
  private final Reconciler reconciler;
  private final Map<String, Long> intervals = new ConcurrentHashMap<>();

  /** Tasks whose outputs are being fetched now, and the answer their "done" will give. */
  private final Map<String, CompletableFuture<Optional<Task>>> finishing =
      new ConcurrentHashMap<>();

  /**
   * Tracker settings.
   *
   * @param initialPoll first poll delay
   * @param maxPoll longest poll interval
   * @param backoff interval growth while nothing changes
   * @param workers poll worker threads
   * @param reconcileAfter how long an ambiguous create waits for its job to be named
   * @param reconcileAfterRestart how long a task found {@code sent} (its sender died) waits
   * @param reconcileSettle how old a create must be before "no such job upstream" is believed
   */
  public record Settings(
      Duration initialPoll,
      Duration maxPoll,
      double backoff,
      int workers,
      Duration reconcileAfter,
      Duration reconcileAfterRestart,
      Duration reconcileSettle) {
    /** From the {@code tracker} section of the config. */
    public static Settings of(AppConfig config) {
      JsonNode t = config.section("tracker");
      return new Settings(
          Duration.ofMillis(t.path("initial_poll_ms").asLong(1000)),
          Duration.ofMillis(t.path("max_poll_ms").asLong(30_000)),
          Math.max(1.0, t.path("backoff").asDouble(1.5)),
          Math.max(1, t.path("workers").asInt(4)),
          Duration.ofMillis(t.path("reconcile_after_ms").asLong(1_800_000)),
          Duration.ofMillis(t.path("reconcile_after_restart_ms").asLong(120_000)),
          Duration.ofMillis(t.path("reconcile_settle_ms").asLong(10_000)));
    }
  }

  /**
   * A tracker on its own threads that follows only the tasks whose lease it holds (several
   * instances on one store: each live task is polled by exactly one of them).
   *
   * @param inputs where a workflow job's input files are read again when its create is rebuilt for
   *     a keyed resend ({@link Reconciler#rebuild}): the sources submits read from
   */
  public LiveTracker(
      TaskRegistry tasks,
      GpuProviders providers,
      LiveClients clients,
      ArtifactStore artifacts,
      Clock clock,
      Settings settings,
      TaskLeases leases,
      InputSources inputs) {
    this(
        tasks,
        providers,
        clients,
        artifacts,
        clock,
        settings,
        Scheduler.daemon("live-tracker-scheduler"),
        Executors.newFixedThreadPool(settings.workers(), daemon("live-tracker-poll")),
        leases,
        inputs);
  }

  /**
   * A tracker on the given scheduler and poll workers (tests pass a manual scheduler and a direct
   * executor, so polls run when the test says, on the test's thread).
   */
  public LiveTracker(
      TaskRegistry tasks,
      GpuProviders providers,
      LiveClients clients,
      ArtifactStore artifacts,
      Clock clock,
      Settings settings,
      Scheduler scheduler,
      Executor workers) {
    this(
        tasks,
        providers,
        clients,
        artifacts,
        clock,
        settings,
        scheduler,
        workers,
        TaskLeases.SOLE,
        InputSources.inlineOnly());
  }

  /**
   * A tracker on the given scheduler and poll workers, following the tasks whose lease it holds,
   * reading workflow inputs again from {@code inputs} when a create is rebuilt.
   */
  public LiveTracker(
      TaskRegistry tasks,
      GpuProviders providers,
      LiveClients clients,
      ArtifactStore artifacts,
      Clock clock,
      Settings settings,
      Scheduler scheduler,
      Executor workers,
      TaskLeases leases,
      InputSources inputs) {
    this.leases = leases;
    this.tasks = tasks;
    this.providers = providers;
    this.clients = clients;
    this.artifacts = artifacts;
    this.clock = clock;
    this.settings = settings;
    this.scheduler = scheduler;
    this.workers = workers;
    this.ownedWorkers = workers instanceof ExecutorService e ? e : null;
    this.reconciler =
        new Reconciler(
            tasks,
            providers,
            clients,
            clock,
            new Reconciler.Settings(
                settings.reconcileAfter(),
                settings.reconcileAfterRestart(),
                settings.reconcileSettle()),
            inputs);
  }

  /**
   * Starts following a task (idempotent) when this instance gets its lease; a task another live
   * instance follows is left to it.
   */
  public void follow(String taskId) {
    if (intervals.containsKey(taskId) || !leases.claim(taskId)) {
      return;
    }
    if (intervals.putIfAbsent(taskId, settings.initialPoll().toMillis()) == null) {
      schedule(taskId, settings.initialPoll().toMillis());
    }
  }

  /** Follows every unfinished live task again (after a restart); returns how many. */
  public int resume() {
    int n = 0;
    for (Task t : tasks.unfinished(100_000)) {
      if (GpuService.TASK_KIND.equals(t.kind()) && t.live()) {
        follow(t.id());
        n++;
      }
    }
    return n;
  }

  /** How many tasks are being followed now. */
  public int following() {
    return intervals.size();
  }

  /**
   * Applies a provider state to a task (from a poll or a webhook): status, progress, provider
   * status, logs, error; on done, stores the artifacts first. A terminal task is not changed.
   *
   * @param providerJobId the provider's job id when this state comes with one (a create answer, a
   *     webhook), else null
   */
  public Optional<Task> apply(String taskId, String providerJobId, JobState state) {
    Optional<Task> current = tasks.get(taskId);
    if (current.isEmpty() || current.get().status().terminal()) {
      return current;
    }
    if (state.status() != TaskStatus.DONE) {
      return tasks.update(taskId, t -> next(t, providerJobId, state, null));
    }
    // Done: the outputs are fetched once. A second "done" (a webhook racing a poll) that arrives
    // while the first is fetching waits for it and answers with its result; one that arrives
    // after finds the task terminal.
    CompletableFuture<Optional<Task>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<Task>> running = finishing.putIfAbsent(taskId, mine);
    if (running != null) {
      try {
        return running.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    try {
      Optional<Task> now = tasks.get(taskId);
      Optional<Task> after;
      if (now.isEmpty() || now.get().status().terminal()) {
        after = now;
      } else {
        List<Artifact> stored = store(now.get(), providerJobId, state);
        after = tasks.update(taskId, t -> next(t, providerJobId, state, stored));
      }
      mine.complete(after);
      return after;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      // only once the done state is written, so no later caller can start a second fetch
      finishing.remove(taskId, mine);
    }
  }

  /** The task after a provider state (pure: the registry may call it again after a race). */
  private Task next(Task task, String providerJobId, JobState state, List<Artifact> stored) {
    ObjectNode patch = TaskRegistry.newDetails();
    patch.put("provider_status", state.providerStatus());
    Submission s = task.submission();
    if (providerJobId != null && s.providerJobId() == null) {
      s = s.accepted(providerJobId);
    }
    // the task's log: the lines kept so far, the provider's new ones, then the service's own
    ArrayNode logs = TaskRegistry.newDetails().arrayNode();
    task.details().path("logs").forEach(l -> logs.add(l.asText()));
    int kept = logs.size();
    state.logs().stream().filter(l -> !contains(logs, l)).forEach(logs::add);
    if (providerJobId != null && task.submission().providerJobId() == null) {
      addLine(logs, "Submitted to " + providerName(task) + " as job " + providerJobId);
    }
    if (!state.metrics().isEmpty()) {
      ObjectNode m = patch.putObject("metrics");
      state.metrics().forEach((k, v) -> m.put(k, v.doubleValue()));
    }
    if (state.status() == TaskStatus.DONE) {
      // a finished run's last report ("6 of 9": ComfyUI's socket is read between polls, and a
      // done answer carries no place) would outlive it: a done task reads complete instead
      ObjectNode complete = completeDetail(state.steps(), task.details().path(PROGRESS_DETAIL));
      if (complete != null) {
        patch.set(PROGRESS_DETAIL, complete);
      }
    } else if (state.steps() != null) {
      patch.set(PROGRESS_DETAIL, progressDetail(state.steps()));
    }
    if (state.failure() != null) {
      ObjectNode f = patch.putObject("failure").put("code", state.failure().code());
      if (state.failure().nodeId() != null) {
        f.put("node_id", state.failure().nodeId());
      }
      if (state.failure().classType() != null) {
        f.put("class_type", state.failure().classType());
      }
      state.failure().names().forEach(f.withArray("missing")::add);
    }
    TaskStatus status = state.status();
    double progress =
        state.progress() != null
            ? state.progress()
            : (status == TaskStatus.RUNNING ? Math.max(task.progress(), 0.1) : task.progress());
    Task next = task;
    if (status == TaskStatus.DONE) {
      progress = 1.0;
      next = next.withArtifacts(stored == null ? List.of() : stored);
    }
    if (state.error() != null) {
      patch.put("error", state.error());
    }
    if (status == TaskStatus.ERROR && state.failure() == null) {
      patch.put("error_code", "provider_failed"); // the poll answer's error.code
    }
    if (status.terminal()) {
      patch.put("completed_at", clock.instant().toString());
    }
    String text =
        status == TaskStatus.LOST
            ? Reconciler.lostMessage(
                providers
                    .find(task.providerSlug())
                    .map(p -> p.descriptor().name())
                    .orElse(task.providerSlug()),
                state.error() != null ? state.error() : state.providerStatus(),
                s.providerJobId())
            : message(state);
    boolean changed = !text.equals(task.message()) || status != task.status();
    if (changed && status != TaskStatus.DONE) {
      addLine(logs, text);
    }
    JsonNode place = patch.path(PROGRESS_DETAIL);
    if (status == TaskStatus.RUNNING && place.path("nodes_total").asInt(0) > 0) {
      addLine(
          logs,
          "Progress: node "
              + place.path("nodes_done").asInt()
              + " of "
              + place.path("nodes_total").asInt());
    }
    if (status == TaskStatus.DONE) {
      List<Artifact> outs = stored == null ? List.of() : stored;
      addLine(
          logs,
          "Outputs: "
              + outs.size()
              + " stored"
              + (outs.isEmpty()
                  ? ""
                  : " (" + String.join(", ", outs.stream().map(Artifact::name).toList()) + ")"));
      addLine(logs, "Done");
    }
    if (logs.size() > kept || !task.details().path("logs").isArray()) {
      patch.set("logs", logs);
    }
    return next.withSubmission(s).withState(status, progress, text).withDetails(patch);
  }

  /** A line of the service's own, once: a repeated poll answer adds nothing. */
  private static void addLine(ArrayNode logs, String line) {
    if (logs.isEmpty() || !logs.get(logs.size() - 1).asText().equals(line)) {
      logs.add(line);
    }
  }

  private String providerName(Task task) {
    return providers
        .find(task.providerSlug())
        .map(p -> p.descriptor().name())
        .orElse(task.providerSlug());
  }

  /**
   * The details key of a run's place: {@code {nodes_done, nodes_total, step?, steps?, node_id?,
   * class_type?}} (node n of m, sampler step k of K), shown by answers, {@code /jobs/ws} and the
   * page. A detail, not a column: it decides nothing, and {@code progress} keeps the fraction.
   */
  public static final String PROGRESS_DETAIL = "progress_detail";

  /**
   * The place of a run that ended done: every node done, the last sampler at its last step, no node
   * running; null when no place was ever reported (nothing to correct).
   *
   * @param now the place the done answer gave, or null
   * @param last the place stored before, or a missing node
   */
  static ObjectNode completeDetail(LiveClient.Progress now, JsonNode last) {
    int total = now != null ? now.nodesTotal() : last.path("nodes_total").asInt(0);
    if (total <= 0) {
      return null;
    }
    ObjectNode o = TaskRegistry.newDetails().put("nodes_done", total).put("nodes_total", total);
    int steps = now != null && now.steps() != null ? now.steps() : last.path("steps").asInt(0);
    if (steps > 0) {
      o.put("step", steps).put("steps", steps);
    }
    return o;
  }

  private static ObjectNode progressDetail(LiveClient.Progress p) {
    ObjectNode o =
        TaskRegistry.newDetails()
            .put("nodes_done", p.nodesDone())
            .put("nodes_total", p.nodesTotal());
    if (p.step() != null && p.steps() != null) {
      o.put("step", p.step()).put("steps", p.steps());
    }
    if (p.nodeId() != null) {
      o.put("node_id", p.nodeId());
    }
    if (p.classType() != null) {
      o.put("class_type", p.classType());
    }
    return o;
  }

  private List<Artifact> store(Task task, String providerJobId, JobState state) {
    List<ArtifactStore.Download> downloads = new ArrayList<>();
    state
        .outputs()
        .forEach(
            o ->
                downloads.add(new ArtifactStore.Download(o.name(), o.url(), o.base64(), o.mime())));
    if (downloads.isEmpty()) {
      return List.of();
    }
    Optional<String> closed =
        providers.find(task.providerSlug()).flatMap(p -> clients.gate().closedFor(p));
    if (closed.isPresent()) {
      // no download with the gate closed: the outputs are recorded by URL only
      log.atWarn().addKeyValue("task_id", task.id()).log("artifacts not fetched: {}", closed.get());
      return downloads.stream()
          .filter(d -> d.url() != null)
          .map(d -> new Artifact(d.name(), d.url(), null, d.mime(), null, null))
          .toList();
    }
    JsonNode payload = task.details().path("payload");
    String pov = payload.path("pov").isTextual() ? payload.path("pov").asText() : null;
    Submission s = task.submission();
    JsonNode workflow = task.details().path(LiveSubmits.WORKFLOW);
    Map<String, String> inputs = new java.util.TreeMap<>();
    workflow
        .path("inputs")
        .properties()
        .forEach(e -> inputs.put(e.getKey(), e.getValue().asText()));
    ArtifactStore.Result r =
        artifacts.save(
            new ArtifactStore.Origin(
                task.id(),
                s.provider(),
                providerJobId != null ? providerJobId : task.providerJobId(),
                s.seed(),
                // a workflow job's hash is its graph's as sent; other jobs' is the job's own
                workflow.path("hash").isTextual() ? workflow.get("hash").asText() : s.fingerprint(),
                pov,
                s.estimate() == null ? null : s.estimate().usd(),
                task.createdAt().toString(),
                inputs,
                workflow.path("runner").isTextual() ? workflow.get("runner").asText() : null),
            downloads);
    List<Artifact> out = new ArrayList<>();
    for (ArtifactStore.Saved saved : r.saved()) {
      out.add(
          new Artifact(
              saved.name(),
              saved.url(),
              saved.path(),
              saved.mime(),
              saved.sha256(),
              saved.bytes()));
    }
    r.problems()
        .forEach(
            p -> log.atWarn().addKeyValue("task_id", task.id()).log("artifact not stored: {}", p));
    return out;
  }

  private static String message(JobState s) {
    return switch (s.status()) {
      case QUEUED -> "Queued at provider (" + s.providerStatus() + ")";
      case RUNNING -> "Running (" + s.providerStatus() + ")";
      case DONE -> "Completed";
      case CANCELED -> "Canceled (" + s.providerStatus() + ")";
      case ERROR ->
          s.error() != null ? "Failed: " + s.error() : "Failed (" + s.providerStatus() + ")";
      case LOST -> "Lost (" + s.providerStatus() + ")";
    };
  }

  private static boolean contains(ArrayNode a, String s) {
    for (JsonNode n : a) {
      if (n.asText().equals(s)) {
        return true;
      }
    }
    return false;
  }

  private void schedule(String taskId, long delayMs) {
    scheduler.schedule(() -> workers.execute(() -> pollOnce(taskId)), delayMs);
  }

  private void pollOnce(String taskId) {
    long next;
    try {
      next = step(taskId);
    } catch (RuntimeException e) {
      log.atWarn().addKeyValue("task_id", taskId).log("tracker step failed: {}", e.getMessage());
      next = grow(taskId);
    }
    if (next < 0) {
      intervals.remove(taskId);
      leases.release(taskId);
    } else {
      schedule(taskId, next);
    }
  }

  /** One poll; returns the delay to the next, or -1 when the task needs no more following. */
  private long step(String taskId) {
    if (!leases.holds(taskId)) {
      // another instance took the task over (this one stalled or lost the store): it polls now
      return -1;
    }
    Optional<Task> current = tasks.get(taskId);
    if (current.isEmpty() || current.get().status().terminal()) {
      return -1;
    }
    Task task = current.get();
    String jobId = task.providerJobId();
    if (jobId.isEmpty()) {
      // The create's answer was never read: never resend it. The provider is asked for the job
      // (Reconciler); found, it is followed like any other.
      Reconciler.Step r = reconciler.step(task);
      if (r instanceof Reconciler.Follow f) {
        Optional<Task> after = apply(taskId, f.providerJobId(), f.state());
        return after.isPresent() && after.get().status().terminal()
            ? -1
            : settings.initialPoll().toMillis();
      }
      return r instanceof Reconciler.Ended ? -1 : grow(taskId);
    }
    Optional<GpuProvider> provider = providers.find(task.providerSlug());
    if (provider.isEmpty() || clients.gate().closedFor(provider.get()).isPresent()) {
      // Nothing may leave the machine now (flag off, provider back to dry-run, secrets gone): keep
      // the task as it is and look again later; a poll is never sent around the gate.
      return grow(taskId);
    }
    Optional<LiveClient> client = provider.flatMap(clients::client);
    if (client.isEmpty()) {
      return grow(taskId);
    }
    JobState state;
    try {
      state = client.get().poll(jobId);
    } catch (ProviderException e) {
      if (e.httpStatus() == 404 || e.httpStatus() == 410) {
        tasks.update(
            taskId,
            TaskStatus.ERROR,
            task.progress(),
            "The provider no longer knows this job (expired or deleted)",
            TaskRegistry.newDetails()
                .put("error", e.getMessage())
                .put("error_code", "provider_job_gone"));
        return -1;
      }
      // grow once, whether or not the provider said when to come back
      long grown = grow(taskId);
      return e.retryAfter().map(Duration::toMillis).map(ms -> Math.max(ms, grown)).orElse(grown);
    }
    String before = task.status().wire() + "|" + task.details().path("provider_status").asText();
    Optional<Task> after = apply(taskId, null, state);
    if (after.isPresent() && after.get().status().terminal()) {
      return -1;
    }
    String now =
        after
            .map(t -> t.status().wire() + "|" + t.details().path("provider_status").asText())
            .orElse(before);
    if (!now.equals(before)) {
      intervals.put(taskId, settings.initialPoll().toMillis());
      return settings.initialPoll().toMillis();
    }
    return grow(taskId);
  }

  private long grow(String taskId) {
    return intervals.compute(
        taskId,
        (k, v) ->
            Math.min(
                settings.maxPoll().toMillis(),
                (long)
                    Math.ceil(
                        (v == null ? settings.initialPoll().toMillis() : v) * settings.backoff())));
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    scheduler.close();
    if (ownedWorkers != null) {
      ownedWorkers.shutdownNow();
      try {
        ownedWorkers.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

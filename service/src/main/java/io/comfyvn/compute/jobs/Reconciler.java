package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.workflow.InputFiles;
import io.comfyvn.compute.workflow.InputSources;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.WorkflowException;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the provider job of a live task whose create answer was never read: submit state {@code
 * sent} (the process that sent it died before the answer; found so after a restart or by another
 * instance) or {@code ambiguous} (no usable answer came back). It asks the provider's client once
 * per tracker step ({@link LiveClient#reconcile}: the one per-provider capability) and decides:
 *
 * <ul>
 *   <li>{@link Reconciliation.Found}: the job id is recorded (accepted) and the tracker follows it;
 *   <li>{@link Reconciliation.NotThere}, once the create has had {@link Settings#settle()} to
 *       arrive: the task ends {@code error} with submit state {@code not_sent} (nothing runs
 *       upstream; the same idempotency key may submit again);
 *   <li>{@link Reconciliation.CannotTell}: the task waits (a webhook may still name the job, or the
 *       lookup failed for now) until its deadline, then ends {@code lost}; at once when nothing
 *       will ever tell.
 * </ul>
 *
 * <p>The deadline counts from the task's creation: {@link Settings#afterRestart()} for a task left
 * {@code sent} (short: whoever sent it is gone, and only a webhook can still help), {@link
 * Settings#afterAmbiguous()} for an {@code ambiguous} one. One provider is reconciled one task at a
 * time in this process, so two tasks with the same input cannot both take one listed job. Nothing
 * here creates a job; the one resend is a client's own, under the create's idempotency key, for an
 * API that answers it with the job the first create made (Comfy API v2), with the workflow job
 * {@link #rebuild rebuilt} byte for byte from what the task keeps.
 */
final class Reconciler {
  /** The task details key of the last reconciliation: {@code {outcome, how}} (shown, not read). */
  static final String DETAILS = "reconcile";

  /**
   * Reconciliation settings, under {@code tracker} in {@code config/comfyvn.json}; read (with the
   * defaults) only by {@link LiveTracker.Settings#of}.
   *
   * @param afterAmbiguous {@code reconcile_after_ms} (1800000): how long an ambiguous create may
   *     wait for its job to be named
   * @param afterRestart {@code reconcile_after_restart_ms} (120000): the same for a task found
   *     {@code sent}
   * @param settle {@code reconcile_settle_ms} (10000): how old a create must be before "the
   *     provider has no such job" is believed (a create still on the wire may yet arrive)
   */
  record Settings(Duration afterAmbiguous, Duration afterRestart, Duration settle) {}

  /** What the tracker does next with the task. */
  sealed interface Step permits Follow, Wait, Ended {}

  /** The provider has the job (its id is recorded now): apply this state and keep following. */
  record Follow(String providerJobId, JobState state) implements Step {}

  /** Nothing known yet: look again later. */
  record Wait() implements Step {}

  /** The task was ended here ({@code error} or {@code lost}): stop following. */
  record Ended(Task task) implements Step {}

  private final TaskRegistry tasks;
  private final GpuProviders providers;
  private final LiveClients clients;
  private final Clock clock;
  private final Settings settings;
  private final InputSources inputs;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /**
   * @param inputs where a workflow job's input files are read again to rebuild its create (the ones
   *     submits read from)
   */
  Reconciler(
      TaskRegistry tasks,
      GpuProviders providers,
      LiveClients clients,
      Clock clock,
      Settings settings,
      InputSources inputs) {
    this.tasks = tasks;
    this.providers = providers;
    this.clients = clients;
    this.clock = clock;
    this.settings = settings;
    this.inputs = inputs;
  }

  /** One look at a task whose provider job id is unknown. */
  Step step(Task task) {
    Instant now = clock.instant();
    boolean pastDeadline = now.isAfter(deadline(task));
    Optional<GpuProvider> provider = providers.find(task.providerSlug());
    String name = provider.map(p -> p.descriptor().name()).orElse(task.providerSlug());
    Optional<String> closed = provider.flatMap(p -> clients.gate().closedFor(p));
    Optional<LiveClient> client =
        closed.isPresent() ? Optional.empty() : provider.flatMap(clients::client);
    if (client.isEmpty()) {
      // the provider cannot be asked now (flag off, back to dry-run, secrets gone): keep waiting
      String why = closed.orElse(name + " has no live client now");
      return pastDeadline ? lost(task, name, why) : new Wait();
    }
    synchronized (locks.computeIfAbsent(task.providerSlug(), k -> new Object())) {
      Reconciliation r = ask(client.get(), task, name);
      if (r instanceof Reconciliation.Found f) {
        String id = f.job().providerJobId();
        Optional<Task> after =
            tasks.update(
                task.id(),
                t ->
                    t.withSubmission(t.submission().accepted(id))
                        .withDetails(outcome("found", f.how())));
        if (after.isPresent() && after.get().status().terminal()) {
          return new Ended(after.get());
        }
        return new Follow(id, f.job().state());
      }
      if (r instanceof Reconciliation.NotThere n) {
        if (now.isBefore(task.createdAt().plus(settings.settle()))) {
          return new Wait();
        }
        return ended(
            tasks.update(
                task.id(),
                t ->
                    t.withSubmission(t.submission().withState(SubmitState.NOT_SENT))
                        .withState(
                            TaskStatus.ERROR,
                            t.progress(),
                            "Not created at " + name + ": " + n.how() + "; nothing runs there")
                        .withDetails(
                            outcome("not_there", n.how())
                                .put("completed_at", now.toString())
                                .put("error", "not created at " + name))),
            task);
      }
      Reconciliation.CannotTell c = (Reconciliation.CannotTell) r;
      return !c.mayLearnLater() || pastDeadline ? lost(task, name, c.why()) : new Wait();
    }
  }

  /** When a task whose job nobody named ends lost. */
  Instant deadline(Task task) {
    Duration wait =
        task.submission().state() == SubmitState.SENT
            ? settings.afterRestart()
            : settings.afterAmbiguous();
    return task.createdAt().plus(wait);
  }

  private Reconciliation ask(LiveClient client, Task task, String name) {
    JsonNode payload = task.details().path("payload");
    ObjectNode job =
        payload.isObject() ? (ObjectNode) payload.deepCopy() : TaskRegistry.newDetails();
    Reconciliation.Query q =
        new Reconciliation.Query(
            task.id(),
            task.createdAt(),
            clock.instant(),
            job,
            task.submission().seed(),
            id ->
                tasks
                    .findByProviderJob(task.providerSlug(), id)
                    .filter(other -> !other.id().equals(task.id()))
                    .isPresent(),
            () -> rebuild(task));
    try {
      return client.reconcile(q);
    } catch (ProviderException e) {
      return new Reconciliation.CannotTell(true, "asking " + name + " failed: " + e.getMessage());
    }
  }

  /**
   * The workflow job this task's create sent, rebuilt as {@code GpuService.submit} built it (the
   * kept payload read with the task's seed, its input files read again), and accepted only when it
   * is the same: the graph's hash and every input's sha256 equal those the submit recorded in the
   * task's {@code workflow} details. Inline inputs over {@link SubmitJob#INLINE_KEPT} characters
   * are not kept (megabytes of base64), so a job with one cannot be rebuilt; its {@code NotRebuilt}
   * carries the recorded graph hash and input sha256s, which a client may match by instead.
   */
  Reconciliation.Workflow rebuild(Task task) {
    JsonNode payload = task.details().path("payload");
    JsonNode sent = task.details().path(LiveSubmits.WORKFLOW);
    if (!payload.isObject() || !WorkflowJobs.isWorkflowJob((ObjectNode) payload)) {
      return new Reconciliation.Workflow.NotRebuilt("not a workflow job");
    }
    if (!sent.path("hash").isTextual()) {
      return new Reconciliation.Workflow.NotRebuilt("the task has no record of the graph it sent");
    }
    Map<String, String> recorded = new TreeMap<>();
    sent.path("inputs").properties().forEach(e -> recorded.put(e.getKey(), e.getValue().asText()));
    for (Map.Entry<String, JsonNode> in : payload.path("inputs").properties()) {
      if (in.getValue().has("inline_chars")) {
        // what was sent is still known by its hashes: a client may match by them
        return new Reconciliation.Workflow.NotRebuilt(
            "input '" + in.getKey() + "' was sent inline and is not kept",
            sent.path("hash").asText(),
            recorded);
      }
    }
    WorkflowRun run;
    try {
      WorkflowJob wj =
          WorkflowJobs.read(
                  (ObjectNode) payload.deepCopy(), task.submission().seed(), Limits.DEFAULT)
              .orElseThrow();
      run = new WorkflowRun(wj, InputFiles.resolve(wj, inputs, Limits.DEFAULT));
    } catch (WorkflowException e) {
      return new Reconciliation.Workflow.NotRebuilt(
          "the kept workflow job cannot be read again: " + e.getMessage());
    }
    if (!run.job().graph().sha256().equals(sent.path("hash").asText())) {
      return new Reconciliation.Workflow.NotRebuilt("the graph would not be the one sent");
    }
    if (!recorded.equals(new TreeMap<>(run.inputHashes()))) {
      return new Reconciliation.Workflow.NotRebuilt("an input file is not the one sent");
    }
    return new Reconciliation.Workflow.Rebuilt(run);
  }

  private Step lost(Task task, String name, String why) {
    String at = clock.instant().toString();
    return ended(
        tasks.update(
            task.id(),
            t ->
                t.withState(TaskStatus.LOST, t.progress(), lostMessage(name, why, null))
                    .withDetails(
                        outcome("lost", why).put("completed_at", at).put("error", "lost: " + why))),
        task);
  }

  /**
   * The message of a lost task: a job may exist upstream (and be billed), its id when known, that
   * nothing is resubmitted, and what the caller can do (only the provider can tell now).
   */
  static String lostMessage(String providerName, String why, String providerJobId) {
    return "Lost: a job may exist at "
        + providerName
        + (providerJobId == null || providerJobId.isEmpty()
            ? " (its job id is unknown)"
            : " (job " + providerJobId + ")")
        + " and may be billed; this service can no longer follow it ("
        + why
        + "); not resubmitted. Check "
        + providerName
        + "'s console for the job before you submit again (a new submit may pay twice)";
  }

  private static ObjectNode outcome(String outcome, String how) {
    ObjectNode d = TaskRegistry.newDetails();
    d.putObject(DETAILS).put("outcome", outcome).put("how", how);
    return d;
  }

  private static Step ended(Optional<Task> after, Task before) {
    return new Ended(after.orElse(before));
  }
}

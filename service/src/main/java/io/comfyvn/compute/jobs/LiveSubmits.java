package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.limits.SpendGuard;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The live submit flow. The spend guard admits it first, or it is refused (429/402) with no task
 * written and nothing sent. The task is written next, in submit state {@code sent} (from here on
 * the create may reach the provider), then the create goes upstream once. The answer decides the
 * state: {@code accepted} with the provider's job id; {@code refused} or {@code not_sent} (an error
 * task, which the same idempotency key may try again); {@code ambiguous} (no usable answer after
 * sending: a job may exist, so it is never resent, and the task waits queued for reconciliation,
 * e.g. by a webhook that carries our task id).
 */
final class LiveSubmits {
  /**
   * The details key of a live workflow job's provenance facts: {@code {hash, runner, inputs: {name:
   * sha256}}} (read by {@link LiveTracker} when it stores the outputs).
   */
  static final String WORKFLOW = "workflow";

  private final TaskRegistry tasks;
  private final LiveClients clients;
  private final LiveTracker tracker;
  private final Supplier<Optional<String>> webhookBase;
  private final SpendGuard spendGuard;

  LiveSubmits(
      TaskRegistry tasks,
      LiveClients clients,
      LiveTracker tracker,
      Supplier<Optional<String>> webhookBase,
      SpendGuard spendGuard) {
    this.tasks = tasks;
    this.clients = clients;
    this.tracker = tracker;
    this.webhookBase = webhookBase;
    this.spendGuard = spendGuard;
  }

  /**
   * Submits a job live.
   *
   * @return the task and whether this call created it (false: a racing submit under the same key
   *     did, and nothing was sent by this one)
   * @throws ProviderException when the create failed; its details name the task
   * @throws ComputeException 429 {@code submit_rate_limit} or 402 {@code spend_limit} from the
   *     spend guard (no task, nothing sent)
   */
  TaskRegistry.Registered submit(SubmitJob j) {
    GpuProvider p = j.call().provider();
    LiveClient client = clients.require(p);
    // --- spend guard (limits/SpendGuard): refused here means nothing sent and no task written.
    SpendGuard.Reservation spend = reserve(j);
    String token = WebhookTokens.create();
    ObjectNode details = j.details();
    if (j.workflow() != null) {
      // what the outputs' provenance sidecars record: the graph sent, its inputs, the runner
      ObjectNode w = details.putObject(WORKFLOW);
      w.put("hash", j.workflow().job().graph().sha256()).put("runner", client.runner());
      ObjectNode in = w.putObject("inputs");
      j.workflow().inputHashes().forEach(in::put);
    }
    TaskRegistry.Registered reg;
    try {
      reg =
          tasks.register(
              new TaskRegistry.Draft(
                  null,
                  GpuService.TASK_KIND,
                  TaskStatus.QUEUED,
                  0.0,
                  "Submitting to " + p.descriptor().name(),
                  j.submission(SubmitState.SENT, null, WebhookTokens.hash(token)),
                  details));
    } catch (RuntimeException e) {
      spend.release(); // no task, nothing sent
      throw e;
    }
    if (!reg.created()) {
      spend.release(); // a racing submit under the same key answers; this one sends nothing
      return reg;
    }
    Task task = reg.task();
    LiveClient.Submitted submitted;
    try {
      submitted =
          client.submit(
              new LiveClient.LiveJob(
                  task.id(),
                  j.job(),
                  j.seed(),
                  settings(j),
                  webhookUrl(j, task, token),
                  j.workflow()));
    } catch (ProviderException e) {
      recordFailure(task, e);
      if (e.sent() != ProviderException.Sent.AMBIGUOUS) {
        spend.release(); // refused or never sent: the provider bills nothing
      }
      e.detail("task_id", task.id()).detail("provider", j.slug());
      if (e.sent() == ProviderException.Sent.AMBIGUOUS) {
        e.detail("reconcile", true);
      }
      throw e;
    }
    Task updated =
        tracker.apply(task.id(), submitted.providerJobId(), submitted.state()).orElse(task);
    tracker.follow(task.id());
    return new TaskRegistry.Registered(updated, true);
  }

  /** The spend guard's admission of this job at its estimate; a refusal names the provider. */
  private SpendGuard.Reservation reserve(SubmitJob j) {
    try {
      return spendGuard.reserve(j.slug(), j.estimate().usd());
    } catch (ComputeException e) {
      throw e.detail("provider", j.slug());
    }
  }

  private void recordFailure(Task task, ProviderException e) {
    ObjectNode patch =
        TaskRegistry.newDetails().put("error", e.getMessage()).put("error_code", e.code());
    switch (e.sent()) {
      case AMBIGUOUS -> {
        tasks.update(
            task.id(),
            t ->
                t.withSubmission(t.submission().withState(SubmitState.AMBIGUOUS))
                    .withState(
                        TaskStatus.QUEUED,
                        0.0,
                        "Submit outcome unknown; waiting to reconcile (not resubmitted)")
                    .withDetails(patch));
        tracker.follow(task.id());
      }
      case REFUSED ->
          tasks.update(
              task.id(),
              t ->
                  t.withSubmission(t.submission().withState(SubmitState.REFUSED))
                      .withState(TaskStatus.ERROR, 0.0, "Rejected: " + e.getMessage())
                      .withDetails(patch));
      case NOT_SENT ->
          tasks.update(
              task.id(),
              t ->
                  t.withSubmission(t.submission().withState(SubmitState.NOT_SENT))
                      .withState(TaskStatus.ERROR, 0.0, "Not sent: " + e.getMessage())
                      .withDetails(patch));
    }
  }

  /** The provider's settings with the request's honoured overrides on top. */
  private static ProviderSettings settings(SubmitJob j) {
    ProviderSettings base = j.call().settings();
    ObjectNode merged = base.settings().deepCopy();
    j.config().properties().forEach(e -> merged.set(e.getKey(), e.getValue().deepCopy()));
    return new ProviderSettings(base.mode(), merged);
  }

  /** Where the provider should call back, when it sends webhooks and the service is reachable. */
  private String webhookUrl(SubmitJob j, Task task, String token) {
    if (!j.call().provider().descriptor().capabilities().contains("webhooks")) {
      return null;
    }
    return webhookBase
        .get()
        .map(
            b ->
                b
                    + "/api/providers/gpu/webhooks/"
                    + j.slug()
                    + "?task="
                    + task.id()
                    + "&token="
                    + token)
        .orElse(null);
  }
}

package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.Submitted;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What a provider says about a create whose answer this service never read (the process died
 * between "sent" and "accepted", or the answer was lost on the wire): the one per-provider
 * capability the crash reconciler decides on ({@link LiveClient#reconcile}).
 */
public sealed interface Reconciliation
    permits Reconciliation.Found, Reconciliation.NotThere, Reconciliation.CannotTell {

  /**
   * The provider has the job: follow it (never create it again).
   *
   * @param job its id and state now
   * @param how how it was found, for the task's log (e.g. "matched in Replicate's prediction list")
   */
  record Found(Submitted job, String how) implements Reconciliation {}

  /**
   * The provider was asked in a way that would show the job, and has none for this task: nothing
   * runs (or will run) upstream because of this create.
   *
   * @param how what was asked, for the task's message
   */
  record NotThere(String how) implements Reconciliation {}

  /**
   * The provider cannot say (no way to look a job up, or it could not be asked now).
   *
   * @param mayLearnLater whether waiting can help: a webhook registered with the create may still
   *     bring the job id, or the lookup failed for now and is tried again; false when nothing will
   *     ever tell (then the task is lost at once)
   * @param why a short reason, kept in the task's message when it ends lost
   */
  record CannotTell(boolean mayLearnLater, String why) implements Reconciliation {}

  /**
   * A task's workflow job as its create sent it, rebuilt from what the task keeps: for a provider
   * whose API answers a byte-identical create under the same idempotency key with the job it made
   * (Comfy API v2), this is how the create is resent.
   */
  sealed interface Workflow permits Workflow.Rebuilt, Workflow.NotRebuilt {
    /**
     * The same graph (its recorded hash) and the same input files (their recorded sha256).
     *
     * @param run the workflow job and its input files, as the submit had them
     */
    record Rebuilt(WorkflowRun run) implements Workflow {}

    /**
     * Not a workflow job, or it cannot be rebuilt exactly (an inline input that is not kept, a file
     * that changed, a graph that would now be written otherwise).
     *
     * @param why a short reason, for the task's message
     * @param hash the sha256 of the graph the submit recorded as sent, or null when none is
     *     recorded
     * @param inputs each input file's name and sha256 as the submit recorded them (empty when none
     *     or when no record)
     */
    record NotRebuilt(String why, String hash, java.util.Map<String, String> inputs)
        implements Workflow {
      public NotRebuilt {
        inputs = inputs == null ? java.util.Map.of() : java.util.Map.copyOf(inputs);
      }

      /** Not rebuilt, and nothing recorded of what was sent. */
      public NotRebuilt(String why) {
        this(why, null, java.util.Map.of());
      }
    }
  }

  /**
   * What a client is asked about.
   *
   * @param taskId our task id (what a client chose to send as its marker: a prompt id, a label, a
   *     client request id)
   * @param sentAt when the create was recorded as sent (the task's creation)
   * @param now the reconciler's clock now (a replay window is measured against it)
   * @param job the job payload as the task keeps it
   * @param seed the job's seed
   * @param taken whether a provider job id already belongs to another task of this provider (a
   *     match that is taken is another task's job)
   * @param workflow rebuilds the workflow job the create sent; it reads the input files again (a
   *     URL is fetched again), so only a client that resends asks for it
   */
  record Query(
      String taskId,
      Instant sentAt,
      Instant now,
      ObjectNode job,
      long seed,
      Predicate<String> taken,
      Supplier<Workflow> workflow) {}
}

package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.Submitted;
import java.time.Instant;
import java.util.function.Predicate;

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
   * What a client is asked about.
   *
   * @param taskId our task id (what a client chose to send as its marker: a prompt id, a label, a
   *     client request id)
   * @param sentAt when the create was recorded as sent (the task's creation)
   * @param job the job payload as the task keeps it
   * @param seed the job's seed
   * @param taken whether a provider job id already belongs to another task of this provider (a
   *     match that is taken is another task's job)
   */
  record Query(String taskId, Instant sentAt, ObjectNode job, long seed, Predicate<String> taken) {}
}

package io.comfyvn.compute.jobs;

import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.util.List;
import java.util.Optional;

/**
 * The idempotency rule, in one place. A key names one job (provider, seed, job fingerprint): using
 * it for another is a 409. Under a key, an earlier attempt is replayed only when it ran in the mode
 * this call runs in and its job may exist upstream (sent, accepted or ambiguous), so a retry never
 * pays twice; a refused or never-sent create, a missing-secrets answer, or an attempt in another
 * mode (a dry-run answer while the call is now live) is not an answer to replay, and the call is a
 * new attempt under the same key. The store's unique index on (key, mode) for such attempts keeps
 * racing submits to one.
 */
final class Idempotency {
  private Idempotency() {}

  /** The earlier attempt to answer with, if any; throws 409 when the key named another job. */
  static Optional<Task> replayable(TaskRegistry tasks, SubmitJob j) {
    if (j.idempotencyKey() == null) {
      return Optional.empty();
    }
    List<Task> attempts = tasks.attempts(j.idempotencyKey());
    for (Task t : attempts) {
      Submission s = t.submission();
      if (s == null || !s.sameJob(j.slug(), j.seed(), j.fingerprint())) {
        throw new ComputeException(
            ComputeException.Kind.CONFLICT,
            "idempotency_conflict",
            "this idempotency key was used for a different job (task " + t.id() + ")");
      }
    }
    return attempts.stream()
        .filter(t -> t.mode() == j.call().mode() && t.submission().state().mayExistUpstream())
        .findFirst();
  }
}

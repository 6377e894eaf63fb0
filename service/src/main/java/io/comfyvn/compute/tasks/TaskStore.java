package io.comfyvn.compute.tasks;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Durable storage of tasks. Implementations must make every write visible before returning. */
public interface TaskStore {

  /**
   * Inserts a task unless it would duplicate one; returns the stored one either way (the very
   * instance given when it was inserted). A duplicate is a task with the same id, or, for a keyed
   * submit, one with the same idempotency key and mode whose job may exist upstream ({@link
   * io.comfyvn.compute.status.SubmitState#mayExistUpstream()}): at most one such task exists per
   * key and mode, however many writers race.
   */
  Task insertIfAbsent(Task task);

  /**
   * Writes {@code next} (whose version is {@code expectedVersion + 1}) only if the stored task is
   * still at {@code expectedVersion}: compare-and-set.
   *
   * @return false when another writer changed the task first (nothing was written)
   */
  boolean update(Task next, long expectedVersion);

  Optional<Task> get(String id);

  /**
   * The tasks with these ids that exist, in no particular order: one read for many (the change
   * feed's relay reads every task another instance changed).
   */
  default List<Task> getAll(Collection<String> ids) {
    return ids.stream().map(this::get).flatMap(Optional::stream).toList();
  }

  /** Every task submitted under an idempotency key, newest first. */
  List<Task> attempts(String idempotencyKey);

  Optional<Task> findByProviderJob(String providerSlug, String providerJobId);

  /** The most recently created tasks first. */
  List<Task> list(int limit);

  /** Tasks that are not terminal, oldest first (for trackers resuming after a restart). */
  List<Task> unfinished(int limit);

  /**
   * Deletes disposable tasks: finished dry-run and sim submits created before {@code
   * createdBefore}, and those beyond the {@code keepNewest} newest of them. Live submits,
   * unfinished tasks and other kinds of task are never deleted.
   *
   * @return the ids deleted
   */
  List<String> pruneDisposable(java.time.Instant createdBefore, int keepNewest);
}

package io.comfyvn.compute.tasks;

import java.util.List;
import java.util.Optional;

/** Durable storage of tasks. Implementations must make every write visible before returning. */
public interface TaskStore {

  /**
   * Inserts a task unless one with the same id exists; returns the stored one either way.
   *
   * @param task the task to insert
   * @param idempotencyKey an optional caller key; a second insert with the same key returns the
   *     first task
   */
  Task insertIfAbsent(Task task, String idempotencyKey);

  /** Replaces the mutable fields (status, progress, message, meta, updated_at) of a task. */
  void update(Task task);

  Optional<Task> get(String id);

  Optional<Task> findByIdempotencyKey(String key);

  Optional<Task> findByProviderJob(String providerSlug, String providerJobId);

  /** The most recently created tasks first. */
  List<Task> list(int limit);

  /** Tasks that are not terminal, oldest first (for trackers resuming after a restart). */
  List<Task> unfinished(int limit);
}

package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.tasks.Task;

/** Starts a Sim-mode task: registers it and plays its simulated events into the task registry. */
public interface SimTasks {

  /**
   * A sim submit.
   *
   * @param taskId the task id, or null for a random one (when an idempotency key is used)
   * @param kind the task kind
   * @param slug canonical provider slug
   * @param job the job payload
   * @param seed the job's seed
   * @param meta the task metadata so far (provider, mode, seed, payload...)
   * @param idempotencyKey the caller's key, or null
   */
  record Start(
      String taskId,
      String kind,
      String slug,
      ObjectNode job,
      long seed,
      ObjectNode meta,
      String idempotencyKey) {}

  /**
   * Registers the task (or finds the earlier one) and schedules its events; returns it as stored.
   */
  Task start(Start start);
}

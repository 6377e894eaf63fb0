package io.comfyvn.compute.tasks;

/**
 * A change to a task, announced after it was persisted.
 *
 * @param type {@code job.created} or {@code job.update}
 * @param task the task as stored
 */
public record TaskEvent(String type, Task task) {}

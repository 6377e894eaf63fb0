package io.comfyvn.compute.tasks;

/**
 * A change to a task, announced after it was persisted. It carries the public view only: its
 * listeners (the {@code /jobs/ws} socket, modder hooks) hand it to people.
 *
 * @param type {@code job.created} or {@code job.update}
 * @param task the task's public view as stored
 */
public record TaskEvent(String type, TaskView task) {}

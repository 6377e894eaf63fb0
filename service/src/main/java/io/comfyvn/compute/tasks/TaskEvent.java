package io.comfyvn.compute.tasks;

/**
 * A change to a task, announced after it was persisted. It carries the public view only: its
 * listeners (the {@code /jobs/ws} socket, modder hooks) hand it to people.
 *
 * @param type {@code job.created} or {@code job.update}
 * @param task the task's public view as stored
 * @param relayed true when another instance sharing the store wrote the change and this one only
 *     relays it to its own listeners (so side effects that must happen once, such as outbound
 *     webhooks, are left to the writer)
 */
public record TaskEvent(String type, TaskView task, boolean relayed) {
  /** A change this instance wrote. */
  public TaskEvent(String type, TaskView task) {
    this(type, task, false);
  }
}

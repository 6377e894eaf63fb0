package io.comfyvn.compute.jobs;

import java.util.PriorityQueue;

/** A {@link Scheduler} on virtual time: steps run only when the test advances the clock. */
final class ManualScheduler implements Scheduler {
  private record Due(long at, long order, Runnable step) {}

  private final PriorityQueue<Due> queue =
      new PriorityQueue<>(
          (a, b) ->
              a.at() != b.at() ? Long.compare(a.at(), b.at()) : Long.compare(a.order(), b.order()));
  private long now;
  private long order;
  private int scheduled;

  @Override
  public void schedule(Runnable step, long delayMs) {
    scheduled++;
    queue.add(new Due(now + Math.max(0, delayMs), order++, step));
  }

  /** Runs every step due within the next {@code ms} milliseconds, in time order. */
  void advance(long ms) {
    long until = now + ms;
    while (!queue.isEmpty() && queue.peek().at() <= until) {
      Due d = queue.poll();
      now = d.at();
      d.step().run();
    }
    now = until;
  }

  /** Runs everything, however far in the future. */
  void runAll() {
    advance(Long.MAX_VALUE / 4);
  }

  int pending() {
    return queue.size();
  }

  int scheduled() {
    return scheduled;
  }

  @Override
  public void close() {
    queue.clear();
  }
}

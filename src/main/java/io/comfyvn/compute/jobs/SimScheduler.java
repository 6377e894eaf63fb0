package io.comfyvn.compute.jobs;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When sim task steps run. The service uses a daemon thread; tests use a manual scheduler that runs
 * steps when the test advances its virtual time, so no test waits on a wall clock.
 */
public interface SimScheduler extends AutoCloseable {

  /** Runs {@code step} after {@code delayMs} milliseconds. */
  void schedule(Runnable step, long delayMs);

  @Override
  void close();

  /** A scheduler on one daemon thread. */
  static SimScheduler daemon() {
    ScheduledExecutorService exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sim-tasks");
              t.setDaemon(true);
              return t;
            });
    return new SimScheduler() {
      @Override
      public void schedule(Runnable step, long delayMs) {
        if (!exec.isShutdown()) {
          exec.schedule(step, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        }
      }

      @Override
      public void close() {
        exec.shutdownNow();
      }
    };
  }
}

package io.comfyvn.compute.jobs;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When delayed work runs (sim steps, tracker polls). The service uses a daemon thread; tests use a
 * manual scheduler that runs work when the test advances its virtual time, so no test waits on a
 * wall clock.
 */
public interface Scheduler extends AutoCloseable {

  /** Runs {@code work} after {@code delayMs} milliseconds. */
  void schedule(Runnable work, long delayMs);

  @Override
  void close();

  /** A scheduler on one daemon thread with the given name. */
  static Scheduler daemon(String threadName) {
    ScheduledExecutorService exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    return new Scheduler() {
      @Override
      public void schedule(Runnable work, long delayMs) {
        if (!exec.isShutdown()) {
          exec.schedule(work, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
        }
      }

      @Override
      public void close() {
        exec.shutdownNow();
      }
    };
  }
}

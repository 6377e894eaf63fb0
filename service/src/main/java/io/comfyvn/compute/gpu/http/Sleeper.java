package io.comfyvn.compute.gpu.http;

import java.time.Duration;

/**
 * Waits. The transport's layers wait through this (a retry's back-off, a rate limiter's short hold)
 * so tests pass one that only moves a manual clock and never sleep.
 */
@FunctionalInterface
public interface Sleeper {
  /** Waits for the duration (nothing for zero or less). */
  void sleep(Duration d) throws InterruptedException;

  /** The real thing: {@link Thread#sleep}. */
  static Sleeper system() {
    return d -> {
      if (!d.isNegative() && !d.isZero()) {
        Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
      }
    };
  }
}

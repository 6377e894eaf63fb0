package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Polls a job until it finishes or a deadline passes. Time is injected (a nanosecond clock and a
 * sleeper), so its tests never sleep.
 */
final class Waiter {
  /** Sleeps; a test's sleeper advances its clock instead. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /** The last answer seen and whether the deadline passed first. */
  record Outcome(JsonNode last, boolean timedOut) {}

  private final LongSupplier nanos;
  private final Sleeper sleeper;
  private final Duration interval;
  private final Duration timeout;

  /**
   * @param timeout how long to wait at most, or null for as long as it takes
   */
  Waiter(LongSupplier nanos, Sleeper sleeper, Duration interval, Duration timeout) {
    this.nanos = nanos;
    this.sleeper = sleeper;
    this.interval = interval;
    this.timeout = timeout;
  }

  static Waiter real(Duration interval, Duration timeout) {
    return new Waiter(System::nanoTime, d -> Thread.sleep(d.toMillis()), interval, timeout);
  }

  /** Polls with {@code poll}, shows each answer to {@code seen}, until a final status. */
  Outcome await(Supplier<JsonNode> poll, Consumer<JsonNode> seen) {
    long start = nanos.getAsLong();
    while (true) {
      JsonNode answer = poll.get();
      seen.accept(answer);
      if (Exit.terminal(answer.path("status").asText(""))) {
        return new Outcome(answer, false);
      }
      Duration wait = interval;
      if (timeout != null) {
        Duration left = timeout.minusNanos(nanos.getAsLong() - start);
        if (left.isNegative() || left.isZero()) {
          return new Outcome(answer, true);
        }
        wait = left.compareTo(interval) < 0 ? left : interval;
      }
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Outcome(answer, true);
      }
    }
  }
}

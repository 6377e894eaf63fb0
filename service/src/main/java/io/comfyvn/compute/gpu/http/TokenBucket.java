package io.comfyvn.compute.gpu.http;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A token bucket for one documented limit, kept as a single "theoretical arrival time" (the generic
 * cell rate algorithm: no refill thread, no timer, one lock-held compare per call).
 *
 * <p>Providers count calls in sliding windows, so the bucket is sized to keep every window of the
 * documented length under the documented count {@code L}: it refills continuously at {@code k =
 * max(1, floor(0.9 L))} calls per window and holds at most {@code max(1, floor(0.09 L))}, so any
 * window sees at most {@code burst - 1 + k <= L}. A configured 1 per second is 1 per second, not
 * the 10 per second that rounding up a tenth-period bucket gave.
 *
 * <p>A call takes a token now, or reserves the next one when it comes within {@code maxWait} (the
 * caller then waits that long, never more), or is refused and told when one will be free. Refusing
 * instead of queueing means no request thread is ever held for a window (5 minutes for Hugging
 * Face).
 */
final class TokenBucket {
  private final Clock clock;
  private final long intervalNanos;
  private final long burstNanos;
  private final long maxWaitNanos;
  private long arrival = Long.MIN_VALUE;

  /**
   * What one call got: go after {@code delay}, or refused, a token being free after {@code delay}.
   */
  record Grant(boolean granted, Duration delay) {}

  TokenBucket(RateLimit limit, Duration maxWait, Clock clock) {
    this(limit, 1, maxWait, clock);
  }

  /**
   * A bucket for this instance's share when {@code instances} live instances share the limit
   * (scale-out): each keeps to {@code L / n}, so together they stay under {@code L}. A share under
   * one call per window still gets one call per window.
   */
  TokenBucket(RateLimit limit, int instances, Duration maxWait, Clock clock) {
    this.clock = clock;
    double share = limit.permits() / (double) Math.max(1, instances);
    long periodNanos = Duration.ofMillis(limit.periodMs()).toNanos();
    // whole calls per window at 90%, so a fractional share never rounds up past itself
    long perWindow = Math.max(1, (long) Math.floor(share * 0.9));
    long interval = -Math.floorDiv(-periodNanos, perWindow); // rounded up
    this.intervalNanos = Math.max(1, interval);
    long burst = Math.max(1, (long) Math.floor(share * 0.09));
    this.burstNanos = Math.multiplyExact(burst - 1, intervalNanos);
    this.maxWaitNanos = maxWait.toNanos();
  }

  /**
   * Keeps the calls an earlier bucket for the same limit made (a new share, when the count of
   * instances sharing the limit changed): the calls it had taken ahead of its steady rate stay
   * taken, counted at this bucket's rate. A fresh bucket instead would hand out its whole burst at
   * once on top of the calls just made, and a window straddling the change could see both.
   */
  void carryOver(TokenBucket old) {
    long now = nanos(clock.instant());
    long ahead;
    synchronized (old) {
      ahead = old.arrival == Long.MIN_VALUE ? 0 : Math.max(0, old.arrival - now);
    }
    if (ahead == 0) {
      return;
    }
    double calls = ahead / (double) old.intervalNanos;
    synchronized (this) {
      arrival = now + (long) Math.ceil(calls * intervalNanos);
    }
  }

  /** Takes or reserves a token, or says when one is free. */
  Grant take() {
    long now = nanos(clock.instant());
    synchronized (this) {
      // the earliest this call may go: its theoretical arrival, less the burst it may borrow
      long at = Math.max(arrival, now);
      long wait = Math.max(0, at - burstNanos - now);
      if (wait > maxWaitNanos) {
        return new Grant(false, Duration.ofNanos(wait));
      }
      arrival = at + intervalNanos;
      return new Grant(true, Duration.ofNanos(wait));
    }
  }

  /** The time between tokens, for messages and tests. */
  Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  private static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}

package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Keeps each operation under the provider's documented limit ({@link TokenBucket} per operation). A
 * call past the limit waits for its token only when it comes within {@code limiter_max_wait_ms}
 * (250 ms by default); otherwise it is refused at once with {@code rate_limited} (HTTP 429, not
 * sent, with the time until a token is free as {@code Retry-After}). A live submit answers that to
 * its caller; the tracker reschedules a poll for then.
 */
final class RateLimitLayer implements Layer {
  private final String provider;
  private final Map<Op, RateLimit> limits;
  private final Duration maxWait;
  private final Clock clock;
  private volatile Map<Op, TokenBucket> buckets;
  private final Sleeper sleeper;
  private final Layer next;

  RateLimitLayer(String provider, ResilienceSettings s, Clock clock, Sleeper sleeper, Layer next) {
    this.provider = provider;
    this.limits = s.limits();
    this.maxWait = s.limiterMaxWait();
    this.clock = clock;
    this.sleeper = sleeper;
    this.next = next;
    shareAmong(1);
  }

  /**
   * Keeps to this instance's share when {@code instances} live instances share the documented
   * limits (scale-out). Calls the old buckets made ahead of their rate stay counted ({@link
   * TokenBucket#carryOver}), so a change of share never hands out a second burst.
   */
  void shareAmong(int instances) {
    Map<Op, TokenBucket> old = buckets;
    Map<Op, TokenBucket> fresh = new EnumMap<>(Op.class);
    limits.forEach(
        (op, limit) -> {
          TokenBucket b = new TokenBucket(limit, instances, maxWait, clock);
          if (old != null && old.get(op) != null) {
            b.carryOver(old.get(op));
          }
          fresh.put(op, b);
        });
    buckets = fresh;
  }

  @Override
  public HttpReply send(Exchange x) {
    TokenBucket.Grant g = buckets.get(x.op()).take();
    if (!g.granted()) {
      throw refused(x.op(), g.delay());
    }
    if (!g.delay().isZero()) {
      try {
        sleeper.sleep(g.delay());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        // the token stays spent: this call was counted against the limit but never made
        throw refused(x.op(), g.delay());
      }
    }
    return next.send(x);
  }

  private ProviderException refused(Op op, Duration wait) {
    RateLimit l = limits.get(op);
    return new ProviderException(
        Kind.RATE_LIMITED,
        "rate_limited",
        provider
            + " "
            + op.name().toLowerCase(Locale.ROOT)
            + " rate limit reached (at most "
            + l.permits()
            + " per "
            + period(l.periodMs())
            + "); nothing was sent, try again in "
            + Math.max(1, (wait.toMillis() + 999) / 1000)
            + " s",
        true,
        Sent.NOT_SENT,
        0,
        wait,
        null);
  }

  private static String period(long ms) {
    if (ms % 60_000 == 0) {
      return ms == 60_000 ? "minute" : ms / 60_000 + " minutes";
    }
    return ms % 1000 == 0 ? (ms == 1000 ? "second" : ms / 1000 + " s") : ms + " ms";
  }
}

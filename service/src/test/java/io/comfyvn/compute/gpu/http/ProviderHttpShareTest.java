package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each instance's limiter keeps its share: n instances, each calling as fast as its own bucket
 * allows (on one manual clock), never make more than the documented count in any sliding window,
 * and together they still use at least half of it (seeded cases, plus the providers' own).
 */
class ProviderHttpShareTest {

  static Stream<Arguments> cases() {
    SplittableRandom random = new SplittableRandom(20261201L);
    Stream<Arguments> seeded =
        IntStream.range(0, 120)
            .mapToObj(
                i -> {
                  int instances = 1 + random.nextInt(6);
                  int permits = instances + random.nextInt(5000);
                  long window = new long[] {1000, 10_000, 60_000}[random.nextInt(3)];
                  return Arguments.of(permits, window, instances);
                });
    Stream<Arguments> documented =
        Stream.of(
            Arguments.of(1000, 10_000L, 1),
            Arguments.of(2000, 10_000L, 3),
            Arguments.of(100, 10_000L, 2),
            Arguments.of(30, 1000L, 3),
            Arguments.of(10, 1000L, 1),
            Arguments.of(6, 1000L, 5),
            Arguments.of(3, 1000L, 3));
    return Stream.concat(documented, seeded);
  }

  @ParameterizedTest(name = "{0} per {1} ms over {2} instances")
  @MethodSource("cases")
  void instancesTogetherStayUnderTheDocumentedLimitInAnySlidingWindow(
      int permits, long window, int instances) {
    ManualTime t = new ManualTime();
    List<TokenBucket> buckets = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      buckets.add(
          new TokenBucket(new RateLimit(permits, window), instances, Duration.ZERO, t.clock));
    }
    long windowNanos = Duration.ofMillis(window).toNanos();
    // step in 1/50 of the smallest interval, for three windows: every bucket takes all it may
    long step = Math.max(1, buckets.get(0).interval().toNanos() / 50);
    Deque<Long> sent = new ArrayDeque<>();
    long start = nanos(t);
    int most = 0;
    long total = 0;
    while (nanos(t) - start < 3 * windowNanos) {
      for (TokenBucket b : buckets) {
        while (b.take().granted()) {
          sent.addLast(nanos(t));
          total++;
        }
      }
      while (!sent.isEmpty() && sent.peekFirst() <= nanos(t) - windowNanos) {
        sent.removeFirst();
      }
      most = Math.max(most, sent.size());
      t.clock.advance(Duration.ofNanos(step));
    }
    assertThat(most).isLessThanOrEqualTo(permits);
    if (permits / instances >= 20) {
      // the share is used, not wasted
      assertThat(total / 3.0).isGreaterThanOrEqualTo(permits * 0.5);
    }
  }

  static Stream<Arguments> memberships() {
    SplittableRandom random = new SplittableRandom(20261202L);
    return IntStream.range(0, 24)
        .mapToObj(
            i -> {
              int before = 1 + random.nextInt(4);
              // shares of at least 10 calls: below that the one-call-per-window floor decides
              int permits = 10 * (before + 1) + random.nextInt(3000);
              long window = new long[] {1000, 5000, 10_000}[random.nextInt(3)];
              return Arguments.of(permits, window, before, random.nextLong());
            });
  }

  /**
   * The cluster's protocol for a change of membership, on one manual clock: {@code before}
   * instances call as fast as their shares allow; one joins and keeps to the smallest share ({@code
   * cluster/LimitShare}) until every other has re-shared (each at its own heartbeat), then takes
   * its share; later one leaves and the others grow their shares back, each at its own time. Every
   * share change keeps the calls already made ({@link TokenBucket#carryOver}), so no sliding window
   * ever holds more than the documented count.
   */
  @ParameterizedTest(name = "{0} per {1} ms, {2} instances then one more, seed {3}")
  @MethodSource("memberships")
  void aJoinAndALeaveNeverPassTheLimitInAnyWindow(int permits, long window, int before, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    ManualTime t = new ManualTime();
    RateLimit limit = new RateLimit(permits, window);
    long w = Duration.ofMillis(window).toNanos();
    long heartbeat = w / (1 + r.nextInt(4));
    TokenBucket[] buckets = new TokenBucket[before + 1];
    for (int i = 0; i < before; i++) {
      buckets[i] = new TokenBucket(limit, before, Duration.ZERO, t.clock);
    }
    long start = nanos(t);
    long joins = start + w + (long) (r.nextDouble() * w);
    // each of the others counts the joiner at its next heartbeat; the joiner settles at its own
    // heartbeat after the last of theirs
    long[] counted = new long[before + 1];
    long lastCounted = joins;
    for (int i = 0; i < before; i++) {
      counted[i] = joins + 1 + (long) (r.nextDouble() * heartbeat);
      lastCounted = Math.max(lastCounted, counted[i]);
    }
    counted[before] = lastCounted + 1 + (long) (r.nextDouble() * heartbeat);
    long leaves = counted[before] + w + (long) (r.nextDouble() * w);
    int leaver = r.nextInt(before + 1);
    long[] regrown = new long[before + 1];
    for (int i = 0; i <= before; i++) {
      regrown[i] = leaves + (long) (w / 2 + r.nextDouble() * heartbeat); // its row ages out first
    }
    // callers pause now and then (a quiet spell fills a bucket's burst) and then call flat out
    long[] idleUntil = new long[before + 1];
    boolean[] shared = new boolean[before + 1];
    boolean[] grown = new boolean[before + 1];
    long step =
        Math.max(
            1,
            new TokenBucket(limit, LIMIT_SMALLEST, Duration.ZERO, t.clock).interval().toNanos()
                / 4);
    Deque<Long> sent = new ArrayDeque<>();
    int most = 0;
    while (nanos(t) - start < leaves - start + 2 * w) {
      long now = nanos(t);
      if (buckets[before] == null && now >= joins) {
        buckets[before] = new TokenBucket(limit, LIMIT_SMALLEST, Duration.ZERO, t.clock);
      }
      for (int i = 0; i <= before; i++) {
        if (buckets[i] == null || (i == leaver && now >= leaves)) {
          continue;
        }
        if (!shared[i] && now >= counted[i]) {
          shared[i] = true;
          buckets[i] = reshare(limit, before + 1, buckets[i], t);
        }
        if (i != leaver && !grown[i] && now >= regrown[i]) {
          grown[i] = true;
          buckets[i] = reshare(limit, before, buckets[i], t);
        }
        if (now < idleUntil[i]) {
          continue;
        }
        if (r.nextInt(2000) == 0) {
          idleUntil[i] = now + (long) (r.nextDouble() * w / 3);
          continue;
        }
        while (buckets[i].take().granted()) {
          sent.addLast(now);
        }
      }
      while (!sent.isEmpty() && sent.peekFirst() <= now - w) {
        sent.removeFirst();
      }
      most = Math.max(most, sent.size());
      t.clock.advance(Duration.ofNanos(step + r.nextInt((int) Math.min(step, 1000))));
    }
    assertThat(most).isLessThanOrEqualTo(permits);
  }

  /** {@code cluster/LimitShare.SMALLEST}: the joining instance's divisor. */
  private static final int LIMIT_SMALLEST = Integer.MAX_VALUE;

  /** What {@link RateLimitLayer#shareAmong} does for one operation. */
  private static TokenBucket reshare(RateLimit limit, int divisor, TokenBucket old, ManualTime t) {
    TokenBucket b = new TokenBucket(limit, divisor, Duration.ZERO, t.clock);
    b.carryOver(old);
    return b;
  }

  private static long nanos(ManualTime t) {
    var i = t.clock.instant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}

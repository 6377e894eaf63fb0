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

  private static long nanos(ManualTime t) {
    var i = t.clock.instant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}

package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each instance's limiter keeps its share: n instances, each refilling {@code p} permits every
 * {@code T}, can make at most {@code n * p * (floor(W / T) + 1)} calls in any sliding window {@code
 * W}; that must stay under the documented limit (seeded cases, plus the providers' own).
 */
class ProviderHttpShareTest {

  static Stream<Arguments> cases() {
    SplittableRandom random = new SplittableRandom(20261201L);
    Stream<Arguments> seeded =
        IntStream.range(0, 200)
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
            Arguments.of(3, 1000L, 3));
    return Stream.concat(documented, seeded);
  }

  @ParameterizedTest(name = "{0} per {1} ms over {2} instances")
  @MethodSource("cases")
  void instancesTogetherStayUnderTheDocumentedLimitInAnySlidingWindow(
      int permits, long window, int instances) {
    RateLimiterConfig c =
        ProviderHttp.limiter("t", new RateLimit(permits, window), instances).getRateLimiterConfig();
    long period = c.getLimitRefreshPeriod().toMillis();
    long mostInWindow = (long) c.getLimitForPeriod() * (window / period + 1);
    assertThat(mostInWindow * instances).isLessThanOrEqualTo(permits);
    // and the share is used, not wasted: at least half of it on average
    double perWindow = c.getLimitForPeriod() * (double) window / period;
    if (permits / instances >= 20) {
      assertThat(perWindow * instances).isGreaterThanOrEqualTo(permits * 0.5);
    }
  }
}

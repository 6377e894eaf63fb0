package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The limiter on a manual clock: sliding windows kept, short holds only, refusals say when. */
class TokenBucketTest {
  private static final Duration NO_WAIT = Duration.ZERO;

  @Test
  void oneASecondIsOneASecondNotTen() {
    ManualTime t = new ManualTime();
    TokenBucket b = new TokenBucket(new RateLimit(1, 1000), NO_WAIT, t.clock);
    assertThat(b.take().granted()).isTrue();
    int granted = 0;
    // a call every 10 ms for just under a second: no second token yet
    for (int i = 0; i < 99; i++) {
      t.clock.advance(Duration.ofMillis(10));
      granted += b.take().granted() ? 1 : 0;
    }
    assertThat(granted).isZero();
    t.clock.advance(Duration.ofMillis(10));
    assertThat(b.take().granted()).isTrue();
  }

  @Test
  void aCallPastTheLimitWaitsOnlyWithinTheBoundAndIsOtherwiseToldWhen() {
    ManualTime t = new ManualTime();
    // 10 per second: 9 per second refill (one every 111.1 ms), no burst beyond one
    TokenBucket b = new TokenBucket(new RateLimit(10, 1000), Duration.ofMillis(250), t.clock);
    TokenBucket.Grant first = b.take();
    assertThat(first.granted()).isTrue();
    assertThat(first.delay()).isZero();
    TokenBucket.Grant second = b.take();
    assertThat(second.granted()).isTrue();
    assertThat(second.delay()).isEqualTo(b.interval());
    TokenBucket.Grant third = b.take();
    assertThat(third.granted()).isTrue();
    assertThat(third.delay()).isEqualTo(b.interval().multipliedBy(2));
    // the next would have to wait 333 ms, past the 250 ms bound: refused, with the wait
    TokenBucket.Grant fourth = b.take();
    assertThat(fourth.granted()).isFalse();
    assertThat(fourth.delay()).isEqualTo(b.interval().multipliedBy(3));
    // a refusal takes nothing: after the time it named, a call goes within the bound again
    t.clock.advance(fourth.delay().minus(Duration.ofMillis(200)));
    assertThat(b.take().granted()).isTrue();
  }

  @ParameterizedTest(name = "{0} per {1} ms")
  @CsvSource({"1, 1000", "2, 1000", "10, 1000", "50, 1000", "600, 60000", "1000, 300000"})
  void burstIsAboutATenthAndRefillNinetyPercent(int permits, long periodMs) {
    ManualTime t = new ManualTime();
    TokenBucket b = new TokenBucket(new RateLimit(permits, periodMs), NO_WAIT, t.clock);
    int burst = 0;
    while (b.take().granted()) {
      burst++;
    }
    assertThat(burst).isEqualTo(Math.max(1, (int) Math.floor(permits * 0.09)));
    // whole calls per window at 90% (at least one): a window never holds more than the limit
    assertThat(b.interval().toNanos())
        .isEqualTo(
            -Math.floorDiv(
                -Duration.ofMillis(periodMs).toNanos(), Math.max(1, (long) (permits * 0.9))));
  }

  @Test
  void aNewShareKeepsTheCallsJustMadeSoNoSecondBurstIsHandedOut() {
    ManualTime t = new ManualTime();
    RateLimit limit = new RateLimit(1000, 10_000); // alone: 900 per 10 s, burst 90
    TokenBucket alone = new TokenBucket(limit, NO_WAIT, t.clock);
    int burst = 0;
    while (alone.take().granted()) {
      burst++;
    }
    assertThat(burst).isEqualTo(90);
    // a second instance joins: this one's share halves (450 per 10 s, burst 45)
    TokenBucket half = new TokenBucket(limit, 2, NO_WAIT, t.clock);
    half.carryOver(alone);
    assertThat(half.take().granted()).as("the 90 calls just made still count").isFalse();
    TokenBucket fresh = new TokenBucket(limit, 2, NO_WAIT, t.clock);
    int again = 0;
    while (fresh.take().granted()) {
      again++;
    }
    assertThat(again).as("what a fresh bucket would have added").isEqualTo(45);
    // the 90 calls are paid back at the new rate, less what the new burst (45) may borrow
    t.clock.advance(half.interval().multipliedBy(90 - 44));
    assertThat(half.take().granted()).isTrue();
    assertThat(half.take().granted()).isFalse();
  }

  @Test
  void anIdleBucketCarriesNothingOver() {
    ManualTime t = new ManualTime();
    RateLimit limit = new RateLimit(100, 1000);
    TokenBucket old = new TokenBucket(limit, NO_WAIT, t.clock);
    TokenBucket next = new TokenBucket(limit, 3, NO_WAIT, t.clock);
    next.carryOver(old);
    assertThat(next.take().granted()).isTrue();
  }

  static Stream<Arguments> seeds() {
    return IntStream.range(0, 24).mapToObj(Arguments::of);
  }

  /**
   * Whatever the limit and however calls arrive (bursts, steady streams, idle gaps), no sliding
   * window of the documented length ever holds more granted calls than the documented count.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void noSlidingWindowEverHoldsMoreThanTheLimit(int seed) {
    Random r = new Random(seed);
    int permits = 1 + r.nextInt(r.nextBoolean() ? 20 : 2000);
    long periodMs = 1 + r.nextInt(r.nextBoolean() ? 2000 : 300_000);
    Duration maxWait = Duration.ofMillis(r.nextInt(300));
    ManualTime t = new ManualTime();
    TokenBucket b = new TokenBucket(new RateLimit(permits, periodMs), maxWait, t.clock);
    long window = Duration.ofMillis(periodMs).toNanos();
    Deque<Long> sent = new ArrayDeque<>();
    long start = t.clock.instant().toEpochMilli();
    for (int i = 0; i < 20_000; i++) {
      long gapNanos =
          switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1_000_000);
            case 2 -> (long) (r.nextDouble() * window / permits * 2);
            default -> r.nextInt(100) == 0 ? window : 1000;
          };
      t.clock.advance(Duration.ofNanos(gapNanos));
      TokenBucket.Grant g = b.take();
      assertThat(g.delay().isNegative()).isFalse();
      if (!g.granted()) {
        assertThat(g.delay()).isGreaterThan(maxWait);
        continue;
      }
      assertThat(g.delay()).isLessThanOrEqualTo(maxWait);
      long at = nanos(t) + g.delay().toNanos(); // the call goes out after its short hold
      sent.addLast(at);
      while (sent.peekFirst() <= at - window) {
        sent.removeFirst();
      }
      assertThat(sent.size())
          .as("calls in the window ending %d ms in", (at / 1_000_000) - start)
          .isLessThanOrEqualTo(permits);
    }
  }

  private static long nanos(ManualTime t) {
    var i = t.clock.instant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}

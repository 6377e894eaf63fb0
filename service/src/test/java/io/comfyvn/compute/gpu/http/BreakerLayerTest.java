package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The breaker's open and half-open states on a manual clock, and what it counts. */
class BreakerLayerTest {
  private final ManualTime time = new ManualTime();
  private final Deque<Object> script = new ArrayDeque<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final Exchange x =
      new Exchange(Op.READ, RetryLayerTest.call(Op.READ), Duration.ofSeconds(1));

  /** Four calls decide; half of them failing opens it for 30 s; 3 trial calls when half-open. */
  private BreakerLayer breaker() {
    ResilienceSettings s = RetryLayerTest.settings(1, 0);
    s =
        new ResilienceSettings(
            s.limits(),
            s.limiterMaxWait(),
            1,
            s.baseDelay(),
            s.maxDelay(),
            s.maxRetryAfter(),
            s.timeouts(),
            50f,
            4,
            Duration.ofSeconds(30));
    return new BreakerLayer("testprov", s, time.clock, this::below);
  }

  private HttpReply below(Exchange e) {
    sent.incrementAndGet();
    Object next = script.poll();
    if (next instanceof ProviderException pe) {
      throw pe;
    }
    return new HttpReply(200, Map.of(), new byte[0]);
  }

  private static ProviderException answer(int status) {
    return new ProviderException(
        Kind.UPSTREAM_FAILED,
        "provider_error",
        "HTTP " + status,
        true,
        Sent.AMBIGUOUS,
        status,
        null,
        null);
  }

  private static ProviderException noAnswer() {
    return new ProviderException(
        Kind.UPSTREAM_TIMEOUT, "provider_timeout", "timeout", true, Sent.AMBIGUOUS, 0, null, null);
  }

  private static ProviderException local(String code) {
    return new ProviderException(
        Kind.RATE_LIMITED, code, "not sent", true, Sent.NOT_SENT, 0, null, null);
  }

  private void fail(BreakerLayer b, ProviderException e) {
    script.add(e);
    assertThatThrownBy(() -> b.send(x)).isSameAs(e);
  }

  @Test
  void opensOnFailuresFailsFastThenTriesAgainHalfOpen() {
    BreakerLayer b = breaker();
    fail(b, answer(500));
    fail(b, noAnswer());
    b.send(x);
    fail(b, answer(502));
    assertThat(b.state()).isEqualTo(State.OPEN);
    int before = sent.get();
    assertThatThrownBy(() -> b.send(x))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_circuit_open");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(RetryLayer.retries(Op.READ, e)).isFalse();
            });
    assertThat(sent.get()).as("nothing sent while open").isEqualTo(before);

    time.clock.advance(Duration.ofSeconds(29));
    assertThatThrownBy(() -> b.send(x)).isInstanceOf(ProviderException.class);
    time.clock.advance(Duration.ofMillis(1001));
    b.send(x); // the first trial call passes
    assertThat(b.state()).isEqualTo(State.HALF_OPEN);
    b.send(x);
    b.send(x);
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void aFailingTrialOpensItAgain() {
    BreakerLayer b = breaker();
    for (int i = 0; i < 4; i++) {
      fail(b, answer(503));
    }
    assertThat(b.state()).isEqualTo(State.OPEN);
    time.clock.advance(Duration.ofMillis(30_001));
    fail(b, answer(500));
    fail(b, answer(500));
    b.send(x);
    assertThat(b.state()).isEqualTo(State.OPEN);
  }

  @Test
  void aProviderSayingNoAndOurOwnRefusalsDoNotOpenIt() {
    BreakerLayer b = breaker();
    for (int i = 0; i < 20; i++) {
      fail(b, answer(i % 2 == 0 ? 404 : 429));
      fail(b, local(i % 2 == 0 ? "rate_limited" : "egress_denied"));
    }
    assertThat(b.state()).isEqualTo(State.CLOSED);
  }
}

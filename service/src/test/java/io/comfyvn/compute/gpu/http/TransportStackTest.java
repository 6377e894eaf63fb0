package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The order of the layers, shown by what each order would get wrong: retries above the limiter and
 * breaker (every attempt is limited and counted), the breaker above the limiter (an open breaker
 * spends no token), scrubbing below everything that reads an answer.
 */
class TransportStackTest {
  private final ManualTime time = new ManualTime();

  private static ResilienceSettings limitedTo(int createsPerMinute, int attempts, int window) {
    return limitedTo(createsPerMinute, 60_000, attempts, window, Duration.ofSeconds(30));
  }

  private static ResilienceSettings limitedTo(
      int creates, long periodMs, int attempts, int window, Duration openFor) {
    ResilienceSettings s = RetryLayerTest.settings(attempts, 60_000);
    return new ResilienceSettings(
        Map.of(
            Op.CREATE, new RateLimit(creates, periodMs),
            Op.READ, new RateLimit(1000, 1000),
            Op.CANCEL, new RateLimit(1000, 1000)),
        Duration.ZERO,
        attempts,
        s.baseDelay(),
        s.maxDelay(),
        s.maxRetryAfter(),
        s.timeouts(),
        50f,
        window,
        openFor);
  }

  private ProviderHttp door(ScriptedTransport t, ResilienceSettings s) {
    return RetryLayerTest.door(t, s, time);
  }

  @Test
  void theLayersFromTheCallerDown() {
    assertThat(TransportStack.ORDER)
        .containsExactly("retry", "gate", "breaker", "rate_limit", "egress_and_scrub");
    ScriptedTransport t = new ScriptedTransport();
    TransportStack.Composed c =
        TransportStack.compose(
            "testprov",
            LiveContexts.guard(t, LiveContexts.testPolicy()),
            limitedTo(10, 2, 10),
            java.util.Optional::empty,
            time.tools(),
            r -> r.text());
    assertThat(c.top()).isInstanceOf(RetryLayer.class);
    assertThat(c.breaker().state()).isEqualTo(State.CLOSED);
  }

  @Test
  void everyRetryAttemptTakesARateLimitToken() {
    // 22 creates per minute: 1 at once (9% of 22 rounded down, at least 1), then one per 3.2 s
    ScriptedTransport t = new ScriptedTransport();
    t.fail(false).json(201, "{}");
    ProviderHttp d = door(t, limitedTo(22, 3, 10));
    assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              // the retry after a refused connection met the limiter, which said no
              assertThat(e.code()).isEqualTo("rate_limited");
              assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(e.retryAfter()).isPresent();
            });
    assertThat(t.calls()).hasSize(1);
  }

  @Test
  void anOpenBreakerSpendsNoToken() {
    ScriptedTransport t = new ScriptedTransport();
    // 2 reads decide; 30 creates an hour: 2 at once (9% of 30 rounded down), then one per 133 s.
    // The breaker is open for 1 ms only, so no token comes back while it is open.
    ResilienceSettings s = limitedTo(30, 3_600_000, 1, 2, Duration.ofMillis(1));
    ProviderHttp d = door(t, s);
    t.fail(true).fail(true);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> d.call(Op.READ, RetryLayerTest.call(Op.READ)))
          .isInstanceOf(ProviderException.class);
    }
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> assertThat(e.code()).isEqualTo("provider_circuit_open"));
    }
    time.clock.advance(Duration.ofMillis(2));
    t.json(201, "{}").json(201, "{}");
    // both creates of the burst are still there: the refused ones took none
    assertThat(d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)).status()).isEqualTo(201);
    assertThat(d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)).status()).isEqualTo(201);
  }

  @Test
  void aLimiterRefusalIsNotCountedAgainstTheProvider() {
    ScriptedTransport t = new ScriptedTransport();
    ProviderHttp d = door(t, limitedTo(11, 1, 2));
    t.json(201, "{}");
    d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE));
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.code()).isEqualTo("rate_limited"));
    }
    t.json(200, "{}");
    assertThat(d.call(Op.READ, RetryLayerTest.call(Op.READ)).status()).isEqualTo(200);
  }

  @Test
  void answersAreScrubbedBeforeAnyLayerReadsThem() {
    ScriptedTransport t = new ScriptedTransport();
    t.json(
        422,
        "{\"detail\":\"token " + RetryLayerTest.KEY + " cannot run this\"}",
        "X-Echo",
        RetryLayerTest.KEY);
    ProviderHttp d = door(t, limitedTo(100, 1, 10));
    assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e ->
                assertThat(e.getMessage())
                    .contains("token *** cannot run this")
                    .doesNotContain("RETRY-CANARY"));
  }

  @Test
  void aSubmitPastTheLimitIsRefusedAtOnceNotQueued() {
    ScriptedTransport t = new ScriptedTransport();
    ResilienceSettings s = limitedTo(11, 1, 10);
    s =
        new ResilienceSettings(
            s.limits(),
            Duration.ofMillis(250),
            1,
            s.baseDelay(),
            s.maxDelay(),
            s.maxRetryAfter(),
            s.timeouts(),
            50f,
            10,
            Duration.ofSeconds(30));
    ProviderHttp d =
        new ProviderHttp(
            "testprov",
            LiveContexts.guard(t, LiveContexts.testPolicy()),
            s,
            Json.mapper(),
            time.tools());
    t.json(201, "{}");
    d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE));
    assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("rate_limited");
              // 11 a minute at 90% is 9 whole calls a minute: the next token in 6.67 s
              assertThat(e.retryAfter().orElseThrow())
                  .isBetween(Duration.ofMillis(6600), Duration.ofMillis(6700));
              assertThat(e.getMessage()).contains("try again in 7 s").contains("nothing was sent");
            });
    assertThat(time.slept()).as("the request thread was not held").isZero();
    assertThat(t.calls()).hasSize(1);
  }

  @Test
  void aClosedGateSendsNothingSpendsNoTokenAndIsNotRetried() {
    ScriptedTransport t = new ScriptedTransport();
    java.util.concurrent.atomic.AtomicReference<java.util.Optional<String>> gate =
        new java.util.concurrent.atomic.AtomicReference<>(java.util.Optional.of("flag off"));
    // one create an hour: a token spent by a refused call would show as rate_limited below
    ProviderHttp d =
        new ProviderHttp(
            "testprov",
            LiveContexts.guard(t, LiveContexts.testPolicy()),
            limitedTo(1, 3_600_000, 4, 2, Duration.ofSeconds(30)),
            gate::get,
            Json.mapper(),
            time.tools());
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.code()).isEqualTo("network_off");
                assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
                assertThat(e.retryable()).isFalse();
              });
    }
    assertThat(t.calls()).isEmpty();
    assertThat(time.sleeps()).isEmpty();
    gate.set(java.util.Optional.empty());
    t.json(201, "{}");
    assertThat(d.call(Op.CREATE, RetryLayerTest.call(Op.CREATE)).status()).isEqualTo(201);
  }
}

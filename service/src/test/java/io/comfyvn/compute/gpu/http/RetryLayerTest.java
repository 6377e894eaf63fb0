package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which failures are repeated and how long the door waits first, through the real stack on a manual
 * clock. The rule that matters most: a create that may have reached the provider is never sent
 * again.
 */
class RetryLayerTest {
  static final String KEY = "sk-RETRY-CANARY-0123456789";
  static final URI URL = URI.create("http://127.0.0.1:1/v1/jobs");

  static ResilienceSettings settings(int attempts, long maxRetryAfterMs) {
    Map<Op, RateLimit> limits =
        Map.of(
            Op.CREATE, new RateLimit(100_000, 1000),
            Op.READ, new RateLimit(100_000, 1000),
            Op.CANCEL, new RateLimit(100_000, 1000));
    return new ResilienceSettings(
        limits,
        Duration.ofMillis(250),
        attempts,
        Duration.ofMillis(500),
        Duration.ofMillis(8000),
        Duration.ofMillis(maxRetryAfterMs),
        ResilienceSettings.DEFAULT_TIMEOUTS,
        50f,
        100,
        Duration.ofSeconds(30));
  }

  static ProviderHttp door(ScriptedTransport t, ResilienceSettings s, ManualTime time) {
    return new ProviderHttp(
        "testprov",
        LiveContexts.guard(t, LiveContexts.testPolicy(), "testprov.api_key", KEY),
        s,
        Json.mapper(),
        time.tools());
  }

  static HttpCall call(Op op) {
    Map<String, String> auth = Map.of("Authorization", "Bearer " + KEY);
    return switch (op) {
      case CREATE -> HttpCall.postJson(URL, auth, "{}");
      case READ -> HttpCall.get(URL, auth);
      case CANCEL -> new HttpCall("POST", URL, auth, new byte[0]);
    };
  }

  /** Scripts one failure of a class, again and again. */
  static void script(ScriptedTransport t, String failure, int times) {
    for (int i = 0; i < times; i++) {
      switch (failure) {
        case "refused_connection" -> t.fail(false);
        case "timeout_after_send" -> t.fail(true);
        default -> t.json(Integer.parseInt(failure), "{\"detail\":\"no\"}");
      }
    }
  }

  @ParameterizedTest(name = "{0} on {1}: {2} attempt(s), {3}")
  @CsvSource({
    // never reached the provider: safe to repeat, whatever the call
    "refused_connection, CREATE, 3, NOT_SENT",
    "refused_connection, READ,   3, NOT_SENT",
    "refused_connection, CANCEL, 3, NOT_SENT",
    // the provider said "not now" and did not act
    "429, CREATE, 3, REFUSED",
    "429, READ,   3, REFUSED",
    "503, CREATE, 3, REFUSED",
    "503, CANCEL, 3, REFUSED",
    // may have reached the provider: a create is never resent, reads and cancels are
    "timeout_after_send, CREATE, 1, AMBIGUOUS",
    "timeout_after_send, READ,   3, AMBIGUOUS",
    "timeout_after_send, CANCEL, 3, AMBIGUOUS",
    "500, CREATE, 1, AMBIGUOUS",
    "502, CREATE, 1, AMBIGUOUS",
    "504, CREATE, 1, AMBIGUOUS",
    "500, READ,   3, AMBIGUOUS",
    "502, CANCEL, 3, AMBIGUOUS",
    // a healthy provider saying no: repeating cannot help
    "400, CREATE, 1, REFUSED",
    "401, READ,   1, REFUSED",
    "403, CANCEL, 1, REFUSED",
    "404, READ,   1, REFUSED",
    "409, CREATE, 1, REFUSED",
    "410, READ,   1, REFUSED",
    "422, CREATE, 1, REFUSED",
  })
  void retriesByFailureClass(String failure, Op op, int attempts, Sent sent) {
    ScriptedTransport t = new ScriptedTransport();
    script(t, failure, 3);
    ManualTime time = new ManualTime();
    assertThatThrownBy(() -> door(t, settings(3, 60_000), time).call(op, call(op)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.sent()).isEqualTo(sent);
              assertThat(RetryLayer.retries(op, e)).isEqualTo(attempts > 1);
              // the label callers see: an ambiguous create is never "retry me"
              if (op == Op.CREATE && sent == Sent.AMBIGUOUS) {
                assertThat(e.retryable()).isFalse();
              }
            });
    assertThat(t.calls()).hasSize(attempts);
    assertThat(time.sleeps()).hasSize(attempts - 1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"refused_connection", "429", "503"})
  void aCreateTheProviderCannotHaveAcceptedIsRetriedUntilItIs(String failure) {
    ScriptedTransport t = new ScriptedTransport();
    script(t, failure, 2);
    t.json(201, "{\"id\":\"j1\"}");
    ManualTime time = new ManualTime();
    assertThat(door(t, settings(4, 60_000), time).call(Op.CREATE, call(Op.CREATE)).status())
        .isEqualTo(201);
    assertThat(t.calls()).hasSize(3);
  }

  @Test
  void ourOwnRefusalsAreNeverRepeated() {
    // egress: the key may not go to this host, so nothing is sent, once
    ScriptedTransport t = new ScriptedTransport();
    ManualTime time = new ManualTime();
    ProviderHttp d = door(t, settings(4, 60_000), time);
    HttpCall elsewhere =
        HttpCall.postJson(
            URI.create("https://evil.example/run"), Map.of("Authorization", "Bearer " + KEY), "{}");
    assertThatThrownBy(() -> d.call(Op.CREATE, elsewhere))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.code()).isEqualTo("egress_denied"));
    assertThat(t.calls()).isEmpty();
    assertThat(time.sleeps()).isEmpty();
  }

  @Test
  void backOffDoublesFromTheBaseUpToTheCap() {
    ScriptedTransport t = new ScriptedTransport();
    script(t, "503", 6);
    ManualTime time = new ManualTime();
    assertThatThrownBy(() -> door(t, settings(6, 60_000), time).call(Op.READ, call(Op.READ)))
        .isInstanceOf(ProviderException.class);
    // jitter is 0 here; with jitter each wait is up to 25% shorter, never longer
    assertThat(time.sleeps())
        .containsExactly(
            Duration.ofMillis(500),
            Duration.ofMillis(1000),
            Duration.ofMillis(2000),
            Duration.ofMillis(4000),
            Duration.ofMillis(8000));
  }

  @Test
  void jitterOnlyShortensTheWait() {
    RetryLayer r = new RetryLayer(settings(4, 60_000), d -> {}, () -> 0.999, x -> null);
    ProviderException busy =
        new ProviderException(
            io.comfyvn.compute.errors.ComputeException.Kind.UNAVAILABLE,
            "provider_unavailable",
            "busy",
            true,
            Sent.REFUSED,
            503,
            null,
            null);
    assertThat(r.delay(1, busy).orElseThrow())
        .isBetween(Duration.ofMillis(375), Duration.ofMillis(500));
  }

  @Test
  void retryAfterInSecondsIsWaitedExactly() {
    ScriptedTransport t = new ScriptedTransport();
    t.json(429, "{}", "Retry-After", "7");
    t.json(200, "{}");
    ManualTime time = new ManualTime();
    assertThat(door(t, settings(3, 10_000), time).call(Op.CREATE, call(Op.CREATE)).status())
        .isEqualTo(200);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(7));
  }

  @Test
  void retryAfterAsAnHttpDateIsWaitedUntilThatTime() {
    ManualTime time = new ManualTime();
    String at =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            time.clock.instant().plusSeconds(5).atZone(ZoneOffset.UTC));
    ScriptedTransport t = new ScriptedTransport();
    t.json(503, "{}", "Retry-After", at);
    t.json(200, "{}");
    assertThat(door(t, settings(3, 10_000), time).call(Op.READ, call(Op.READ)).status())
        .isEqualTo(200);
    assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(5));
  }

  @Test
  void aRetryAfterLongerThanWeWaitOnAThreadIsHandedBackNotShortened() {
    ScriptedTransport t = new ScriptedTransport();
    t.json(429, "{}", "Retry-After", "120");
    t.json(200, "{}");
    ManualTime time = new ManualTime();
    assertThatThrownBy(() -> door(t, settings(3, 10_000), time).call(Op.READ, call(Op.READ)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_rate_limited");
              assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
            });
    assertThat(t.calls()).hasSize(1);
    assertThat(time.sleeps()).isEmpty();
  }

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "7 | PT7S",
        "0 | PT0S",
        " 30 | PT30S",
        "Tue, 01 Dec 2026 10:01:00 GMT | PT1M",
        "Tue, 01 Dec 2026 09:00:00 GMT | PT0S",
        "soon | ",
        "-5 | ",
        "1.5 | ",
        "99999999999999999999999 | ",
      })
  void retryAfterIsReadAsSecondsOrAnHttpDate(String value, String expected) {
    ManualTime time = new ManualTime(); // 2026-12-01T10:00:00Z
    HttpReply r = new HttpReply(429, Map.of("Retry-After", List.of(value)), new byte[0]);
    assertThat(RetryAfter.of(r, time.clock.instant()).map(Duration::toString).orElse(null))
        .isEqualTo(expected);
  }
}

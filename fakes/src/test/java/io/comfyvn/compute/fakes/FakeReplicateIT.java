package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeReplicateIT {
  private final FakeFixture f = new FakeFixture();
  private final String base = "/replicate/v1";
  private final String create = base + "/models/comfyvn/fake-sdxl/predictions";

  @AfterEach
  void close() {
    f.close();
  }

  private String[] auth() {
    return new String[] {"Authorization", "Bearer " + f.creds.replicateToken()};
  }

  private JsonNode get(String id) {
    HttpResponse<String> r = f.get(base + "/predictions/" + id, auth());
    assertThat(r.statusCode()).isEqualTo(200);
    return f.json(r);
  }

  private JsonNode created(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return f.json(r);
  }

  @Test
  void authErrorsAreProblemJson() {
    HttpResponse<String> none = f.get(base + "/account");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    assertThat(f.json(none).get("detail").asText())
        .isEqualTo("You did not pass an authentication token");
    HttpResponse<String> wrong = f.get(base + "/account", "Authorization", "Bearer r8_wrong");
    assertThat(f.json(wrong).get("detail").asText())
        .isEqualTo("You did not pass a valid authentication token");
    HttpResponse<String> legacy =
        f.get(base + "/account", "Authorization", "Token " + f.creds.replicateToken());
    assertThat(legacy.statusCode()).isEqualTo(200);
    assertThat(f.json(legacy).get("username").asText()).isEqualTo("comfyvn");
    assertThat(f.json(f.get(base + "/webhooks/default/secret", auth())).get("key").asText())
        .isEqualTo(f.creds.replicateWebhookSecret());
  }

  @Test
  void unknownVersionOrModelIs422AndUnknownPredictionIs404() {
    HttpResponse<String> v =
        f.post(base + "/predictions", "{\"version\":\"nope\",\"input\":{}}", auth());
    assertThat(v.statusCode()).isEqualTo(422);
    assertThat(f.json(v).get("title").asText()).isEqualTo("Invalid version or not permitted");
    assertThat(f.post(base + "/models/x/y/predictions", "{\"input\":{}}", auth()).statusCode())
        .isEqualTo(422);
    assertThat(f.post(create, "{}", auth()).statusCode()).isEqualTo(422);
    assertThat(f.get(base + "/predictions/doesnotexist", auth()).statusCode()).isEqualTo(404);
  }

  @Test
  void runsToSucceededWithGrowingLogsAndAnImage() {
    JsonNode p = created(f.post(create, "{\"input\":{\"prompt\":\"a red fox\"}}", auth()));
    String id = p.get("id").asText();
    assertThat(p.get("status").asText()).isEqualTo("starting");
    assertThat(p.at("/urls/get").asText()).isEqualTo(f.url(base + "/predictions/" + id));
    assertThat(p.at("/urls/cancel").asText()).endsWith("/predictions/" + id + "/cancel");
    assertThat(p.at("/urls/web").asText()).isNotBlank();
    assertThat(p.get("output").isNull()).isTrue();
    f.advance(Duration.ofSeconds(3));
    JsonNode early = get(id);
    assertThat(early.get("status").asText()).isEqualTo("processing");
    f.advance(Duration.ofSeconds(2));
    JsonNode later = get(id);
    assertThat(later.get("logs").asText().length())
        .isGreaterThan(early.get("logs").asText().length());
    f.advance(Duration.ofSeconds(3));
    JsonNode done = get(id);
    assertThat(done.get("status").asText()).isEqualTo("succeeded");
    assertThat(done.at("/metrics/predict_time").asDouble()).isEqualTo(5.0);
    assertThat(done.get("completed_at").asText()).isNotBlank();
    assertThat(f.bytes(done.at("/output/0").asText())).startsWith(FakeFixture.PNG_SIGNATURE);

    f.advance(Duration.ofMinutes(61));
    JsonNode removed = get(id);
    assertThat(removed.get("data_removed").asBoolean()).isTrue();
    assertThat(removed.get("output").isNull()).isTrue();
    assertThat(removed.get("status").asText()).isEqualTo("succeeded");
  }

  @Test
  void createsByVersionAndDeployment() {
    String version = FakeReplicate.VERSION;
    JsonNode byVersion =
        created(
            f.post(
                base + "/predictions",
                "{\"version\":\"" + version + "\",\"input\":{\"prompt\":\"v\"}}",
                auth()));
    assertThat(byVersion.get("version").asText()).isEqualTo(version);
    JsonNode byDeployment =
        created(
            f.post(
                base + "/deployments/comfyvn/fake-sdxl/predictions",
                "{\"input\":{\"prompt\":\"d\"}}",
                auth()));
    assertThat(byDeployment.get("deployment").asText()).isEqualTo("comfyvn/fake-sdxl");
    assertThat(f.post(base + "/deployments/x/y/predictions", "{\"input\":{}}", auth()).statusCode())
        .isEqualTo(404);
    assertThat(f.fakes.stats().creates("replicate")).isEqualTo(3);
  }

  @Test
  void cancelFailAndCancelAfterDeadlines() {
    String canceled =
        created(f.post(create, "{\"input\":{\"prompt\":\"a\"}}", auth())).get("id").asText();
    f.advance(Duration.ofSeconds(3));
    JsonNode c = f.json(f.post(base + "/predictions/" + canceled + "/cancel", null, auth()));
    assertThat(c.get("status").asText()).isEqualTo("canceled");

    String aborted =
        created(
                f.post(
                    create, "{\"input\":{\"prompt\":\"b\"}}", append(auth(), "Cancel-After", "1s")))
            .get("id")
            .asText();
    String lateCancel =
        created(
                f.post(
                    create, "{\"input\":{\"prompt\":\"c\"}}", append(auth(), "Cancel-After", "4s")))
            .get("id")
            .asText();
    f.fakes.forceNextOutcome("replicate", Outcome.FAIL);
    String failed =
        created(f.post(create, "{\"input\":{\"prompt\":\"d\"}}", auth())).get("id").asText();
    f.advance(Duration.ofSeconds(10));
    assertThat(get(aborted).get("status").asText()).isEqualTo("aborted");
    assertThat(get(aborted).get("deadline").asText()).isNotBlank();
    assertThat(get(lateCancel).get("status").asText()).isEqualTo("canceled");
    JsonNode fail = get(failed);
    assertThat(fail.get("status").asText()).isEqualTo("failed");
    assertThat(fail.get("error").asText()).isNotBlank();
  }

  @Test
  void preferWaitBlocksUntilDoneAndSaysSo() throws Exception {
    var pending =
        f.http.sendAsync(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url(create)))
                .header("Authorization", "Bearer " + f.creds.replicateToken())
                .header("Prefer", "wait=30")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"input\":{\"prompt\":\"w\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    // Wait until the prediction exists (arrival is counted before it is created).
    while (f.json(f.get(base + "/predictions", auth())).get("results").isEmpty()) {
      Thread.sleep(5);
    }
    f.advance(Duration.ofSeconds(8));
    HttpResponse<String> r = pending.get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("Preference-Applied")).contains("wait=30");
    assertThat(f.json(r).get("status").asText()).isEqualTo("succeeded");
  }

  @Test
  void signedWebhooksFollowTheFilterAndTheFinalOneIsRetried() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      String body =
          "{\"input\":{\"prompt\":\"hook\"},\"webhook\":\""
              + hook.url()
              + "\",\"webhook_events_filter\":[\"start\",\"completed\"]}";
      String id = created(f.post(create, body, auth())).get("id").asText();
      f.advance(Duration.ofSeconds(3));
      f.fakes.tick();
      assertThat(hook.received).hasSize(1);
      assertThat(f.mapper.readTree(hook.received.get(0).body()).get("status").asText())
          .isEqualTo("processing");

      hook.failNext.set(1);
      f.advance(Duration.ofSeconds(5));
      f.fakes.tick();
      assertThat(hook.received).hasSize(2);
      f.advance(Duration.ofSeconds(2));
      f.fakes.tick();
      assertThat(hook.received).hasSize(3);

      WebhookReceiver.Received last = hook.received.get(2);
      assertThat(f.mapper.readTree(last.body()).get("status").asText()).isEqualTo("succeeded");
      String sig =
          WebhookSigner.sign(
              f.creds.replicateWebhookSecret(),
              last.header("webhook-id"),
              Long.parseLong(last.header("webhook-timestamp")),
              last.body());
      assertThat(last.header("webhook-signature")).isEqualTo(sig);
      assertThat(last.header("webhook-id")).isEqualTo(hook.received.get(1).header("webhook-id"));
      assertThat(f.fakes.webhookDeliveries())
          .extracting(WebhookDelivery::event, WebhookDelivery::attempt, WebhookDelivery::delivered)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("start", 1, true),
              org.assertj.core.groups.Tuple.tuple("completed", 1, false),
              org.assertj.core.groups.Tuple.tuple("completed", 2, true));
      assertThat(id).hasSize(26);
    }
  }

  @Test
  void unknownRoutesAnswerInProblemJson() {
    HttpResponse<String> r = f.get(base + "/nothing-here", auth());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    assertThat(f.get("/files/nope.png").statusCode()).isEqualTo(404);
  }

  @Test
  void refusesWebhooksOffLoopback() {
    HttpResponse<String> r =
        f.post(
            create,
            "{\"input\":{\"prompt\":\"x\"},\"webhook\":\"https://example.com/hook\"}",
            auth());
    assertThat(r.statusCode()).isEqualTo(422);
  }

  @Test
  void throttlesWithAndWithoutRetryAfterThroughTheControlRoute() {
    HttpResponse<String> add =
        f.post(
            "/_fake/faults",
            "{\"provider\":\"replicate\",\"operation\":\"create\",\"kind\":\"status\",\"status\":429,\"retry_after\":7}");
    assertThat(add.statusCode()).isEqualTo(200);
    HttpResponse<String> r = f.post(create, "{\"input\":{\"prompt\":\"x\"}}", auth());
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).contains("7");
    assertThat(f.json(r).get("detail").asText()).contains("throttled");
    f.post(
        "/_fake/faults",
        "{\"provider\":\"replicate\",\"operation\":\"get\",\"kind\":\"status\",\"status\":502,\"times\":2}");
    assertThat(f.get(base + "/predictions/x", auth()).statusCode()).isEqualTo(502);
    assertThat(f.get(base + "/predictions/x", auth()).statusCode()).isEqualTo(502);
    assertThat(f.get(base + "/predictions/x", auth()).statusCode()).isEqualTo(404);
    JsonNode stats = f.json(f.get("/_fake/stats"));
    assertThat(stats.at("/creates/replicate").asInt()).isEqualTo(1);
    assertThat(stats.at("/counts/replicate.get").asInt()).isEqualTo(3);
  }

  private static String[] append(String[] a, String... more) {
    String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, out, a.length, more.length);
    return out;
  }
}

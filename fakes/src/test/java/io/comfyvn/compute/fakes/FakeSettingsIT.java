package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retention, start state and webhook retries follow the settings, not fixed numbers. */
class FakeSettingsIT {
  private static final FakeSettings SHORT =
      FakeSettings.defaults()
          .withRetention(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(3))
          .withHfStartsRunning(true)
          .withHfIdleTimeout(Duration.ofMinutes(5))
          .withWebhookRetries(List.of(Duration.ofSeconds(1)), List.of());

  @Test
  void retentionsAreConfigurable() {
    try (FakeFixture f = new FakeFixture(SHORT)) {
      String[] rp = {"Authorization", f.creds.runpodApiKey()};
      String[] rep = {"Authorization", "Bearer " + f.creds.replicateToken()};
      String[] modal = {
        "Modal-Key", f.creds.modalTokenId(), "Modal-Secret", f.creds.modalTokenSecret()
      };
      String job =
          f.json(f.post("/runpod/v2/fake-endpoint/run", "{\"input\":{\"prompt\":\"r\"}}", rp))
              .get("id")
              .asText();
      String prediction =
          f.json(
                  f.post(
                      "/replicate/v1/models/comfyvn/fake-sdxl/predictions",
                      "{\"input\":{\"prompt\":\"r\"}}",
                      rep))
              .get("id")
              .asText();
      String call =
          f.json(f.post("/modal/run", "{\"input\":{\"prompt\":\"r\"}}", modal))
              .get("request_id")
              .asText();
      f.advance(Duration.ofSeconds(7).plusMinutes(1).minusMillis(1));
      assertThat(f.get("/runpod/v2/fake-endpoint/status/" + job, rp).statusCode()).isEqualTo(200);
      f.advance(Duration.ofMillis(1));
      assertThat(f.get("/runpod/v2/fake-endpoint/status/" + job, rp).statusCode()).isEqualTo(404);
      assertThat(
              f.json(f.get("/replicate/v1/predictions/" + prediction, rep))
                  .get("data_removed")
                  .asBoolean())
          .isFalse();
      f.advance(Duration.ofMinutes(1));
      assertThat(
              f.json(f.get("/replicate/v1/predictions/" + prediction, rep))
                  .get("data_removed")
                  .asBoolean())
          .isTrue();
      assertThat(f.get("/modal/requests/" + call, modal).statusCode()).isEqualTo(200);
      f.advance(Duration.ofMinutes(1));
      assertThat(f.get("/modal/requests/" + call, modal).statusCode()).isEqualTo(410);
    }
  }

  @Test
  void hfCanStartRunningAndScalesToZeroAfterTheIdleTimeout() throws Exception {
    try (FakeFixture f = new FakeFixture(SHORT)) {
      String ep = "/huggingface/v2/endpoint/comfyvn/fake-sdxl";
      String[] auth = {"Authorization", "Bearer " + f.creds.huggingfaceToken()};
      assertThat(f.json(f.get(ep, auth)).at("/status/state").asText()).isEqualTo("running");
      HttpResponse<byte[]> r =
          f.http.send(
              HttpRequest.newBuilder(URI.create(f.url("/huggingface/inference/fake-sdxl")))
                  .headers(auth)
                  .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":\"warm\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      f.advance(Duration.ofMinutes(5).minusSeconds(1));
      assertThat(f.json(f.get(ep, auth)).at("/status/state").asText()).isEqualTo("running");
      f.advance(Duration.ofSeconds(1));
      assertThat(f.json(f.get(ep, auth)).at("/status/state").asText()).isEqualTo("scaledToZero");
    }
  }

  @Test
  void webhookRetriesFollowTheSettings() {
    try (FakeFixture f = new FakeFixture(SHORT);
        WebhookReceiver hook = new WebhookReceiver()) {
      hook.failNext.set(100);
      f.post(
          "/runpod/v2/fake-endpoint/run",
          "{\"input\":{\"prompt\":\"w\"},\"webhook\":\"" + hook.url() + "\"}",
          "Authorization",
          f.creds.runpodApiKey());
      f.advance(Duration.ofSeconds(7));
      f.fakes.tick();
      f.advance(Duration.ofSeconds(1));
      f.fakes.tick();
      f.advance(Duration.ofMinutes(5));
      f.fakes.tick();
      assertThat(hook.received).hasSize(2);
      assertThat(f.fakes.webhookDeliveries())
          .extracting(WebhookDelivery::delivered)
          .containsExactly(false, false);
    }
  }
}

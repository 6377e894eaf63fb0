package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.fakes.Outcome;
import io.comfyvn.compute.fakes.WebhookSigner;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Provider-side timeouts, throttling storms, ambiguous creates and webhook signatures, live. */
class LiveFaultsIT {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} timed out -> error ({1})")
  @CsvSource({"runpod, TIMED_OUT", "replicate, failed", "modal, TIMEOUT"})
  void aJobThatTimesOutAtTheProviderIsAnErrorWithItsWord(String provider, String word) {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.forceNextOutcome(provider, Outcome.TIMEOUT);
      String task = h.submit(provider, "slow scene").get("task_id").asText();
      JsonNode j = h.await(task, LiveHarness.status("error"));
      assertThat(j.get("provider_status").asText()).isEqualTo(word);
      assertThat(j.get("artifacts")).isEmpty();
      assertThat(h.fakes.stats().creates(provider)).isEqualTo(1);
    }
  }

  @Test
  void aThrottlingStormOnPollsLosesNothing() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // The fake allows 3 status reads per second of its clock; the tracker polls much faster.
      h.fakes.enforceRateLimit("runpod", "status", 3, Duration.ofSeconds(1));
      h.fakes.inject(Fault.tooManyRequests("runpod", "create", null, 2));
      List<String> tasks = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        JsonNode sub = h.submit("runpod", "storm " + i);
        assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();
        tasks.add(sub.get("task_id").asText());
      }
      for (String t : tasks) {
        h.await(t, LiveHarness.status("done"));
      }
      // two creates were refused with 429 and retried: 8 jobs, 10 create requests, 8 jobs created
      assertThat(h.fakes.stats().creates("runpod")).isEqualTo(10);
      assertThat(h.server.get("/jobs/all").json().get("jobs")).hasSize(8);
    }
  }

  @Test
  void aModalCreateWhoseAnswerIsLostIsFoundByItsClientRequestId() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.dropAfterHandling("modal", "create", 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"modal\",\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      // the lost answer is looked up by the client_request_id the create carried: the call it
      // spawned is the task's job, and nothing was spawned twice
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("submit_state").asText()).isEqualTo("accepted");
      assertThat(r.json().get("id").asText()).startsWith("fc-");
      assertThat(h.fakes.stats().creates("modal")).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"replicate"})
  void aCreateWhoseAnswerIsLostIsNotResent(String provider) {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.dropAfterHandling(provider, "create", 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"" + provider + "\",\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      assertThat(r.status()).as(r.body()).isEqualTo(504);
      assertThat(r.json().get("reconcile").asBoolean()).isTrue();
      String task = r.json().get("task_id").asText();
      JsonNode t = h.poll(task);
      assertThat(t.get("status").asText()).isEqualTo("queued");
      for (int i = 0; i < 20; i++) {
        h.clock.advance(Duration.ofSeconds(1));
        h.fakes.tick();
      }
      assertThat(h.fakes.stats().creates(provider)).isEqualTo(1);
    }
  }

  @Test
  void liveCredentialsAppearInNoAnswerLogOrTask() {
    java.io.PrintStream realErr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    List<String> answers = new ArrayList<>();
    List<String> secrets;
    try (LiveHarness h = new LiveHarness(dir)) {
      var c = h.fakes.credentials();
      secrets =
          List.of(
              c.runpodApiKey(),
              c.replicateToken(),
              c.huggingfaceToken(),
              c.modalTokenId(),
              c.modalTokenSecret());
      for (String p : List.of("runpod", "replicate", "huggingface", "modal", "comfyui")) {
        JsonNode sub = h.submit(p, "canary " + p);
        answers.add(sub.toString());
        String task = sub.get("task_id").asText();
        answers.add(h.await(task, j -> j.path("status").asText().matches("done|error")).toString());
        answers.add(
            h.server.post("/api/providers/gpu/health", "{\"provider\":\"" + p + "\"}").body());
      }
      // provider failures whose text passes through: a rejected create and an auth failure
      h.fakes.inject(Fault.status("replicate", "create", 422, 1));
      answers.add(
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"replicate\",\"job\":{\"input\":{}}}")
              .body());
      h.fakes.inject(Fault.status("runpod", "health", 401, 1));
      answers.add(h.server.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}").body());
      answers.add(h.server.get("/jobs/all").body());
      answers.add(h.server.get("/api/modder/hooks/history?limit=200").body());
      answers.add(h.home.read("logs/providers_gpu.log"));
    } finally {
      System.setErr(realErr);
    }
    String everything =
        String.join("\n", answers) + captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(everything).contains("provider_rejected");
    for (String secret : secrets) {
      assertThat(everything).doesNotContain(secret);
    }
  }

  @Test
  void replicateWebhooksAreCheckedBySignature() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit("replicate", "signed");
      String task = sub.get("task_id").asText();
      String id = sub.get("id").asText();
      String body = "{\"id\":\"" + id + "\",\"status\":\"processing\",\"logs\":\"step 1\"}";
      String secret = h.fakes.credentials().replicateWebhookSecret();
      long ts =
          java.time.Instant.now()
              .getEpochSecond(); // the verifier checks freshness on the real clock
      String url = "/api/providers/gpu/webhooks/replicate?task=" + task;

      Reply forged =
          h.server.post(
              url,
              body,
              Map.of(
                  "webhook-id", "msg_1",
                  "webhook-timestamp", Long.toString(ts),
                  "webhook-signature",
                      WebhookSigner.sign(
                          "whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==", "msg_1", ts, body)));
      assertThat(forged.status()).isEqualTo(401);
      assertThat(forged.json().get("code").asText()).isEqualTo("bad_webhook_signature");

      Reply tampered =
          h.server.post(
              url,
              body.replace("step 1", "step 2"),
              Map.of(
                  "webhook-id", "msg_2",
                  "webhook-timestamp", Long.toString(ts),
                  "webhook-signature", WebhookSigner.sign(secret, "msg_2", ts, body)));
      assertThat(tampered.status()).isEqualTo(401);

      Reply genuine =
          h.server.post(
              url,
              body,
              Map.of(
                  "webhook-id", "msg_3",
                  "webhook-timestamp", Long.toString(ts),
                  "webhook-signature", WebhookSigner.sign(secret, "msg_3", ts, body)));
      assertThat(genuine.status()).as(genuine.body()).isEqualTo(200);
      assertThat(genuine.json().get("task_id").asText()).isEqualTo(task);
    }
  }
}

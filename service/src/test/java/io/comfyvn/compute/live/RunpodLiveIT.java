package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.fakes.Outcome;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RunPod live mode against its fake, through the real HTTP stack. */
class RunpodLiveIT {
  private static final String RP = FakeProviders.RUNPOD;
  @TempDir Path dir;

  @Test
  void submitProgressDoneWithArtifactAndProvenance() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit("runpod", "castle at dusk");
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();
      assertThat(sub.get("dry_run").asBoolean()).isFalse();
      assertThat(sub.get("mode").asText()).isEqualTo("live");
      assertThat(sub.get("status").asText()).isEqualTo("queued");
      String task = sub.get("task_id").asText();
      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.get("provider_status").asText()).isEqualTo("COMPLETED");
      assertThat(done.get("artifacts")).isNotEmpty();
      JsonNode a = done.get("artifacts").get(0);
      Path file = dir.resolve(a.get("path").asText());
      byte[] png = Files.readAllBytes(file);
      assertThat(png[1]).isEqualTo((byte) 'P');
      String prov = Files.readString(file.resolveSibling(file.getFileName() + ".prov.json"));
      assertThat(prov)
          .contains("\"tool\" : \"comfyvn-compute\"", "\"provider\" : \"runpod\"", "\"seed\" : 7")
          .contains(a.get("sha256").asText())
          .contains("\"cost_usd\"");
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(1);
    }
  }

  @Test
  void failureCarriesTheProvidersReason() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.forceNextOutcome(RP, Outcome.FAIL);
      String task = h.submit("runpod", "x").get("task_id").asText();
      JsonNode j = h.await(task, LiveHarness.status("error"));
      assertThat(j.get("provider_status").asText()).isEqualTo("FAILED");
      JsonNode job = h.server.get("/jobs/status/" + task).json().get("job");
      assertThat(job.get("message").asText()).startsWith("Failed: ");
    }
  }

  @Test
  void cancelReachesTheProvider() {
    try (LiveHarness h = new LiveHarness(dir)) {
      String task = h.submit("runpod", "x").get("task_id").asText();
      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();
      assertThat(c.get("canceled").asBoolean()).as(c.toString()).isTrue();
      assertThat(c.get("status").asText()).isEqualTo("canceled");
      assertThat(h.fakes.stats().count(RP, "cancel")).as(c.toString()).isEqualTo(1);
    }
  }

  @Test
  void rateLimitStormOnCreateIsRetriedAndCreatesOnce() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // Retry-After: 0, "now": the door waits as told (a longer one is handed back, see
      // LiveLimitsIT)
      h.fakes.inject(Fault.tooManyRequests(RP, "create", 0, 3));
      JsonNode sub = h.submit("runpod", "x");
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();
      // three 429s refused the create; the fourth request is the only one the provider accepted
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(4);
      h.await(sub.get("task_id").asText(), LiveHarness.status("done"));
    }
  }

  @Test
  void serverErrorBurstWhilePollingStillFinishes() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.status(RP, "status", 503, 6));
      String task = h.submit("runpod", "x").get("task_id").asText();
      h.await(task, LiveHarness.status("done"));
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(1);
    }
  }

  @Test
  void ambiguousCreateIsNeverResentAndIsReconciledByWebhook() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.slow(RP, "create", Duration.ofMillis(4000), 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"runpod\",\"job\":{\"input\":{\"prompt\":\"slow\"}}}");
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.json().get("ok").asBoolean()).isFalse();
      assertThat(r.json().get("reconcile").asBoolean()).isTrue();
      String task = r.json().get("task_id").asText();
      // a cancel now cannot reach the job (its id is unknown): the task is not marked canceled,
      // which would leave the job running upstream with nobody following it
      Reply cancel = h.server.post("/api/providers/gpu/cancel/" + task, "{}");
      assertThat(cancel.status()).isEqualTo(200);
      assertThat(cancel.json().get("canceled").asBoolean()).as(cancel.body()).isFalse();
      assertThat(cancel.json().get("message").asText()).contains("job id is not known yet");
      // the job was created upstream; its webhook finds the task again
      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.get("id").asText()).isNotBlank();
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(1);
    }
  }

  @Test
  void restartMidJobStillFinishes() {
    try (LiveHarness h = new LiveHarness(dir)) {
      String task = h.submit("runpod", "x").get("task_id").asText();
      h.restart();
      h.await(task, LiveHarness.status("done"));
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(1);
    }
  }

  @Test
  void webhookWithABadTokenIsRejected() {
    try (LiveHarness h = new LiveHarness(dir)) {
      String task = h.submit("runpod", "x").get("task_id").asText();
      Reply r =
          h.server.post(
              "/api/providers/gpu/webhooks/runpod?task=" + task + "&token=guess",
              "{\"id\":\"x\",\"status\":\"COMPLETED\"}");
      assertThat(r.status()).isEqualTo(401);
      assertThat(h.poll(task).get("status").asText()).isNotEqualTo("done");
    }
  }

  @Test
  void healthIsLiveAndAuthenticated() {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode j = h.server.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}").json();
      assertThat(j.get("ok").asBoolean()).as(j.toString()).isTrue();
      assertThat(j.get("mode").asText()).isEqualTo("live");
    }
  }
}

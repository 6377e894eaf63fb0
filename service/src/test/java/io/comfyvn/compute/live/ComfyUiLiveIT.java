package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.fakes.Outcome;
import io.comfyvn.compute.support.Server.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The self-hosted ComfyUI provider against the fake ComfyUI, through the whole service. */
class ComfyUiLiveIT {
  private static final String CU = FakeProviders.COMFYUI;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path dir;

  /** A GET straight to the fake ComfyUI (what a user would see in ComfyUI itself). */
  private static HttpResponse<byte[]> fake(LiveHarness h, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(h.fakes.baseUrl() + "/comfyui" + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonNode fakeJson(LiveHarness h, String path) throws Exception {
    return Json.mapper().readTree(fake(h, path).body());
  }

  @Test
  void aPromptRunsToThePngComfyUiSavedWithProvenanceAndOneCreate() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit("comfyui", "castle at dusk");
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();
      assertThat(sub.get("mode").asText()).isEqualTo("live");
      assertThat(sub.get("provider").asText()).isEqualTo("comfyui");
      assertThat(sub.get("status").asText()).isEqualTo("queued");
      String promptId = sub.get("id").asText();
      String task = sub.get("task_id").asText();
      // ComfyUI queued the built-in graph with the task's seed
      JsonNode queued = fakeJson(h, "/queue").get("queue_pending").get(0);
      assertThat(queued.get(1).asText()).isEqualTo(promptId);
      assertThat(queued.get(2).at("/3/inputs/seed").asLong()).isEqualTo(7);
      assertThat(queued.get(2).at("/6/inputs/text").asText()).isEqualTo("castle at dusk");

      JsonNode done = h.await(task, LiveHarness.status("done"));

      assertThat(done.get("provider_status").asText()).isEqualTo("success");
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("url").asText()).contains("/comfyui/view?filename=comfyvn_");
      Path file = dir.resolve(a.get("path").asText());
      byte[] png = Files.readAllBytes(file);
      assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
      byte[] served =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create(a.get("url").asText())).build(),
                  HttpResponse.BodyHandlers.ofByteArray())
              .body();
      assertThat(png).isEqualTo(served);
      assertThat(a.get("sha256").asText())
          .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)));
      String prov = Files.readString(file.resolveSibling(file.getFileName() + ".prov.json"));
      assertThat(prov)
          .contains("\"provider\" : \"comfyui\"", "\"seed\" : 7", promptId)
          .contains(a.get("sha256").asText());
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void aFailedPromptIsAnErrorWithComfyUisException() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.forceNextOutcome(CU, Outcome.FAIL);
      String task = h.submit("comfyui", "x").get("task_id").asText();

      JsonNode j = h.await(task, LiveHarness.status("error"));

      assertThat(j.get("provider_status").asText()).isEqualTo("error");
      assertThat(j.get("artifacts")).isEmpty();
      JsonNode job = h.server.get("/jobs/status/" + task).json().get("job");
      assertThat(job.get("message").asText())
          .isEqualTo("Failed: KSampler (node 3): forced failure (fake ComfyUI)");
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void cancelWhileQueuedDeletesThePromptFromTheQueue() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit("comfyui", "x");
      String task = sub.get("task_id").asText();

      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();

      assertThat(c.get("canceled").asBoolean()).as(c.toString()).isTrue();
      assertThat(c.get("status").asText()).isEqualTo("canceled");
      // the box has the jobs API: one idempotent cancel, no queue edit, no interrupt
      assertThat(h.fakes.stats().count(CU, "job_cancel")).isEqualTo(1);
      assertThat(h.fakes.stats().count(CU, "cancel")).isZero();
      assertThat(h.fakes.stats().count(CU, "interrupt")).isZero();
      assertThat(fakeJson(h, "/queue").toString()).doesNotContain(sub.get("id").asText());
      h.clock.advance(Duration.ofSeconds(30));
      assertThat(h.poll(task).get("status").asText()).isEqualTo("canceled");
      assertThat(h.poll(task).get("provider_status").asText()).isEqualTo("interrupted");
    }
  }

  @Test
  void cancelWhileRunningInterruptsIt() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit("comfyui", "x");
      String task = sub.get("task_id").asText();
      String promptId = sub.get("id").asText();
      h.await(task, LiveHarness.status("running"));

      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();

      assertThat(c.get("canceled").asBoolean()).as(c.toString()).isTrue();
      assertThat(h.fakes.stats().count(CU, "job_cancel")).isEqualTo(1);
      assertThat(h.fakes.stats().count(CU, "interrupt")).isZero();
      // ComfyUI records the interrupted prompt in its history
      JsonNode entry = fakeJson(h, "/history/" + promptId).get(promptId);
      assertThat(entry.at("/status/status_str").asText()).isEqualTo("error");
      assertThat(entry.at("/status/messages").toString()).contains("execution_interrupted");
      h.clock.advance(Duration.ofSeconds(30));
      assertThat(h.poll(task).get("status").asText()).isEqualTo("canceled");
      assertThat(h.poll(task).get("artifacts")).isEmpty();
    }
  }

  @Test
  void restartMidJobStillFinishesWithOneCreate() {
    try (LiveHarness h = new LiveHarness(dir)) {
      String task = h.submit("unraid", "x").get("task_id").asText();
      h.restart();

      JsonNode done = h.await(task, LiveHarness.status("done"));

      assertThat(done.get("artifacts")).isNotEmpty();
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void aCreateWhoseAnswerIsLostIsFoundOnTheBoxByItsOwnPromptIdAndNotResent() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.dropAfterHandling(CU, "create", 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"comfyui\",\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      // the queue holds our prompt id: the job is accepted as the one already queued
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      String task = r.json().get("task_id").asText();
      assertThat(r.json().get("id").asText()).isNotBlank();
      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.get("logs").toString()).contains("was not queued again");
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void aCreateThatTimesOutAfterTheBoxQueuedItIsFoundNotResent() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // the box queues the prompt, then answers after the client's 700 ms read timeout
      h.fakes.inject(Fault.slow(CU, "create", Duration.ofMillis(1500), 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"comfyui\",\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      h.await(r.json().get("task_id").asText(), LiveHarness.status("done"));
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void theSameIdempotencyKeyCreatesOnePrompt() {
    try (LiveHarness h = new LiveHarness(dir)) {
      String body = "{\"provider\":\"comfyui\",\"seed\":3,\"job\":{\"input\":{\"prompt\":\"x\"}}}";
      Map<String, String> key = Map.of("Idempotency-Key", "scene-12-take-1");
      JsonNode first = h.server.post("/api/providers/gpu/submit", body, key).json();
      JsonNode again = h.server.post("/api/providers/gpu/submit", body, key).json();

      assertThat(again.get("task_id").asText()).isEqualTo(first.get("task_id").asText());
      assertThat(again.get("id").asText()).isEqualTo(first.get("id").asText());
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
    }
  }

  @Test
  void aGraphComfyUiCannotRunIsRejectedWithItsReason() {
    try (LiveHarness h = new LiveHarness(dir)) {
      Reply unknownNode =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"comfyui\",\"job\":{\"workflow\":{\"1\":{\"class_type\":"
                  + "\"NoSuchNode\",\"inputs\":{}},\"9\":{\"class_type\":\"SaveImage\","
                  + "\"inputs\":{\"images\":[\"1\",0]}}}}}");
      // the box's /object_info has no such class: refused before anything is queued
      assertThat(unknownNode.status()).as(unknownNode.body()).isEqualTo(422);
      assertThat(unknownNode.json().get("code").asText()).isEqualTo("missing_node");
      assertThat(unknownNode.json().get("missing").toString()).contains("NoSuchNode");
      String task = unknownNode.json().get("task_id").asText();
      assertThat(h.poll(task).get("status").asText()).isEqualTo("error");

      Reply unknownCheckpoint =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"comfyui\",\"config\":{\"checkpoint\":\"nope.safetensors\"},"
                  + "\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      assertThat(unknownCheckpoint.status()).as(unknownCheckpoint.body()).isEqualTo(422);
      assertThat(unknownCheckpoint.json().get("message").asText())
          .contains("Prompt outputs failed validation");
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);
      // one look before sending (is our prompt id already there? the jobs API answers it);
      // none after a refusal
      assertThat(h.fakes.stats().count(CU, "job")).isEqualTo(1);
      assertThat(h.fakes.stats().count(CU, "queue")).isZero();
    }
  }

  @Test
  void healthReportsTheBoxAndItsFreeVram() {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode j = h.server.post("/api/providers/gpu/health", "{\"provider\":\"local\"}").json();

      assertThat(j.get("ok").asBoolean()).as(j.toString()).isTrue();
      assertThat(j.get("mode").asText()).isEqualTo("live");
      assertThat(j.get("provider").asText()).isEqualTo("comfyui");
      assertThat(j.get("detail").asText())
          .matches("ComfyUI 0\\.3\\.66, NVIDIA GeForce RTX 4090 \\d+\\.\\d/24\\.0 GB free");
    }
  }
}

package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fake ComfyUI speaks ComfyUI's routes and shapes, on the fake clock. */
class FakeComfyUIIT {
  private static final String TXT2IMG =
      "{\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":42}},"
          + "\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"%s\"}},"
          + "\"5\":{\"class_type\":\"EmptyLatentImage\",\"inputs\":{\"batch_size\":2}},"
          + "\"6\":{\"class_type\":\"CLIPTextEncode\",\"inputs\":{\"text\":\"harbor\"}},"
          + "\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"filename_prefix\":\"vn\"}}}";

  private final FakeFixture f =
      new FakeFixture(
          FakeSettings.defaults().withJobTimes(Duration.ofSeconds(2), Duration.ofSeconds(5)));

  @AfterEach
  void close() {
    f.close();
  }

  private String queue(String graph) {
    HttpResponse<String> r =
        f.post("/comfyui/prompt", "{\"prompt\":" + graph + ",\"client_id\":\"c\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode j = f.json(r);
    assertThat(j.get("node_errors").isEmpty()).isTrue();
    assertThat(j.get("number").isInt()).isTrue();
    return j.get("prompt_id").asText();
  }

  private byte[] firstImage(String graph) {
    String id = queue(graph);
    f.clock.advance(Duration.ofSeconds(10));
    JsonNode image = f.json(f.get("/comfyui/history/" + id)).get(id).at("/outputs/9/images/0");
    return f.bytes(
        f.url(
            "/comfyui/view?filename="
                + image.get("filename").asText()
                + "&subfolder=&type=output"));
  }

  @Test
  void aPromptIsPendingThenRunningThenInTheHistoryWithItsImages() {
    String id = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    JsonNode q = f.json(f.get("/comfyui/queue"));
    assertThat(q.get("queue_pending").get(0).get(1).asText()).isEqualTo(id);
    assertThat(q.get("queue_running")).isEmpty();
    assertThat(f.get("/comfyui/history/" + id).body()).isEqualTo("{}");

    f.clock.advance(Duration.ofSeconds(3));
    assertThat(f.json(f.get("/comfyui/api/queue")).get("queue_running").get(0).get(1).asText())
        .isEqualTo(id);

    f.clock.advance(Duration.ofSeconds(5));
    JsonNode entry = f.json(f.get("/comfyui/history/" + id)).get(id);
    assertThat(entry.at("/status/status_str").asText()).isEqualTo("success");
    assertThat(entry.at("/status/completed").asBoolean()).isTrue();
    JsonNode images = entry.at("/outputs/9/images");
    // one file per save node, as the shared fake executor runs graphs
    assertThat(images).hasSize(1);
    assertThat(images.get(0).get("filename").asText()).matches("vn_\\d{5}_\\.png");
    assertThat(images.get(0).get("type").asText()).isEqualTo("output");
    byte[] png =
        f.bytes(
            f.url(
                "/comfyui/view?filename="
                    + images.get(0).get("filename").asText()
                    + "&subfolder=&type=output"));
    assertThat(png).startsWith(FakeFixture.PNG_SIGNATURE);
    // the same graph draws the same image; another seed another one
    assertThat(png).isEqualTo(firstImage(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors")));
    assertThat(png)
        .isNotEqualTo(
            firstImage(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors").replace("42", "43")));
    assertThat(f.get("/comfyui/view?filename=nope.png&type=output").statusCode()).isEqualTo(404);
  }

  @Test
  void theJobsApiFollowsAPromptFromPendingToCompletedAndCancelsIdempotently() {
    String id = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    JsonNode pending = f.json(f.get("/comfyui/api/jobs/" + id));
    assertThat(pending.get("status").asText()).isEqualTo("pending");
    assertThat(pending.get("outputs_count").asInt()).isZero();
    assertThat(pending.has("outputs")).isFalse();
    f.clock.advance(Duration.ofSeconds(3));
    assertThat(f.json(f.get("/comfyui/api/jobs/" + id)).get("status").asText())
        .isEqualTo("in_progress");
    JsonNode list = f.json(f.get("/comfyui/api/jobs?status=in_progress,pending&limit=5"));
    assertThat(list.at("/jobs/0/id").asText()).isEqualTo(id);
    assertThat(list.at("/pagination/total").asInt()).isEqualTo(1);
    assertThat(list.at("/pagination/has_more").asBoolean()).isFalse();
    f.clock.advance(Duration.ofSeconds(5));
    JsonNode done = f.json(f.get("/comfyui/api/jobs/" + id));
    assertThat(done.get("status").asText()).isEqualTo("completed");
    assertThat(done.get("outputs_count").asInt()).isEqualTo(1);
    assertThat(done.at("/outputs/9/images/0/filename").asText()).endsWith(".png");
    assertThat(done.at("/execution_status/status_str").asText()).isEqualTo("success");
    assertThat(done.at("/workflow/prompt/9/class_type").asText()).isEqualTo("SaveImage");
    assertThat(done.get("execution_end_time").asLong())
        .isGreaterThan(done.get("execution_start_time").asLong());
    assertThat(
            f.json(f.post("/comfyui/api/jobs/" + id + "/cancel", "{}"))
                .get("cancelled")
                .asBoolean())
        .isFalse();

    HttpResponse<String> unknown = f.get("/comfyui/api/jobs/no-such-prompt");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(f.json(unknown).get("error").asText()).isEqualTo("Job not found");
    assertThat(f.get("/comfyui/api/jobs?status=done").statusCode()).isEqualTo(400);

    String queued = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    assertThat(
            f.json(f.post("/comfyui/api/jobs/" + queued + "/cancel", "{}"))
                .get("cancelled")
                .asBoolean())
        .isTrue();
    assertThat(f.get("/comfyui/api/jobs/" + queued).statusCode()).isEqualTo(404);
    String running = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    f.clock.advance(Duration.ofSeconds(3));
    assertThat(
            f.json(f.post("/comfyui/api/jobs/" + running + "/cancel", "{}"))
                .get("cancelled")
                .asBoolean())
        .isTrue();
    JsonNode interrupted = f.json(f.get("/comfyui/api/jobs/" + running));
    assertThat(interrupted.get("status").asText()).isEqualTo("failed");
    assertThat(interrupted.at("/execution_status/messages").toString())
        .contains("execution_interrupted");
  }

  @Test
  void validationFailsLikeComfyUi() {
    HttpResponse<String> unknown =
        f.post("/comfyui/prompt", "{\"prompt\":{\"1\":{\"class_type\":\"Nope\",\"inputs\":{}}}}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(f.json(unknown).at("/error/message").asText())
        .isEqualTo("Cannot execute because node Nope does not exist.");
    assertThat(f.json(unknown).get("node_errors").isEmpty()).isTrue();

    HttpResponse<String> ckpt =
        f.post("/comfyui/prompt", "{\"prompt\":" + String.format(TXT2IMG, "x.ckpt") + "}");
    assertThat(ckpt.statusCode()).isEqualTo(400);
    JsonNode j = f.json(ckpt);
    assertThat(j.at("/error/type").asText()).isEqualTo("prompt_outputs_failed_validation");
    assertThat(j.at("/node_errors/4/errors/0/type").asText()).isEqualTo("value_not_in_list");
    assertThat(j.at("/node_errors/4/class_type").asText()).isEqualTo("CheckpointLoaderSimple");

    HttpResponse<String> noOutput =
        f.post(
            "/comfyui/prompt",
            "{\"prompt\":{\"1\":{\"class_type\":\"CLIPTextEncode\",\"inputs\":{}}}}");
    assertThat(f.json(noOutput).at("/error/type").asText()).isEqualTo("prompt_no_outputs");
    assertThat(f.fakes.stats().creates(FakeProviders.COMFYUI)).isEqualTo(3);
  }

  @Test
  void deleteDropsAQueuedPromptAndInterruptStopsOnlyTheNamedRunningOne() {
    String queued = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    f.post("/comfyui/queue", "{\"delete\":[\"" + queued + "\"]}");
    assertThat(f.get("/comfyui/queue").body()).doesNotContain(queued);
    assertThat(f.get("/comfyui/history/" + queued).body()).isEqualTo("{}");

    String a = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    String b = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    f.clock.advance(Duration.ofSeconds(3));
    f.post("/comfyui/interrupt", "{\"prompt_id\":\"" + a + "\"}");
    JsonNode entry = f.json(f.get("/comfyui/history/" + a)).get(a);
    assertThat(entry.at("/status/status_str").asText()).isEqualTo("error");
    assertThat(entry.at("/status/messages").toString()).contains("execution_interrupted");
    assertThat(f.json(f.get("/comfyui/queue")).get("queue_running").toString()).contains(b);
  }

  @Test
  void aForcedFailureIsAnExecutionErrorAndStatsReportVram() {
    f.fakes.forceNextOutcome(FakeProviders.COMFYUI, Outcome.FAIL);
    String id = queue(String.format(TXT2IMG, "sd_xl_base_1.0.safetensors"));
    f.clock.advance(Duration.ofSeconds(10));
    JsonNode entry = f.json(f.get("/comfyui/history/" + id)).get(id);
    assertThat(entry.at("/status/status_str").asText()).isEqualTo("error");
    assertThat(entry.at("/status/messages/1/0").asText()).isEqualTo("execution_error");
    assertThat(entry.at("/status/messages/1/1/exception_message").asText())
        .isEqualTo("forced failure (fake ComfyUI)");
    assertThat(entry.get("outputs").isEmpty()).isTrue();

    JsonNode stats = f.json(f.get("/comfyui/system_stats"));
    assertThat(stats.at("/system/comfyui_version").asText()).isEqualTo(FakeComfyUI.VERSION);
    assertThat(stats.at("/devices/0/name").asText()).contains("RTX 4090");
    assertThat(stats.at("/devices/0/vram_free").asLong())
        .isLessThan(stats.at("/devices/0/vram_total").asLong());
  }
}

package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.expected;
import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.request;
import static io.comfyvn.compute.support.WorkflowFixture.sdxlImg2Img;
import static io.comfyvn.compute.support.WorkflowFixture.sha256;
import static io.comfyvn.compute.support.WorkflowFixture.sketch;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.workflow.WorkflowJob;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Comfy API v2 provider ({@code comfy_cloud}) against the fake that follows its OpenAPI
 * document, through the whole service: an SDXL img2img workflow job with an input image end to end
 * (asset upload, graph pointing at it, progress, the PNG and its provenance), a missing model
 * refused before anything runs, 429 {@code queue_full} and 402 {@code insufficient_credits},
 * cancel, and a create whose answer is lost resent under the same {@code Idempotency-Key} and
 * replayed.
 */
class ComfyCloudLiveIT {
  private static final String CC = FakeProviders.COMFY_CLOUD;
  @TempDir Path dir;

  @Test
  void anImg2ImgWorkflowRunsEndToEndWithItsInputAsAnAssetProgressAndProvenance() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = request(CC, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode s = sub.json();
      assertThat(s.get("mode").asText()).isEqualTo("live");
      assertThat(s.get("id").asText()).startsWith("job_");
      String task = s.get("task_id").asText();
      // the input went up first, as an asset, and the create was sent once with a key
      assertThat(h.fakes.stats().count(CC, "upload")).isEqualTo(1);
      assertThat(h.fakes.stats().count(CC, "create")).isEqualTo(1);

      JsonNode running =
          h.await(task, j -> j.path("progress_detail").path("nodes_total").asInt() > 0);
      JsonNode pd = running.path("progress_detail");
      assertThat(pd.get("nodes_total").asInt()).isEqualTo(9);
      assertThat(pd.get("nodes_done").asInt()).isBetween(0, 9);

      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.path("provider_status").asText()).isEqualTo("succeeded");
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("name").asText()).isEqualTo("ComfyVN_00001_.png");
      Path file = dir.resolve(a.get("path").asText());
      byte[] out = Files.readAllBytes(file);
      assertThat(out).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
      BufferedImage image = ImageIO.read(file.toFile());
      assertThat(image.getWidth()).isEqualTo(1024); // the graph's ImageScale size
      assertThat(a.get("sha256").asText()).isEqualTo(sha256(out));

      WorkflowJob expected = expected(req);
      JsonNode prov = provenance(file);
      assertThat(prov.get("provider").asText()).isEqualTo("comfy_cloud");
      assertThat(prov.get("runner").asText()).isEqualTo("Comfy API v2");
      assertThat(prov.get("seed").asLong()).isEqualTo(42);
      assertThat(prov.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(prov.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
      assertThat(prov.get("provider_job_id").asText()).isEqualTo(s.get("id").asText());
      assertThat(h.fakes.comfyCloudJobs()).isEqualTo(1);
    }
  }

  @Test
  void theSameRequestSendsTheSameGraphSoTheSameImageComesBack() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      String[] shas = new String[2];
      for (int i = 0; i < 2; i++) {
        JsonNode s =
            h.server
                .post("/api/providers/gpu/submit", request(CC, sdxlImg2Img(), png).toString())
                .json();
        JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
        shas[i] = done.at("/artifacts/0/sha256").asText();
      }
      assertThat(shas[0]).isNotEmpty().isEqualTo(shas[1]);
    }
  }

  @Test
  void aModelTheDeploymentLacksIsRefusedByNameBeforeAnythingRuns() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      Reply r = h.server.post("/api/providers/gpu/submit", request(CC, wf, sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("code").asText()).isEqualTo("missing_model");
      assertThat(r.json().get("missing").toString())
          .contains("checkpoints/dreamshaper_8.safetensors");
      assertThat(r.json().get("node_id").asText()).isEqualTo("4");
      assertThat(r.json().get("message").asText()).contains("nothing billed");
      assertThat(h.fakes.comfyCloudJobs()).isZero();
    }
  }

  @Test
  void aNodeClassTheDeploymentLacksIsRefusedByName() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.get("12")).put("class_type", "ImageScaleFancy");
      Reply r = h.server.post("/api/providers/gpu/submit", request(CC, wf, sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("code").asText()).isEqualTo("missing_node");
      assertThat(r.json().get("missing").toString()).contains("ImageScaleFancy");
      assertThat(h.fakes.comfyCloudJobs()).isZero();
    }
  }

  @Test
  void aFullQueueIsQueueFullWithWhenToComeBack() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.tooManyRequests(CC, "create", 30, 10));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit", request(CC, sdxlImg2Img(), sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(503);
      assertThat(r.json().get("code").asText()).isEqualTo("queue_full");
      assertThat(r.json().get("retry_after_seconds").asLong()).isEqualTo(30);
      assertThat(r.json().get("retryable").asBoolean()).isTrue();
      assertThat(h.fakes.comfyCloudJobs()).isZero();
    }
  }

  @Test
  void tooFewCreditsIsInsufficientCredits() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(Fault.status(CC, "create", 402, 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit", request(CC, sdxlImg2Img(), sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(502);
      assertThat(r.json().get("code").asText()).isEqualTo("insufficient_credits");
      // a refusal is answered at once: not retried
      assertThat(h.fakes.stats().count(CC, "create")).isEqualTo(1);
    }
  }

  @Test
  void cancelWhileRunningEndsCanceled() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode s =
          h.server
              .post("/api/providers/gpu/submit", request(CC, sdxlImg2Img(), sketch()).toString())
              .json();
      String task = s.get("task_id").asText();
      h.await(task, LiveHarness.status("running"));
      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();
      assertThat(c.get("canceled").asBoolean()).as(c.toString()).isTrue();
      assertThat(c.get("status").asText()).isEqualTo("canceled");
      JsonNode after = h.poll(task);
      assertThat(after.get("status").asText()).isEqualTo("canceled");
      assertThat(after.get("artifacts")).isEmpty();
      assertThat(h.fakes.stats().count(CC, "cancel")).isEqualTo(1);
    }
  }

  @Test
  void aCreateWhoseAnswerIsLostIsResentUnderItsKeyAndReplayedNotRunTwice() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(new Fault(CC, "create", Fault.Kind.DROP_AFTER, 1, 0, null, null));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit", request(CC, sdxlImg2Img(), sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      // two creates reached the fake, one job exists: the second was a replay under the same key
      assertThat(h.fakes.stats().count(CC, "create")).isEqualTo(2);
      assertThat(h.fakes.comfyCloudJobs()).isEqualTo(1);
      JsonNode done = h.await(r.json().get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("logs").toString()).contains("replayed");
      assertThat(done.get("artifacts")).hasSize(1);
    }
  }
}

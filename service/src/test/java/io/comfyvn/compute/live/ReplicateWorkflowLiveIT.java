package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.expected;
import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.request;
import static io.comfyvn.compute.support.WorkflowFixture.sdxlImg2Img;
import static io.comfyvn.compute.support.WorkflowFixture.sha256;
import static io.comfyvn.compute.support.WorkflowFixture.sketch;
import static io.comfyvn.compute.support.WorkflowFixture.wanVideo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.ReceivedGraph;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.workflow.WorkflowJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicate with a cog-comfyui model, through the whole service against the fake that runs a fake
 * cog-comfyui: an SDXL img2img workflow with an input image end to end (workflow_json, the input
 * zipped in input_file, the PNG back with provenance, the same bytes as on RunPod), a video
 * workflow's WebP and MP4, an input over the data-URL limit uploaded through {@code POST /files}
 * first, and a missing model and a missing node reported by name.
 */
class ReplicateWorkflowLiveIT {
  private static final String R = FakeProviders.REPLICATE;
  @TempDir Path dir;

  @Test
  void anImg2ImgWorkflowRunsEndToEndAndGivesTheSameImageAsRunpod() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = request(R, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      String task = sub.json().get("task_id").asText();
      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.get("provider_status").asText()).isEqualTo("succeeded");
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("name").asText()).isEqualTo("ComfyVN_00001_.png");
      Path file = dir.resolve(a.get("path").asText());
      assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);
      WorkflowJob expected = expected(req);
      // the fake cog-comfyui's ComfyUI recorded what it was queued: our graph, byte for byte, and
      // the image
      List<ReceivedGraph> received = h.fakes.receivedGraphs(R);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).sha256()).isEqualTo(expected.graph().sha256());
      assertThat(received.get(0).inputs()).containsEntry("castle_sketch.png", sha256(png));
      JsonNode p = provenance(file);
      assertThat(p.get("runner").asText()).isEqualTo("cog-comfyui on Replicate");
      assertThat(p.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(p.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
      // one input, sent in the create as a data URL: no upload
      assertThat(h.fakes.stats().count(R, "file_create")).isZero();
      assertThat(h.fakes.stats().creates(R)).isEqualTo(1);

      JsonNode rp =
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  request(FakeProviders.RUNPOD, sdxlImg2Img(), png).toString())
              .json();
      JsonNode rpDone = h.await(rp.get("task_id").asText(), LiveHarness.status("done"));
      assertThat(rpDone.at("/artifacts/0/sha256").asText()).isEqualTo(a.get("sha256").asText());
    }
  }

  @Test
  void aVideoWorkflowReturnsItsWebpAndMp4() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode s =
          h.server
              .post("/api/providers/gpu/submit", request(R, wanVideo(), null).toString())
              .json();
      JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
      JsonNode arts = done.get("artifacts");
      assertThat(arts).as(done.toString()).hasSize(2);
      assertThat(arts.get(0).get("mime").asText()).isEqualTo("image/webp");
      assertThat(arts.get(1).get("mime").asText()).isEqualTo("video/mp4");
      assertThat(done.get("progress").asDouble()).isEqualTo(1.0);
    }
  }

  @Test
  void anInputOverTheDataUrlLimitIsUploadedFirstThenRuns() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      BufferedImage noise = new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB);
      Random rnd = new Random(3);
      for (int x = 0; x < 400; x++) {
        for (int y = 0; y < 300; y++) {
          noise.setRGB(x, y, rnd.nextInt(0xffffff));
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(noise, "png", out);
      assertThat(out.size()).isGreaterThan(256 * 1024);
      JsonNode s =
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  request(R, sdxlImg2Img(), out.toByteArray()).toString())
              .json();
      assertThat(h.fakes.stats().count(R, "file_create")).isEqualTo(1);
      JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      assertThat(h.fakes.stats().creates(R)).isEqualTo(1);
    }
  }

  @Test
  void weightsTheModelLacksAreAMissingModelByNameAndFolder() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      JsonNode s =
          h.server.post("/api/providers/gpu/submit", request(R, wf, sketch()).toString()).json();
      JsonNode failed = h.await(s.get("task_id").asText(), LiveHarness.status("error"));
      JsonNode meta =
          h.server.get("/jobs/status/" + s.get("task_id").asText()).json().at("/job/meta");
      JsonNode f = meta.path("failure");
      assertThat(f.path("code").asText()).as(meta.toString()).isEqualTo("missing_model");
      assertThat(f.path("node_id").asText()).isEqualTo("4");
      assertThat(f.path("missing").toString()).contains("checkpoints/dreamshaper_8.safetensors");
      assertThat(failed.toString())
          .contains("the model lacks checkpoints/dreamshaper_8.safetensors");
    }
  }

  @Test
  void aNodeClassTheModelLacksIsAMissingNodeByName() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.get("12")).put("class_type", "ImageScaleFancy");
      JsonNode s =
          h.server.post("/api/providers/gpu/submit", request(R, wf, sketch()).toString()).json();
      h.await(s.get("task_id").asText(), LiveHarness.status("error"));
      JsonNode meta =
          h.server.get("/jobs/status/" + s.get("task_id").asText()).json().at("/job/meta");
      JsonNode f = meta.path("failure");
      assertThat(f.path("code").asText()).as(meta.toString()).isEqualTo("missing_node");
      assertThat(f.path("node_id").asText()).isEqualTo("12");
      assertThat(f.path("missing").toString()).contains("ImageScaleFancy");
    }
  }

  @Test
  void theCogModelByVersionRunsTheSameWorkflow() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      String version =
          "fofr/any-comfyui-workflow:"
              + sha256(
                  "fofr/any-comfyui-workflow".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      h.reconfigure(
          c -> {
            ObjectNode r = (ObjectNode) c.at("/providers_gpu/replicate");
            r.remove("model");
            r.put("version", version);
          });
      JsonNode s =
          h.server
              .post("/api/providers/gpu/submit", request(R, sdxlImg2Img(), sketch()).toString())
              .json();
      JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      assertThat(Files.exists(dir.resolve(done.at("/artifacts/0/path").asText()))).isTrue();
    }
  }
}

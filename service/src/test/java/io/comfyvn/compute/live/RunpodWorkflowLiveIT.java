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
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.ReceivedGraph;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.workflow.WorkflowJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RunPod serverless with worker-comfyui, through the whole service against the fake endpoint that
 * runs a fake worker-comfyui: an SDXL img2img workflow with an input image end to end (the graph
 * and the image in {@code input}, the PNG and its provenance), a video workflow's animated WebP and
 * MP4, outputs as {@code s3_url}s from a worker with a bucket, a missing model and a missing node
 * reported by name from the handler's error text, and a workflow the handler returns nothing of
 * refused before sending.
 */
class RunpodWorkflowLiveIT {
  private static final String RP = FakeProviders.RUNPOD;
  @TempDir Path dir;

  @Test
  void anImg2ImgWorkflowRunsEndToEndWithItsInputImageAndProvenance() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = request(RP, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode s = sub.json();
      assertThat(s.get("mode").asText()).isEqualTo("live");
      String task = s.get("task_id").asText();
      assertThat(h.fakes.stats().creates(RP)).isEqualTo(1);

      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.path("provider_status").asText()).isEqualTo("COMPLETED");
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("name").asText()).isEqualTo("ComfyVN_00001_.png");
      Path file = dir.resolve(a.get("path").asText());
      byte[] out = Files.readAllBytes(file);
      assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024); // ImageScale's size
      assertThat(a.get("sha256").asText()).isEqualTo(sha256(out));

      WorkflowJob expected = expected(req);
      // the fake worker-comfyui's ComfyUI recorded what it was queued: our graph, byte for byte,
      // and the image
      List<ReceivedGraph> received = h.fakes.receivedGraphs(RP);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).sha256()).isEqualTo(expected.graph().sha256());
      assertThat(received.get(0).inputs()).containsEntry("castle_sketch.png", sha256(png));
      JsonNode prov = provenance(file);
      assertThat(prov.get("provider").asText()).isEqualTo("runpod");
      assertThat(prov.get("runner").asText()).isEqualTo("worker-comfyui on RunPod serverless");
      assertThat(prov.get("seed").asLong()).isEqualTo(42);
      assertThat(prov.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(prov.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
      assertThat(prov.get("provider_job_id").asText()).isEqualTo(s.get("id").asText());
    }
  }

  @Test
  void theSameRequestSendsTheSameGraphSoTheSameImageComesBack() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      String[] shas = new String[2];
      for (int i = 0; i < shas.length; i++) {
        ObjectNode req = request(RP, sdxlImg2Img(), png);
        JsonNode s = h.server.post("/api/providers/gpu/submit", req.toString()).json();
        JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
        shas[i] = done.at("/artifacts/0/sha256").asText();
      }
      assertThat(shas[0]).isNotEmpty().isEqualTo(shas[1]);
    }
  }

  @Test
  void aVideoWorkflowReturnsItsAnimatedWebpAndItsMp4() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode req = request(RP, wanVideo(), null);
      JsonNode s = h.server.post("/api/providers/gpu/submit", req.toString()).json();
      JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
      JsonNode arts = done.get("artifacts");
      assertThat(arts).as(done.toString()).hasSize(2);
      assertThat(arts.get(0).get("name").asText()).endsWith(".webp");
      assertThat(arts.get(0).get("mime").asText()).isEqualTo("image/webp");
      assertThat(arts.get(1).get("name").asText()).endsWith(".mp4");
      assertThat(arts.get(1).get("mime").asText()).isEqualTo("video/mp4");
      for (JsonNode a : arts) {
        Path file = dir.resolve(a.get("path").asText());
        assertThat(provenance(file).get("runner").asText()).startsWith("worker-comfyui");
      }
    }
  }

  @Test
  void aWorkerWithABucketReturnsS3UrlsThatAreDownloaded() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.reconfigure(
          c ->
              ((ObjectNode) c.at("/providers_gpu/runpod"))
                  .put("endpoint_id", "fake-worker-comfyui-s3"));
      ObjectNode req = request(RP, sdxlImg2Img(), sketch());
      JsonNode s = h.server.post("/api/providers/gpu/submit", req.toString()).json();
      JsonNode done = h.await(s.get("task_id").asText(), LiveHarness.status("done"));
      JsonNode a = done.at("/artifacts/0");
      assertThat(a.get("name").asText()).as(done.toString()).isEqualTo("ComfyVN_00001_.png");
      assertThat(a.get("url").asText()).contains("/runpod/s3/");
      byte[] out = Files.readAllBytes(dir.resolve(a.get("path").asText()));
      assertThat(out).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
  }

  @Test
  void aModelTheWorkerLacksIsReportedByNameAndFolder() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      JsonNode s =
          h.server.post("/api/providers/gpu/submit", request(RP, wf, sketch()).toString()).json();
      JsonNode failed = h.await(s.get("task_id").asText(), LiveHarness.status("error"));
      assertThat(failed.get("provider_status").asText()).isEqualTo("FAILED");
      // the poll answer says error; the task's meta carries the typed failure (the page shows it)
      JsonNode meta =
          h.server.get("/jobs/status/" + failed.get("task_id").asText()).json().at("/job/meta");
      JsonNode f = meta.path("failure");
      assertThat(f.path("code").asText()).as(meta.toString()).isEqualTo("missing_model");
      assertThat(f.path("node_id").asText()).isEqualTo("4");
      assertThat(f.path("missing").toString()).contains("checkpoints/dreamshaper_8.safetensors");
      assertThat(meta.path("error").asText())
          .startsWith("the worker lacks checkpoints/dreamshaper_8.safetensors (node 4");
    }
  }

  @Test
  void aNodeClassTheWorkerLacksIsReportedByName() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.get("12")).put("class_type", "ImageScaleFancy");
      JsonNode s =
          h.server.post("/api/providers/gpu/submit", request(RP, wf, sketch()).toString()).json();
      JsonNode failed = h.await(s.get("task_id").asText(), LiveHarness.status("error"));
      // the poll answer says error; the task's meta carries the typed failure (the page shows it)
      JsonNode meta =
          h.server.get("/jobs/status/" + failed.get("task_id").asText()).json().at("/job/meta");
      JsonNode f = meta.path("failure");
      assertThat(f.path("code").asText()).as(meta.toString()).isEqualTo("missing_node");
      assertThat(f.path("node_id").asText()).isEqualTo("12");
      assertThat(f.path("missing").toString()).contains("ImageScaleFancy");
    }
  }

  @Test
  void aWorkflowWithOnlyAudioOutputIsRefusedBeforeAnythingIsSent() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf =
          (ObjectNode)
              Json.mapper()
                  .readTree(
                      "{\"1\":{\"class_type\":\"EmptyLatentAudio\",\"inputs\":{\"seconds\":5}},"
                          + "\"2\":{\"class_type\":\"SaveAudio\",\"inputs\":{\"audio\":[\"1\",0],"
                          + "\"filename_prefix\":\"a\"}}}");
      Reply r = h.server.post("/api/providers/gpu/submit", request(RP, wf, null).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("code").asText()).isEqualTo("unsupported_output");
      assertThat(r.json().get("message").asText()).contains("SaveAudio #2");
      assertThat(h.fakes.stats().creates(RP)).isZero();
    }
  }
}

package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.expected;
import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.requestBase64;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face with a custom-container Inference Endpoint running ComfyUI behind the handler
 * contract of docs/hf_comfyui_container.md, against the fake that speaks it, through the whole
 * service: an img2img workflow with its input image end to end (the graph and file in the envelope,
 * the PNG inline, provenance), a video workflow, and a model or node class the container lacks
 * named in the task's failure.
 */
class HuggingFaceWorkflowLiveIT {
  private static final String HF = FakeProviders.HUGGINGFACE;
  @TempDir Path dir;

  @Test
  void anImg2ImgWorkflowRunsInTheComfyUiContainerWithProvenance() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = requestBase64(HF, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      assertThat(sub.json().get("id").asText()).startsWith("hfie-");
      JsonNode done = h.await(sub.json().get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("name").asText()).isEqualTo("ComfyVN_00001_.png");
      Path file = dir.resolve(a.get("path").asText());
      assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);
      assertThat(a.get("sha256").asText()).isEqualTo(sha256(Files.readAllBytes(file)));

      WorkflowJob expected = expected(req);
      List<ReceivedGraph> received = h.fakes.receivedGraphs(HF);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).sha256()).isEqualTo(expected.graph().sha256());
      assertThat(received.get(0).inputs()).containsEntry("castle_sketch.png", sha256(png));
      assertThat(h.fakes.stats().count(HF, "inference")).isEqualTo(1);

      JsonNode prov = provenance(file);
      assertThat(prov.get("runner").asText())
          .isEqualTo("HF Inference Endpoint (ComfyUI container)");
      assertThat(prov.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(prov.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
    }
  }

  @Test
  void aVideoWorkflowReturnsItsVideos() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      Reply sub =
          h.server.post(
              "/api/providers/gpu/submit", requestBase64(HF, wanVideo(), null).toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode done = h.await(sub.json().get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("artifacts").findValuesAsText("mime"))
          .as(done.toString())
          .containsExactlyInAnyOrder("image/webp", "video/mp4");
    }
  }

  @Test
  void aModelOrNodeTheContainerLacksIsNamedInTheFailure() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      Reply sub =
          h.server.post("/api/providers/gpu/submit", requestBase64(HF, wf, sketch()).toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode failed = h.await(sub.json().get("task_id").asText(), LiveHarness.status("error"));
      assertThat(failed.at("/failure/code").asText())
          .as(failed.toString())
          .isEqualTo("missing_model");
      assertThat(failed.at("/failure/node_id").asText()).isEqualTo("4");
      assertThat(failed.at("/failure/missing").toString())
          .contains("checkpoints/dreamshaper_8.safetensors");
      // the poll answer's error is {code, message}
      assertThat(failed.at("/error/code").asText()).isEqualTo("missing_model");

      ObjectNode wf2 = sdxlImg2Img();
      ((ObjectNode) wf2.get("12")).put("class_type", "ImageScaleFancy");
      JsonNode s2 =
          h.server
              .post("/api/providers/gpu/submit", requestBase64(HF, wf2, sketch()).toString())
              .json();
      JsonNode failed2 = h.await(s2.get("task_id").asText(), LiveHarness.status("error"));
      assertThat(failed2.at("/failure/code").asText()).isEqualTo("missing_node");
      assertThat(failed2.at("/failure/missing").toString()).contains("ImageScaleFancy");
    }
  }
}

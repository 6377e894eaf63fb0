package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.assertStoredWithSidecars;
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
import io.comfyvn.compute.fakes.Fault;
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
 * Modal's ComfyUI app (docs/modal_sample_app.py, docs/modal_web_endpoint_contract.md) against the
 * fake that speaks the same contract, through the whole service: a workflow job with an input image
 * end to end (the graph and its file in the function's input, queued then running node by node, the
 * PNG fetched through the proxy and its provenance), a video workflow, a model the app lacks named
 * in the failure, cancel, and a create whose answer is lost found again by its client request id
 * instead of being spawned twice.
 */
class ModalWorkflowLiveIT {
  private static final String MODAL = FakeProviders.MODAL;
  @TempDir Path dir;

  @Test
  void anImg2ImgWorkflowRunsEndToEndWithProgressAndProvenance() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = request(MODAL, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode s = sub.json();
      assertThat(s.get("mode").asText()).isEqualTo("live");
      assertThat(s.get("id").asText()).startsWith("fc-");
      String task = s.get("task_id").asText();
      assertThat(h.fakes.stats().count(MODAL, "create")).isEqualTo(1);

      // the app said "not started" first: queued, not running
      assertThat(h.poll(task).get("status").asText()).isIn("queued", "running");
      JsonNode running =
          h.await(task, j -> j.path("progress_detail").path("nodes_total").asInt() > 0);
      assertThat(running.get("status").asText()).isEqualTo("running");
      assertThat(running.at("/progress_detail/nodes_total").asInt()).isEqualTo(9);

      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.path("provider_status").asText()).isEqualTo("SUCCESS");
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      JsonNode a = done.get("artifacts").get(0);
      assertThat(a.get("name").asText()).isEqualTo("ComfyVN_00001_.png");
      assertThat(a.get("mime").asText()).isEqualTo("image/png");
      Path file = dir.resolve(a.get("path").asText());
      byte[] out = Files.readAllBytes(file);
      assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);
      assertThat(a.get("sha256").asText()).isEqualTo(sha256(out));
      // the file sits behind the proxy: the client fetched it with the tokens
      assertThat(h.fakes.stats().count(MODAL, "file")).isEqualTo(1);

      WorkflowJob expected = expected(req);
      List<ReceivedGraph> received = h.fakes.receivedGraphs(MODAL);
      assertThat(received).hasSize(1);
      assertThat(received.get(0).sha256()).isEqualTo(expected.graph().sha256());
      assertThat(received.get(0).inputs()).containsEntry("castle_sketch.png", sha256(png));

      JsonNode prov = provenance(file);
      assertThat(prov.get("provider").asText()).isEqualTo("modal");
      assertThat(prov.get("runner").asText()).isEqualTo("Modal ComfyUI app");
      assertThat(prov.get("seed").asLong()).isEqualTo(42);
      assertThat(prov.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(prov.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
    }
  }

  @Test
  void aVideoWorkflowReturnsItsVideosWithSidecars() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      Reply sub =
          h.server.post("/api/providers/gpu/submit", request(MODAL, wanVideo(), null).toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode done = h.await(sub.json().get("task_id").asText(), LiveHarness.status("done"));
      assertStoredWithSidecars(done, dir, "image/webp", "video/mp4");
    }
  }

  @Test
  void aModelTheAppLacksIsNamedInTheFailure() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      Reply sub =
          h.server.post("/api/providers/gpu/submit", request(MODAL, wf, sketch()).toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode failed = h.await(sub.json().get("task_id").asText(), LiveHarness.status("error"));
      assertThat(failed.path("provider_status").asText()).isEqualTo("FAILURE");
      assertThat(failed.at("/failure/code").asText())
          .as(failed.toString())
          .isEqualTo("missing_model");
      assertThat(failed.at("/failure/node_id").asText()).isEqualTo("4");
      assertThat(failed.at("/failure/missing").toString())
          .contains("checkpoints/dreamshaper_8.safetensors");
      assertThat(failed.get("artifacts")).isEmpty();
    }
  }

  @Test
  void cancelWhileRunningEndsCanceled() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode s =
          h.server
              .post("/api/providers/gpu/submit", request(MODAL, sdxlImg2Img(), sketch()).toString())
              .json();
      String task = s.get("task_id").asText();
      h.await(task, LiveHarness.status("running"));
      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();
      assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("canceled");
      assertThat(h.poll(task).get("artifacts")).isEmpty();
      assertThat(h.fakes.stats().count(MODAL, "cancel")).isEqualTo(1);
    }
  }

  @Test
  void aCreateWhoseAnswerIsLostIsFoundByItsClientRequestIdNotSpawnedTwice() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.inject(new Fault(MODAL, "create", Fault.Kind.DROP_AFTER, 1, 0, null, null));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit", request(MODAL, sdxlImg2Img(), sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("id").asText()).startsWith("fc-");
      // one call spawned; the lost answer was made good by the lookup, not by a second spawn
      assertThat(h.fakes.receivedGraphs(MODAL)).hasSize(1);
      assertThat(h.fakes.stats().count(MODAL, "lookup")).isPositive();
      JsonNode done = h.await(r.json().get("task_id").asText(), LiveHarness.status("done"));
      assertThat(done.get("logs").toString()).contains("not spawned again");
      assertThat(done.get("artifacts")).hasSize(1);
    }
  }
}

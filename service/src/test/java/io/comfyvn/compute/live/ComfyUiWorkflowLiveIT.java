package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.assertStoredWithSidecars;
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
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workflow jobs on self-hosted ComfyUI through its native API, against the fake box: inputs
 * uploaded with {@code /upload/image}, the graph queued under our own {@code prompt_id} with the
 * request's seeds written in, progress from {@code /ws}, outputs of every kind with provenance, and
 * what the box lacks refused from {@code /object_info} and {@code /models} before anything is
 * queued.
 */
class ComfyUiWorkflowLiveIT {
  private static final String CU = FakeProviders.COMFYUI;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path dir;

  private static JsonNode fakeJson(LiveHarness h, String path) throws Exception {
    return Json.mapper()
        .readTree(
            HTTP.send(
                    HttpRequest.newBuilder(URI.create(h.fakes.baseUrl() + "/comfyui" + path))
                        .build(),
                    HttpResponse.BodyHandlers.ofByteArray())
                .body());
  }

  @Test
  void anImg2ImgWorkflowRunsWithItsUploadedInputOurPromptIdSeedsProgressAndProvenance()
      throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      ObjectNode req = requestBase64(CU, sdxlImg2Img(), png);
      Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      String promptId = sub.json().get("id").asText();
      String task = sub.json().get("task_id").asText();
      assertThat(h.fakes.stats().count(CU, "object_info")).isEqualTo(1);
      assertThat(h.fakes.stats().count(CU, "models")).isEqualTo(1); // one folder: checkpoints
      assertThat(h.fakes.stats().count(CU, "upload")).isEqualTo(1);
      assertThat(h.fakes.stats().creates(CU)).isEqualTo(1);

      // the box queued our prompt id, the seed the request asked for and the uploaded file
      JsonNode queued = fakeJson(h, "/queue").get("queue_pending").get(0);
      assertThat(queued.get(1).asText()).isEqualTo(promptId);
      assertThat(queued.get(2).at("/3/inputs/seed").asLong())
          .isEqualTo(WorkflowJobs.deriveSeed(42, "3", "seed"));
      assertThat(queued.get(2).at("/10/inputs/image").asText())
          .startsWith("comfyvn/" + sha256(png).substring(0, 16) + "/")
          .endsWith("/castle_sketch.png");
      assertThat(queued.get(3).get("client_id").asText()).isEqualTo("comfyvn-compute");

      JsonNode running =
          h.await(task, j -> j.path("progress_detail").path("nodes_done").asInt() > 0);
      JsonNode pd = running.get("progress_detail");
      assertThat(pd.get("nodes_total").asInt()).isEqualTo(9);
      assertThat(pd.get("nodes_done").asInt()).isBetween(1, 9);

      JsonNode done = h.await(task, LiveHarness.status("done"));
      assertThat(done.get("artifacts")).as(done.toString()).hasSize(1);
      // done reads complete, never the socket's last place before the end
      assertThat(done.at("/progress_detail/nodes_done").asInt()).as(done.toString()).isEqualTo(9);
      assertThat(done.at("/progress_detail/nodes_total").asInt()).isEqualTo(9);
      assertThat(done.path("progress_detail").has("node_id")).isFalse();
      Path file = dir.resolve(done.at("/artifacts/0/path").asText());
      assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);
      WorkflowJob expected = expected(req);
      JsonNode prov = provenance(file);
      assertThat(prov.get("runner").asText()).isEqualTo("ComfyUI native API");
      assertThat(prov.get("workflow_hash").asText()).isEqualTo(expected.graph().sha256());
      assertThat(prov.at("/inputs/castle_sketch.png/sha256").asText()).isEqualTo(sha256(png));
      assertThat(prov.get("seed").asLong()).isEqualTo(42);
      assertThat(prov.get("provider_job_id").asText()).isEqualTo(promptId);

      // the finished task's log, as the page's task detail reads it: submit, progress, outputs,
      // done (ComfyUI reports no log lines of its own: these are the service's)
      Reply log = h.server.get("/jobs/logs/" + task);
      assertThat(log.status()).as(log.body()).isEqualTo(200);
      assertThat(log.body().lines().toList())
          .as(log.body())
          .startsWith("Submitted to Self-hosted ComfyUI as job " + promptId)
          .anyMatch(l -> l.startsWith("Progress: node "))
          .endsWith("Outputs: 1 stored (" + done.at("/artifacts/0/name").asText() + ")", "Done");
      assertThat(log.body())
          .doesNotContain(h.fakes.credentials().comfyCloudApiKey())
          .doesNotContain(h.fakes.credentials().runpodApiKey());
      Reply unknown = h.server.get("/jobs/logs/" + task + "x");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.json().get("ok").asBoolean(true)).isFalse();
      assertThat(unknown.json().get("code").asText()).isEqualTo("unknown_job");
    }
  }

  @Test
  void aVideoWorkflowReturnsItsVideosWithSidecars() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      Reply sub =
          h.server.post(
              "/api/providers/gpu/submit", requestBase64(CU, wanVideo(), null).toString());
      assertThat(sub.status()).as(sub.body()).isEqualTo(200);
      JsonNode done = h.await(sub.json().get("task_id").asText(), LiveHarness.status("done"));
      assertStoredWithSidecars(done, dir, "image/webp", "video/mp4");
    }
  }

  @Test
  void aModelTheBoxLacksIsRefusedByNameBeforeAnythingIsQueued() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      Reply r =
          h.server.post("/api/providers/gpu/submit", requestBase64(CU, wf, sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("code").asText()).isEqualTo("missing_model");
      assertThat(r.json().get("missing").toString())
          .contains("checkpoints/dreamshaper_8.safetensors");
      assertThat(r.json().get("node_id").asText()).isEqualTo("4");
      assertThat(h.fakes.stats().creates(CU)).isZero();
      assertThat(h.fakes.stats().count(CU, "upload")).isZero();
    }
  }

  @Test
  void aNodeClassTheBoxLacksIsRefusedByName() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.get("12")).put("class_type", "ImageScaleFancy");
      Reply r =
          h.server.post("/api/providers/gpu/submit", requestBase64(CU, wf, sketch()).toString());
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("code").asText()).isEqualTo("missing_node");
      assertThat(r.json().get("missing").toString()).contains("ImageScaleFancy");
      assertThat(r.json().get("node_id").asText()).isEqualTo("12");
      assertThat(h.fakes.stats().creates(CU)).isZero();
    }
  }

  @Test
  void theSameRequestTwiceGivesTheSameBytes() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      byte[] png = sketch();
      String[] shas = new String[2];
      for (int i = 0; i < 2; i++) {
        JsonNode s =
            h.server
                .post("/api/providers/gpu/submit", requestBase64(CU, sdxlImg2Img(), png).toString())
                .json();
        shas[i] =
            h.await(s.get("task_id").asText(), LiveHarness.status("done"))
                .at("/artifacts/0/sha256")
                .asText();
      }
      assertThat(shas[0]).isNotEmpty().isEqualTo(shas[1]);
    }
  }
}

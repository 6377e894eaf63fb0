package io.comfyvn.compute.gpu.comfycloud;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.LiveJob;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.InputSource;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.MediaKind;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Comfy API v2 client against scripted answers in the OpenAPI document's shapes. */
class ComfyCloudClientTest {
  private static final String BASE = "http://127.0.0.1:9/comfycloud";
  private static final String SETTINGS = "{\"base_url\":\"" + BASE + "\"}";
  private static final String KEY = "comfyui-unit-key-0123456789";
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};

  private static final String GRAPH =
      "{\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"a.safetensors\"}},"
          + "\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
          + "\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":1,\"model\":[\"4\",0],"
          + "\"latent_image\":[\"10\",0]}},"
          + "\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"3\",0]}}}";

  private final ScriptedTransport transport = new ScriptedTransport();

  private ComfyCloudClient client() {
    return new ComfyCloudClient(
        LiveContexts.of(
            new ComfyCloudProvider(), transport, SETTINGS, ComfyCloudClient.TOKEN, KEY));
  }

  private static LiveJob job() throws Exception {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.set("workflow", LiveContexts.MAPPER.readTree(GRAPH));
    j.putObject("inputs").put("in.png", "iVBORw0KGgoAAA==");
    var wf = WorkflowJobs.read(j, 5, Limits.DEFAULT).orElseThrow();
    InputFile f =
        new InputFile(
            "in.png",
            MediaKind.IMAGE,
            "image/png",
            PNG,
            "ab".repeat(32),
            InputSource.Origin.BASE64);
    return new LiveJob(
        "task-1", j, 5, LiveContexts.settings(SETTINGS), null, new WorkflowRun(wf, List.of(f)));
  }

  private static String jobJson(String status, String extra) {
    return "{\"id\":\"job_1\",\"status\":\""
        + status
        + "\",\"outputs\":[],\"error\":null,\"progress\":null,\"urls\":{}"
        + extra
        + "}";
  }

  @Test
  void uploadsTheInputThenPointsTheLoaderAtTheAssetAndSendsAKeyedCreate() throws Exception {
    transport.reply(201, "{\"id\":\"asset_A\",\"hash\":null}").reply(201, jobJson("queued", ""));
    var s = client().submit(job());
    assertThat(s.providerJobId()).isEqualTo("job_1");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    var upload = transport.calls().get(0);
    assertThat(upload.uri().getPath()).isEqualTo("/comfycloud/api/v2/assets");
    assertThat(upload.headers().get("Content-Type")).startsWith("multipart/form-data; boundary=");
    String form = new String(upload.body(), StandardCharsets.ISO_8859_1);
    assertThat(form)
        .contains("name=\"file\"; filename=\"in.png\"", "name=\"file_path\"\r\n\r\nin.png")
        .contains("name=\"tags\"\r\n\r\ninput");
    var create = transport.calls().get(1);
    assertThat(create.headers())
        .containsEntry("Authorization", "Bearer " + KEY)
        .containsEntry(ProviderHttp.IDEMPOTENCY_KEY, ComfyCloudClient.idempotencyKey("task-1"));
    JsonNode sent = LiveContexts.MAPPER.readTree(body(create)).get("workflow");
    assertThat(sent.at("/10/inputs/image/__type").asText()).isEqualTo("core/ASSET");
    assertThat(sent.at("/10/inputs/image/info/id").asText()).isEqualTo("asset_A");
    assertThat(sent.at("/3/inputs/seed").asLong())
        .isEqualTo(WorkflowJobs.deriveSeed(5, "3", "seed"));
  }

  @Test
  void theKeyIsStablePerTaskAndDiffersAcrossTasks() {
    assertThat(ComfyCloudClient.idempotencyKey("t"))
        .isEqualTo(ComfyCloudClient.idempotencyKey("t"))
        .isNotEqualTo(ComfyCloudClient.idempotencyKey("u"));
  }

  @ParameterizedTest(name = "node_errors shape {index}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"4\":[{\"field\":\"ckpt_name\",\"reason\":\"value_not_in_list\"}]}",
        "{\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"errors\":[{\"type\":\"value_not_in_list\","
            + "\"message\":\"Value not in list\",\"extra_info\":{\"input_name\":\"ckpt_name\","
            + "\"received_value\":\"a.safetensors\"}}]}}"
      })
  void aLoaderValueNotInTheListIsAMissingModelNamedWithItsFolder(String nodeErrors)
      throws Exception {
    transport
        .reply(201, "{\"id\":\"asset_A\"}")
        .reply(
            422,
            "{\"error\":{\"code\":\"invalid_workflow\",\"message\":\"bad\",\"details\":{\"node_errors\":"
                + nodeErrors
                + "}}}");
    assertThatThrownBy(() -> client().submit(job()))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("missing_model");
              assertThat(e.sent()).isEqualTo(Sent.REFUSED);
              assertThat(e.details().get("missing"))
                  .isEqualTo(List.of("checkpoints/a.safetensors"));
              assertThat(e.details().get("node_id")).isEqualTo("4");
            });
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "402,insufficient_credits,insufficient_credits",
    "422,missing_asset,missing_asset",
    "422,idempotency_key_reuse,idempotency_key_reuse",
    "422,invalid_workflow,provider_rejected"
  })
  void refusalsKeepTheirCodes(int status, String code, String ours) throws Exception {
    transport
        .reply(201, "{\"id\":\"asset_A\"}")
        .reply(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"m " + KEY + "\"}}");
    assertThatThrownBy(() -> client().submit(job()))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ours);
              assertThat(e.getMessage()).doesNotContain(KEY);
            });
    assertThat(transport.calls()).hasSize(2);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "queued,QUEUED",
    "running,RUNNING",
    "succeeded,DONE",
    "canceling,CANCELED",
    "canceled,CANCELED",
    "failed,ERROR",
    "expired,ERROR"
  })
  void everyStatusWordMaps(String word, TaskStatus status) {
    transport.reply(200, jobJson(word, ""));
    JobState s = client().poll("job_1");
    assertThat(s.status()).isEqualTo(status);
    assertThat(s.providerStatus()).isEqualTo(word);
  }

  @Test
  void progressCarriesNodeAndStep() {
    transport.reply(
        200,
        "{\"id\":\"job_1\",\"status\":\"running\",\"outputs\":[],\"error\":null,\"progress\":"
            + "{\"value\":0.42,\"nodes_done\":3,\"nodes_total\":9,\"current_node\":\"3\","
            + "\"current_node_class\":\"KSampler\",\"step\":7,\"steps\":20},"
            + "\"metrics\":{\"queue_ms\":900,\"execution_ms\":null}}");
    JobState s = client().poll("job_1");
    assertThat(s.progress()).isEqualTo(0.42);
    assertThat(s.steps().nodesDone()).isEqualTo(3);
    assertThat(s.steps().nodesTotal()).isEqualTo(9);
    assertThat(s.steps().step()).isEqualTo(7);
    assertThat(s.steps().steps()).isEqualTo(20);
    assertThat(s.steps().classType()).isEqualTo("KSampler");
    assertThat(s.metrics()).containsOnlyKeys("queue_ms");
  }

  @Test
  void sameOriginOutputsAreFetchedWithTheKeyAndSignedUrlsAreLeftForTheStore() {
    transport
        .reply(
            200,
            "{\"id\":\"job_1\",\"status\":\"succeeded\",\"error\":null,\"progress\":null,\"outputs\":["
                + "{\"node_id\":\"9\",\"name\":\"a.png\",\"type\":\"image\",\"content_type\":\"image/png\","
                + "\"url\":\"/comfycloud/api/v2/assets/asset_O/content\"},"
                + "{\"node_id\":\"10\",\"name\":\"b.mp4\",\"type\":\"video\",\"content_type\":\"video/mp4\","
                + "\"url\":\"https://cdn.example.org/b.mp4?sig=1\"}]}")
        .reply(200, "PNGDATA", "content-type", "image/png");
    JobState s = client().poll("job_1");
    assertThat(s.outputs()).hasSize(2);
    assertThat(s.outputs().get(0).base64()).isNotNull();
    assertThat(transport.calls().get(1).headers()).containsEntry("Authorization", "Bearer " + KEY);
    assertThat(s.outputs().get(1).url()).isEqualTo("https://cdn.example.org/b.mp4?sig=1");
    assertThat(s.outputs().get(1).mime()).isEqualTo("video/mp4");
    assertThat(transport.calls()).hasSize(2);
  }

  @Test
  void aFailedJobSaysWhichNode() {
    transport.reply(
        200,
        "{\"id\":\"job_1\",\"status\":\"failed\",\"outputs\":[],\"progress\":null,\"error\":"
            + "{\"code\":\"node_execution_error\",\"message\":\"CUDA out of memory\","
            + "\"node_id\":\"3\",\"class_type\":\"KSampler\"}}");
    JobState s = client().poll("job_1");
    assertThat(s.error()).isEqualTo("node_execution_error: CUDA out of memory (KSampler #3)");
  }

  @Test
  void aJobWithoutAGraphIsRefusedBeforeSending() {
    LiveJob raw =
        new LiveJob(
            "t", LiveContexts.MAPPER.createObjectNode(), 1, LiveContexts.settings(SETTINGS), null);
    assertThatThrownBy(() -> client().submit(raw))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.sent()).isEqualTo(Sent.NOT_SENT));
    assertThat(transport.calls()).isEmpty();
  }
}

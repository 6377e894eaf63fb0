package io.comfyvn.compute.gpu.runpod;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.Failure;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.LiveJob;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.InputSource;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.MediaKind;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A workflow job as worker-comfyui's handler.py takes it, and the handler's answers back. */
class WorkerComfyuiTest {
  private static final String SETTINGS =
      "{\"base_url\":\"http://127.0.0.1:9/runpod/v2\",\"endpoint_id\":\"ep\"}";
  private static final String KEY = "rp-unit-key-0123456789";
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
  private static final byte[] WAV = "RIFF....WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1);

  /** Keys out of order on purpose: the canonical bytes sort them. */
  private static final String GRAPH =
      "{\"9\":{\"inputs\":{\"images\":[\"8\",0],\"filename_prefix\":\"ComfyVN\"},\"class_type\":\"SaveImage\"},"
          + "\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"a.safetensors\"}},"
          + "\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
          + "\"11\":{\"class_type\":\"LoadAudio\",\"inputs\":{\"audio\":\"voice.wav\"}},"
          + "\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":1,\"model\":[\"4\",0],"
          + "\"latent_image\":[\"10\",0]}},"
          + "\"8\":{\"class_type\":\"VAEDecode\",\"inputs\":{\"samples\":[\"3\",0],\"vae\":[\"4\",2]}}}";

  private final ScriptedTransport transport = new ScriptedTransport();

  private RunpodClient client() {
    return new RunpodClient(
        LiveContexts.of(new RunpodProvider(), transport, SETTINGS, "runpod.api_key", KEY));
  }

  private static InputFile file(String name, MediaKind kind, String mime, byte[] data) {
    return new InputFile(name, kind, mime, data, "ab".repeat(32), InputSource.Origin.BASE64);
  }

  private static WorkflowRun run(String graph) throws Exception {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.set("workflow", LiveContexts.MAPPER.readTree(graph));
    j.putObject("inputs").put("in.png", "iVBORw0KGgoAAA==").put("voice.wav", "UklGRg==");
    WorkflowJob wf = WorkflowJobs.read(j, 5, Limits.DEFAULT).orElseThrow();
    return new WorkflowRun(
        wf,
        List.of(
            file("in.png", MediaKind.IMAGE, "image/png", PNG),
            file("voice.wav", MediaKind.AUDIO, "audio/wav", WAV)));
  }

  private static LiveJob job(WorkflowRun run, String webhook) {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    return new LiveJob("task-1", j, 5, LiveContexts.settings(SETTINGS), webhook, run);
  }

  @Test
  void theWorkflowIsSentAsTheCanonicalGraphBytesWithEveryInputAsABase64Image() throws Exception {
    WorkflowRun run = run(GRAPH);
    transport.reply(200, "{\"id\":\"job-1\",\"status\":\"IN_QUEUE\"}");
    var s = client().submit(job(run, "http://127.0.0.1:8001/hook"));
    assertThat(s.providerJobId()).isEqualTo("job-1");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    var call = transport.calls().get(0);
    assertThat(call.uri().getPath()).isEqualTo("/runpod/v2/ep/run");
    assertThat(call.headers()).containsEntry("Authorization", "Bearer " + KEY);
    String sent = body(call);
    // the graph's bytes, exactly, inside the body: seeds written, keys canonical
    String graph = run.job().graph().text();
    assertThat(sent).contains("\"workflow\":" + graph);
    assertThat(graph)
        .startsWith("{\"3\":")
        .contains("\"seed\":" + WorkflowJobs.deriveSeed(5, "3", "seed"));
    JsonNode body = LiveContexts.MAPPER.readTree(sent);
    assertThat(body.at("/input/workflow")).isEqualTo(run.job().graph().json());
    assertThat(body.get("webhook").asText()).isEqualTo("http://127.0.0.1:8001/hook");
    JsonNode images = body.at("/input/images");
    assertThat(images).hasSize(2);
    // an audio input travels in images[] too: the handler uploads any file
    assertThat(images.get(0).get("name").asText()).isEqualTo("in.png");
    assertThat(Base64.getDecoder().decode(images.get(0).get("image").asText())).isEqualTo(PNG);
    assertThat(images.get(1).get("name").asText()).isEqualTo("voice.wav");
    assertThat(Base64.getDecoder().decode(images.get(1).get("image").asText())).isEqualTo(WAV);
    assertThat(client().runner()).isEqualTo("worker-comfyui on RunPod serverless");
  }

  @Test
  void aBodyOverRunpodsTenMegabytesIsRefusedBeforeSending() throws Exception {
    WorkflowRun small = run(GRAPH);
    byte[] big = new byte[7_600_000]; // 10.1 MB as base64
    WorkflowRun run =
        new WorkflowRun(
            small.job(),
            List.of(
                file("in.png", MediaKind.IMAGE, "image/png", big),
                file("voice.wav", MediaKind.AUDIO, "audio/wav", WAV)));
    assertThatThrownBy(() -> client().submit(job(run, null)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("input_too_large");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
            });
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void aWorkflowWhoseOutputsTheHandlerNeverReturnsIsRefusedBeforeSending() throws Exception {
    String audioOnly =
        "{\"11\":{\"class_type\":\"LoadAudio\",\"inputs\":{\"audio\":\"voice.wav\"}},"
            + "\"12\":{\"class_type\":\"SaveAudio\",\"inputs\":{\"audio\":[\"11\",0]}},"
            + "\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
            + "\"13\":{\"class_type\":\"PreviewImage\",\"inputs\":{\"images\":[\"10\",0]}}}";
    assertThatThrownBy(() -> client().submit(job(run(audioOnly), null)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("unsupported_output");
              assertThat(e.getMessage())
                  .contains("SaveAudio #12 (audio flac)")
                  .doesNotContain("PreviewImage");
            });
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void outputsTheHandlerSkipsAreNamedInTheLogsWhenOthersComeBack() throws Exception {
    String mixed =
        GRAPH.substring(0, GRAPH.length() - 1)
            + ",\"20\":{\"class_type\":\"VHS_VideoCombine\",\"inputs\":{\"images\":[\"8\",0],"
            + "\"format\":\"video/h264-mp4\",\"frame_rate\":8}}}";
    transport.reply(200, "{\"id\":\"job-1\",\"status\":\"IN_QUEUE\"}");
    var s = client().submit(job(run(mixed), null));
    assertThat(s.state().logs())
        .containsExactly(
            "worker-comfyui does not return VHS_VideoCombine #20 (video mp4); only saved images"
                + " and videos");
  }

  @Test
  void outputsOfEveryKindTheHandlerReturnsComeBackWithTheirTypes() throws Exception {
    String png = Base64.getEncoder().encodeToString(PNG);
    JobState s =
        RunpodClient.state(
            LiveContexts.MAPPER.readTree(
                "{\"id\":\"j\",\"status\":\"COMPLETED\",\"output\":{\"images\":["
                    + "{\"filename\":\"ComfyVN_00001_.png\",\"type\":\"base64\",\"data\":\""
                    + png
                    + "\"},"
                    + "{\"filename\":\"ComfyVN_00001_.webp\",\"type\":\"base64\",\"data\":\"UklGRg==\"},"
                    + "{\"filename\":\"ComfyVN_00002_.mp4\",\"type\":\"s3_url\","
                    + "\"data\":\"https://bucket.example/j/1a2b3c4d.mp4?X-Amz-Signature=abc\"}],"
                    + "\"errors\":[\"Error uploading x.png to S3: denied\"]}}"));
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs()).hasSize(3);
    assertThat(s.outputs().get(0).name()).isEqualTo("ComfyVN_00001_.png");
    assertThat(s.outputs().get(0).base64()).isEqualTo(png);
    assertThat(s.outputs().get(0).mime()).isEqualTo("image/png");
    assertThat(s.outputs().get(1).mime()).isEqualTo("image/webp");
    assertThat(s.outputs().get(2).name()).isEqualTo("ComfyVN_00002_.mp4");
    assertThat(s.outputs().get(2).url()).startsWith("https://bucket.example/j/1a2b3c4d.mp4");
    assertThat(s.outputs().get(2).mime()).isEqualTo("video/mp4");
    assertThat(s.outputs().get(2).base64()).isNull();
    assertThat(s.logs()).contains("worker-comfyui: Error uploading x.png to S3: denied");
  }

  @Test
  void successWithoutImagesIsDoneWithNothingAndSaysWhy() throws Exception {
    JobState s =
        RunpodClient.state(
            LiveContexts.MAPPER.readTree(
                "{\"status\":\"COMPLETED\",\"output\":{\"status\":\"success_no_images\",\"images\":[]}}"));
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs()).isEmpty();
    assertThat(s.logs())
        .contains("worker-comfyui finished without images (status success_no_images)");
  }

  /** The handler's text for ComfyUI's value_not_in_list, as Python formats it. */
  static final String MISSING_CKPT =
      "Workflow validation failed:\n"
          + "\u2022 Node 4 (errors): [{'type': 'value_not_in_list', 'message': 'Value not in list',"
          + " 'details': \"ckpt_name: 'dreamshaper_8.safetensors' not in ['sd_xl_base_1.0.safetensors']\","
          + " 'extra_info': {'input_name': 'ckpt_name', 'input_config': [['sd_xl_base_1.0.safetensors'],"
          + " {}], 'received_value': 'dreamshaper_8.safetensors'}}]\n"
          + "\u2022 Node 4 (dependent_outputs): ['9']\n"
          + "\u2022 Node 4 (class_type): CheckpointLoaderSimple\n"
          + "\u2022 Node 21 (errors): [{'type': 'value_not_in_list', 'message': 'Value not in list',"
          + " 'details': \"lora_name: 'SDXL\\\\detail.safetensors' not in (list of length 31)\","
          + " 'extra_info': {'input_name': 'lora_name', 'input_config': None, 'received_value':"
          + " 'SDXL\\\\detail.safetensors'}}]\n"
          + "\u2022 Node 21 (dependent_outputs): ['9']\n"
          + "\u2022 Node 21 (class_type): LoraLoader\n\n"
          + "Available checkpoint models: sd_xl_base_1.0.safetensors";

  @Test
  void aModelTheWorkerLacksIsMissingModelWithEachNameAndFolder() throws Exception {
    ObjectNode status = LiveContexts.MAPPER.createObjectNode();
    status.put("id", "j").put("status", "FAILED").put("error", MISSING_CKPT);
    JobState s = RunpodClient.state(status);
    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    Failure f = s.failure();
    assertThat(f).isNotNull();
    assertThat(f.code()).isEqualTo("missing_model");
    assertThat(f.nodeId()).isEqualTo("4");
    assertThat(f.classType()).isEqualTo("CheckpointLoaderSimple");
    assertThat(f.names())
        .containsExactly("checkpoints/dreamshaper_8.safetensors", "loras/SDXL\\detail.safetensors");
    assertThat(s.error())
        .startsWith(
            "the worker lacks checkpoints/dreamshaper_8.safetensors, loras/SDXL\\detail.safetensors"
                + " (node 4, CheckpointLoaderSimple): Workflow validation failed");
  }

  @ParameterizedTest(name = "{index}")
  @ValueSource(
      strings = {
        // current ComfyUI: the node's title in the message, the class in extra_info
        "Node 'Fancy scale' not found. The custom node may not be installed.. Raw response:"
            + " {\"error\": {\"type\": \"missing_node_type\", \"message\": \"Node 'Fancy scale' not"
            + " found. The custom node may not be installed.\", \"details\": \"Node ID '#12'\","
            + " \"extra_info\": {\"node_id\": \"12\", \"class_type\": \"ImageScaleFancy\","
            + " \"node_title\": \"Fancy scale\"}}, \"node_errors\": {}}",
        // older ComfyUI
        "Cannot execute because node ImageScaleFancy does not exist.. Raw response: {\"error\":"
            + " {\"type\": \"invalid_prompt\", \"message\": \"Cannot execute because node"
            + " ImageScaleFancy does not exist.\", \"details\": \"Node ID '#12'\", \"extra_info\":"
            + " {}}, \"node_errors\": {}}"
      })
  void aNodeClassTheWorkerLacksIsMissingNodeByClass(String error) throws Exception {
    ObjectNode status = LiveContexts.MAPPER.createObjectNode();
    status.put("status", "FAILED").put("error", error);
    Failure f = RunpodClient.state(status).failure();
    assertThat(f.code()).isEqualTo("missing_node");
    assertThat(f.nodeId()).isEqualTo("12");
    assertThat(f.names()).containsExactly("ImageScaleFancy");
  }

  @Test
  void otherHandlerFailuresKeepTheirTextAndDetails() throws Exception {
    JobState s =
        RunpodClient.state(
            LiveContexts.MAPPER.readTree(
                "{\"status\":\"FAILED\",\"error\":\"Failed to upload one or more input images\","
                    + "\"output\":{\"details\":[\"Error decoding base64 for in.png: Incorrect padding\"]}}"));
    assertThat(s.failure()).isNull();
    assertThat(s.error())
        .isEqualTo(
            "Failed to upload one or more input images (Error decoding base64 for in.png:"
                + " Incorrect padding)");
    JobState plain =
        RunpodClient.state(
            LiveContexts.MAPPER.readTree(
                "{\"status\":\"FAILED\",\"error\":\"Missing 'workflow' parameter\"}"));
    assertThat(plain.failure()).isNull();
    assertThat(plain.error()).isEqualTo("Missing 'workflow' parameter");
  }

  @Test
  void aRawJobStillGoesAsItsOwnInput() throws Exception {
    transport.reply(200, "{\"id\":\"job-2\",\"status\":\"IN_QUEUE\"}");
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.putObject("input").put("prompt", "a castle");
    client().submit(new LiveJob("t", j, 1, LiveContexts.settings(SETTINGS), null));
    JsonNode sent = LiveContexts.MAPPER.readTree(body(transport.calls().get(0)));
    assertThat(sent.get("input").toString()).isEqualTo("{\"prompt\":\"a castle\"}");
  }
}

package io.comfyvn.compute.gpu.replicate;

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
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/** A workflow job as a cog-comfyui model takes it, and the model's answers back. */
class CogComfyuiTest {
  private static final String TOKEN = "r8_cog_unit_token_0123456789";
  private static final String BASE = "http://127.0.0.1:9/v1";
  private static final String VERSION = "ab".repeat(32);
  private static final String SETTINGS =
      "{\"base_url\":\"" + BASE + "\",\"version\":\"" + VERSION + "\"}";
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
  private static final byte[] WAV = "RIFF....WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1);

  private static final String GRAPH =
      "{\"9\":{\"inputs\":{\"images\":[\"8\",0],\"filename_prefix\":\"ComfyVN\"},\"class_type\":\"SaveImage\"},"
          + "\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"a.safetensors\"}},"
          + "\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
          + "\"11\":{\"class_type\":\"LoadAudio\",\"inputs\":{\"audio\":\"voice.wav\"}},"
          + "\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":1,\"model\":[\"4\",0],"
          + "\"latent_image\":[\"10\",0]}},"
          + "\"8\":{\"class_type\":\"VAEDecode\",\"inputs\":{\"samples\":[\"3\",0],\"vae\":[\"4\",2]}}}";

  private final ScriptedTransport transport = new ScriptedTransport();

  private ReplicateClient client() {
    return new ReplicateClient(
        LiveContexts.of(
            new ReplicateProvider(), transport, SETTINGS, ReplicateClient.SECRET, TOKEN),
        Duration.ofSeconds(30),
        Clock.systemUTC(),
        new AtomicReference<>());
  }

  private static InputFile file(String name, MediaKind kind, String mime, byte[] data) {
    return new InputFile(name, kind, mime, data, "ab".repeat(32), InputSource.Origin.BASE64);
  }

  private static WorkflowRun run(String graph, byte[] png, String pngName) throws Exception {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.set("workflow", LiveContexts.MAPPER.readTree(graph.replace("in.png", pngName)));
    j.putObject("inputs").put(pngName, "iVBORw0KGgoAAA==").put("voice.wav", "UklGRg==");
    WorkflowJob wf = WorkflowJobs.read(j, 5, Limits.DEFAULT).orElseThrow();
    return new WorkflowRun(
        wf,
        List.of(
            file(pngName, MediaKind.IMAGE, "image/png", png),
            file("voice.wav", MediaKind.AUDIO, "audio/wav", WAV)));
  }

  private static LiveJob job(WorkflowRun run) {
    return new LiveJob(
        "task-1",
        LiveContexts.MAPPER.createObjectNode(),
        5,
        LiveContexts.settings(SETTINGS),
        null,
        run);
  }

  private static Map<String, byte[]> unzip(byte[] zip) throws Exception {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry e;
      while ((e = z.getNextEntry()) != null) {
        out.put(e.getName(), z.readAllBytes());
      }
    }
    return out;
  }

  private static final String CREATED =
      "{\"id\":\"p1\",\"status\":\"starting\",\"logs\":\"\",\"output\":null,\"error\":null}";

  @Test
  void theGraphGoesAsWorkflowJsonByteForByteWithSeedsKeptAndInputsZipped() throws Exception {
    WorkflowRun run = run(GRAPH, PNG, "in.png");
    transport.reply(201, CREATED);
    var s = client().submit(job(run));
    assertThat(s.providerJobId()).isEqualTo("p1");
    var call = transport.calls().get(0);
    assertThat(call.uri().getPath()).isEqualTo("/v1/predictions");
    JsonNode body = LiveContexts.MAPPER.readTree(body(call));
    assertThat(body.get("version").asText()).isEqualTo(VERSION);
    JsonNode in = body.get("input");
    // the graph's canonical bytes as the string, seeds written in
    assertThat(in.get("workflow_json").asText()).isEqualTo(run.job().graph().text());
    assertThat(in.get("randomise_seeds").asBoolean()).isFalse();
    assertThat(in.get("output_format").asText()).isEqualTo("png");
    assertThat(in.get("output_quality").asInt()).isEqualTo(100);
    assertThat(in.get("return_temp_files").asBoolean()).isFalse();
    String url = in.get("input_file").asText();
    assertThat(url).startsWith("data:application/zip;base64,");
    Map<String, byte[]> entries =
        unzip(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1)));
    // one zip, every file under its own name (a lone image would become input.png)
    assertThat(entries.keySet()).containsExactly("in.png", "voice.wav");
    assertThat(entries.get("in.png")).isEqualTo(PNG);
    assertThat(entries.get("voice.wav")).isEqualTo(WAV);
    assertThat(client().runner()).isEqualTo("cog-comfyui on Replicate");
  }

  @Test
  void theSameFilesMakeTheSameZip() throws Exception {
    WorkflowRun a = run(GRAPH, PNG, "in.png");
    assertThat(CogComfyui.zip(a.inputs())).isEqualTo(CogComfyui.zip(a.inputs()));
  }

  @Test
  void inputsOverTheDataUrlLimitAreUploadedFirstAndPassedByUrl() throws Exception {
    byte[] big = new byte[300_000];
    new java.util.Random(7).nextBytes(big); // does not compress below 256 KB
    System.arraycopy(PNG, 0, big, 0, PNG.length);
    WorkflowRun run = run(GRAPH, big, "in.png");
    transport
        .reply(201, "{\"id\":\"f1\",\"urls\":{\"get\":\"https://api.replicate.com/v1/files/f1\"}}")
        .reply(201, CREATED);
    client().submit(job(run));
    var upload = transport.calls().get(0);
    assertThat(upload.uri().getPath()).isEqualTo("/v1/files");
    assertThat(upload.headers()).containsEntry("Authorization", "Bearer " + TOKEN);
    String form = new String(upload.body(), StandardCharsets.ISO_8859_1);
    assertThat(form).contains("name=\"content\"; filename=\"comfyvn-inputs.zip\"");
    JsonNode in = LiveContexts.MAPPER.readTree(body(transport.calls().get(1))).get("input");
    assertThat(in.get("input_file").asText()).isEqualTo("https://api.replicate.com/v1/files/f1");
  }

  @Test
  void afterALostAnswerAnUploadedZipIsMatchedByItsSha256AndAnotherZipIsNot() throws Exception {
    byte[] big = new byte[300_000];
    new java.util.Random(7).nextBytes(big); // does not compress below 256 KB
    System.arraycopy(PNG, 0, big, 0, PNG.length);
    WorkflowRun run = run(GRAPH, big, "in.png");
    transport.reply(201, "{\"id\":\"f1\",\"urls\":{\"get\":\"" + BASE + "/files/f1\"}}");
    transport.reply(201, CREATED);
    client().submit(job(run)); // its answer is read here; the reconciler is asked as if it was not
    JsonNode sent = LiveContexts.MAPPER.readTree(body(transport.calls().get(1))).get("input");
    String zipSha =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(CogComfyui.zip(run.inputs())));
    java.time.Instant at = java.time.Instant.parse("2026-12-01T12:00:00Z");
    ObjectNode other = sent.deepCopy();
    other.put("input_file", BASE + "/files/f2"); // the same graph and seed, other files
    transport
        .reply(
            200,
            "{\"next\":null,\"previous\":null,\"results\":["
                + listed("p-ours", sent, at.plusSeconds(2))
                + ","
                + listed("p-other", other, at.plusSeconds(1))
                + "]}")
        .reply(200, "{\"id\":\"f1\",\"checksums\":{\"sha256\":\"" + zipSha + "\"}}")
        .reply(200, "{\"id\":\"f2\",\"checksums\":{\"sha256\":\"" + "0".repeat(64) + "\"}}");
    ObjectNode payload = LiveContexts.MAPPER.createObjectNode();
    payload.set("workflow", LiveContexts.MAPPER.readTree(GRAPH));
    var r =
        client()
            .reconcile(
                new io.comfyvn.compute.gpu.Reconciliation.Query(
                    "task-1",
                    at,
                    at.plusSeconds(60),
                    payload,
                    5,
                    id -> false,
                    () -> new io.comfyvn.compute.gpu.Reconciliation.Workflow.Rebuilt(run)));
    assertThat(r).isInstanceOf(io.comfyvn.compute.gpu.Reconciliation.Found.class);
    assertThat(((io.comfyvn.compute.gpu.Reconciliation.Found) r).job().providerJobId())
        .isEqualTo("p-ours");
    assertThat(transport.calls().get(3).uri().getPath()).isEqualTo("/v1/files/f1");
    assertThat(transport.calls().get(4).uri().getPath()).isEqualTo("/v1/files/f2");
  }

  private static String listed(String id, JsonNode input, java.time.Instant at) {
    return "{\"id\":\""
        + id
        + "\",\"status\":\"processing\",\"logs\":\"\",\"output\":null,\"error\":null,"
        + "\"created_at\":\""
        + at
        + "\",\"input\":"
        + input
        + "}";
  }

  @Test
  void aFailedUploadCreatesNoPredictionAndSaysNothingWasSent() throws Exception {
    byte[] big = new byte[300_000];
    new java.util.Random(8).nextBytes(big);
    WorkflowRun run = run(GRAPH, big, "in.png");
    transport.reply(413, "{\"detail\":\"too large\"}");
    assertThatThrownBy(() -> client().submit(job(run)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(e.getMessage()).contains("no prediction was created");
            });
    assertThat(transport.count("POST", "/predictions")).isZero();
  }

  @Test
  void aJobThatAsksForPreviewsAsksForTempFiles() throws Exception {
    String preview =
        "{\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
            + "\"11\":{\"class_type\":\"LoadAudio\",\"inputs\":{\"audio\":\"voice.wav\"}},"
            + "\"12\":{\"class_type\":\"PreviewImage\",\"inputs\":{\"images\":[\"10\",0]}}}";
    transport.reply(201, CREATED);
    client().submit(job(run(preview, PNG, "in.png")));
    JsonNode in = LiveContexts.MAPPER.readTree(body(transport.calls().get(0))).get("input");
    assertThat(in.get("return_temp_files").asBoolean()).isTrue();
  }

  private static JobState state(String status, String output, String error, String logs, String wf)
      throws Exception {
    ObjectNode p = LiveContexts.MAPPER.createObjectNode();
    p.put("id", "p1").put("status", status).put("logs", logs);
    p.set("output", LiveContexts.MAPPER.readTree(output));
    if (error == null) {
      p.putNull("error");
    } else {
      p.put("error", error);
    }
    if (wf != null) {
      p.putObject("input").put("workflow_json", wf);
    }
    ScriptedTransport t = new ScriptedTransport().json(200, p.toString());
    ReplicateClient c =
        new ReplicateClient(
            LiveContexts.of(new ReplicateProvider(), t, SETTINGS, ReplicateClient.SECRET, TOKEN),
            Duration.ofSeconds(30),
            Clock.systemUTC(),
            new AtomicReference<>());
    return c.poll("p1");
  }

  @Test
  void everyOutputUrlIsTypedByItsExtension() throws Exception {
    JobState s =
        state(
            "succeeded",
            "[\"https://replicate.delivery/x/ComfyVN_00001_.png\","
                + "\"https://replicate.delivery/x/ComfyVN_00001_.webp\","
                + "\"https://replicate.delivery/x/ComfyVN_00002_.mp4\","
                + "\"https://replicate.delivery/x/ComfyUI_00001_.gif\","
                + "\"https://replicate.delivery/x/ComfyUI_00001_.flac\","
                + "\"https://replicate.delivery/x/ComfyUI_00001_.latent\"]",
            null,
            "",
            null);
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs().stream().map(o -> o.mime()).toList())
        .containsExactly(
            "image/png",
            "image/webp",
            "video/mp4",
            "image/gif",
            "audio/flac",
            "application/octet-stream");
  }

  @Test
  void unavailableWeightsAreAMissingModelWithTheFolderFromTheWorkflowSent() throws Exception {
    String wf = run(GRAPH, PNG, "in.png").job().graph().text();
    JobState s =
        state(
            "failed",
            "null",
            "a.safetensors unavailable. View the list of available weights:"
                + " https://github.com/replicate/cog-comfyui/blob/main/supported_weights.md",
            "Checking weights\n",
            wf);
    Failure f = s.failure();
    assertThat(f.code()).isEqualTo("missing_model");
    assertThat(f.nodeId()).isEqualTo("4");
    assertThat(f.classType()).isEqualTo("CheckpointLoaderSimple");
    assertThat(f.names()).containsExactly("checkpoints/a.safetensors");
    assertThat(s.error()).startsWith("the model lacks checkpoints/a.safetensors (node 4): ");
    // without the input (data removed), the name alone
    Failure bare =
        state(
                "failed",
                "null",
                "x.pth unavailable. View the list of available weights: u",
                "",
                null)
            .failure();
    assertThat(bare.names()).containsExactly("x.pth");
  }

  @Test
  void comfyuisRefusalInTheLogsNamesAMissingNode() throws Exception {
    String logs =
        "Running workflow\n[ComfyUI] invalid prompt: {'type': 'missing_node_type', 'message':"
            + " \"Node 'Fancy' not found. The custom node may not be installed.\", 'details':"
            + " \"Node ID '#12'\", 'extra_info': {'node_id': '12', 'class_type':"
            + " 'ImageScaleFancy', 'node_title': 'Fancy'}}\nComfyUI error: 400 Bad Request\n";
    JobState s =
        state(
            "failed",
            "null",
            "ComfyUI Error \u2013 Your workflow could not be run. Please check the logs for"
                + " details.",
            logs,
            null);
    assertThat(s.failure().code()).isEqualTo("missing_node");
    assertThat(s.failure().nodeId()).isEqualTo("12");
    assertThat(s.failure().names()).containsExactly("ImageScaleFancy");
    JobState other =
        state("failed", "null", "Missing required input files: /tmp/inputs/a.png", "", null);
    assertThat(other.failure()).isNull();
    assertThat(other.error()).isEqualTo("Missing required input files: /tmp/inputs/a.png");
  }
}

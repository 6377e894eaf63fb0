package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The providers' official JS clients, unchanged, against the fakes: {@code runpod-sdk} 1.1.2,
 * {@code replicate} 1.4.0 and {@code @huggingface/inference} 4.13.30 (pinned with their integrity
 * hashes in {@code src/test/sdk}) run a worker-comfyui job, a cog-comfyui prediction and a call to
 * the ComfyUI container endpoint, each with an input image: submit, poll, outputs, cancel, health,
 * purge, list, file upload, {@code Prefer: wait}, a keyed resend, errors, and a webhook whose
 * signature the SDK's own {@code validateWebhook} checks. The script fails on the first wrong
 * answer; this test then checks, on the fakes' side, that each provider's ComfyUI was given the
 * graph and the input the SDK sent.
 *
 * <p>Needs {@code node} and {@code npm} (CI installs Debian's); {@code npm ci} fills {@code
 * target/official-sdks} once from the npm registry.
 */
class OfficialSdksIT {
  private static final Path SOURCES = Path.of("src/test/sdk");
  private static final Path WORK = Path.of("target/official-sdks");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static FakeProviders fakes;
  private static FakeCredentials creds;

  @BeforeAll
  static void start() throws Exception {
    install();
    creds = FakeCredentials.forTests();
    // the real clock: the SDKs poll on their own timers, so the jobs must move on their own
    fakes = new FakeProviders(Clock.systemUTC(), FakeSettings.forCli(), creds).start(0);
  }

  @AfterAll
  static void stop() {
    if (fakes != null) {
      fakes.close();
    }
  }

  /** {@code npm ci} into target/, again only when the lock file changed. */
  private static void install() throws Exception {
    Files.createDirectories(WORK);
    byte[] lock = Files.readAllBytes(SOURCES.resolve("package-lock.json"));
    Path stamp = WORK.resolve("node_modules/.installed-lock.json");
    for (String f : List.of("package.json", "package-lock.json", "official-sdks.mjs")) {
      Files.copy(SOURCES.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (Files.exists(stamp) && java.util.Arrays.equals(Files.readAllBytes(stamp), lock)) {
      return;
    }
    Result npm =
        run(
            List.of("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"),
            Map.of(),
            300);
    assertThat(npm.exit()).as("npm ci in %s:%n%s", WORK, npm.output()).isZero();
    Files.write(stamp, lock);
  }

  private record Result(int exit, String stdout, String output) {}

  private static Result run(List<String> command, Map<String, String> env, int seconds)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(WORK.toFile());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(WORK, "out", ".txt");
    Path err = Files.createTempFile(WORK, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError(
          command.get(0) + " is not installed: apt-get install nodejs npm (see .ci/run)", e);
    }
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " took over " + seconds + " s: " + Files.readString(err));
    }
    String stdout = Files.readString(out);
    String output = stdout + Files.readString(err);
    Files.delete(out);
    Files.delete(err);
    return new Result(p.exitValue(), stdout, output);
  }

  /**
   * SDXL img2img in ComfyUI's API format, its LoadImage reading {@code image}. (cfg is 7.5, not
   * 7.0: JavaScript re-serialises 7.0 as 7, so the graph the SDK sends would differ in type.)
   */
  private static String workflow(String image) {
    return """
        {"3":{"class_type":"KSampler","inputs":{"seed":42,"steps":20,"cfg":7.5,\
        "sampler_name":"euler","scheduler":"normal","denoise":0.6,"model":["4",0],\
        "positive":["6",0],"negative":["7",0],"latent_image":["11",0]}},\
        "4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd_xl_base_1.0.safetensors"}},\
        "6":{"class_type":"CLIPTextEncode","inputs":{"text":"a watercolor castle","clip":["4",1]}},\
        "7":{"class_type":"CLIPTextEncode","inputs":{"text":"blurry","clip":["4",1]}},\
        "8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},\
        "9":{"class_type":"SaveImage","inputs":{"filename_prefix":"ComfyVN","images":["8",0]}},\
        "10":{"class_type":"LoadImage","inputs":{"image":"%s"}},\
        "11":{"class_type":"VAEEncode","inputs":{"pixels":["10",0],"vae":["4",2]}}}"""
        .formatted(image);
  }

  private static byte[] png() throws IOException {
    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 16; i++) {
      img.setRGB(i, i, 0x336699 + i);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private static String sha256(byte[] b) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void theOfficialClientsRunAWorkflowJobAgainstTheFakes() throws Exception {
    byte[] png = png();
    String runpodGraph = workflow("castle_sketch.png");
    String replicateGraph = workflow("input.png"); // cog-comfyui names a lone image input.png
    Files.write(WORK.resolve("input.png"), png);
    Files.writeString(WORK.resolve("runpod.json"), runpodGraph);
    Files.writeString(WORK.resolve("replicate.json"), replicateGraph);

    Result script =
        run(
            List.of("node", "official-sdks.mjs"),
            Map.of(
                "FAKES_URL",
                fakes.baseUrl(),
                "RUNPOD_KEY",
                creds.runpodApiKey(),
                "REPLICATE_TOKEN",
                creds.replicateToken(),
                "REPLICATE_WEBHOOK_SECRET",
                creds.replicateWebhookSecret(),
                "COG_VERSION",
                FakeReplicate.COG_VERSION,
                "HF_TOKEN",
                creds.huggingfaceToken(),
                "WORKFLOW_RUNPOD",
                "runpod.json",
                "WORKFLOW_REPLICATE",
                "replicate.json",
                "INPUT_PNG",
                "input.png"),
            180);
    assertThat(script.exit()).as(script.output()).isZero();
    String[] lines = script.stdout().strip().split("\n");
    JsonNode report = MAPPER.readTree(lines[lines.length - 1]);
    System.out.println("official SDKs against the fakes: " + report);

    JsonNode rp = report.get("runpod");
    assertThat(rp.at("/run/status").asText()).isEqualTo("COMPLETED");
    assertThat(rp.at("/runSync/status").asText()).isEqualTo("COMPLETED");
    assertThat(rp.at("/cancel/status").asText()).isEqualTo("CANCELLED");
    assertThat(rp.get("wrongKey").asInt()).isEqualTo(401);
    JsonNode rep = report.get("replicate");
    assertThat(rep.at("/predictions/status").asText()).isEqualTo("succeeded");
    assertThat(rep.at("/run/sha256").asText()).isEqualTo(rep.at("/predictions/sha256").asText());
    assertThat(rep.at("/deployment/sha256").asText())
        .isEqualTo(rep.at("/predictions/sha256").asText());
    assertThat(rep.at("/webhook/valid").asBoolean()).isTrue();
    assertThat(rep.at("/webhook/tamperedValid").asBoolean()).isFalse();
    assertThat(rep.at("/cancel/status").asText()).isEqualTo("canceled");
    assertThat(rep.get("unknownVersion").asInt()).isEqualTo(422);

    JsonNode hf = report.get("huggingface");
    assertThat(hf.at("/request/replayed").asBoolean()).isFalse();
    assertThat(hf.at("/resend/replayed").asBoolean()).isTrue();
    assertThat(hf.get("wrongToken").asInt()).isEqualTo(401);
    // the same graph, input and seed: the same image from worker-comfyui and the HF container
    assertThat(hf.at("/request/sha256").asText()).isEqualTo(rp.at("/run/sha256").asText());

    // What each fake's ComfyUI was given: the graph the SDK sent, with the input image by name.
    String inputSha = sha256(png);
    List<ReceivedGraph> runpod = fakes.receivedGraphs(FakeProviders.RUNPOD);
    assertThat(runpod).hasSizeGreaterThanOrEqualTo(2); // run and runsync (cancel never ran)
    for (ReceivedGraph g : runpod) {
      assertThat(MAPPER.readTree(g.graph())).isEqualTo(MAPPER.readTree(runpodGraph));
      assertThat(g.inputs()).containsEntry("castle_sketch.png", inputSha);
    }
    List<ReceivedGraph> huggingface = fakes.receivedGraphs(FakeProviders.HUGGINGFACE);
    assertThat(huggingface).hasSize(1); // the resend was answered from the first run
    assertThat(MAPPER.readTree(huggingface.get(0).graph())).isEqualTo(MAPPER.readTree(runpodGraph));
    assertThat(huggingface.get(0).inputs()).containsEntry("castle_sketch.png", inputSha);
    List<ReceivedGraph> replicate = fakes.receivedGraphs(FakeProviders.REPLICATE);
    assertThat(replicate).hasSizeGreaterThanOrEqualTo(3); // create, deployment and run
    for (ReceivedGraph g : new ArrayList<>(replicate)) {
      // randomise_seeds:false, so cog passes the graph's text through as the SDK sent it
      assertThat(g.sha256()).isEqualTo(sha256(replicateGraph.getBytes(StandardCharsets.UTF_8)));
      assertThat(g.inputs()).containsEntry("input.png", inputSha);
    }
  }
}

package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobFilesTest {
  private static final ObjectMapper M = Json.mapper();
  @TempDir Path dir;

  private static ObjectNode obj(String json) throws Exception {
    return (ObjectNode) M.readTree(json);
  }

  @Test
  void aPromptBecomesAnInputJobAndTheOptionsAreSet() {
    ObjectNode b = JobFiles.body(null, "castle", "replicate", 7L, M);
    assertThat(b.toString())
        .isEqualTo(
            "{\"job\":{\"input\":{\"prompt\":\"castle\"}},\"provider\":\"replicate\",\"seed\":7}");
  }

  @Test
  void aSubmitBodyIsKeptAndTheCommandLineWins() throws Exception {
    ObjectNode b =
        JobFiles.body(
            obj("{\"provider\":\"runpod\",\"seed\":1,\"job\":{\"input\":{}},\"x\":2}"),
            null,
            "modal",
            9L,
            M);
    assertThat(b.get("provider").asText()).isEqualTo("modal");
    assertThat(b.get("seed").asLong()).isEqualTo(9);
    assertThat(b.get("x").asInt()).isEqualTo(2);
    assertThat(
            JobFiles.body(obj("{\"provider\":\"runpod\",\"payload\":{}}"), null, null, null, M)
                .get("provider")
                .asText())
        .isEqualTo("runpod");
  }

  @Test
  void inputFilesAreReadHereAsBase64UrlsAreLeftToTheServiceAndOutputsAreNodeIds() throws Exception {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    Path sketch = Files.write(dir.resolve("castle_sketch.png"), png);
    Path other = Files.write(dir.resolve("a=b.png"), png); // a '=' in a file's own name
    ObjectNode wf = obj("{\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{}}}");
    ObjectNode b = JobFiles.body(wf, null, "runpod", null, M);
    JobFiles.addFiles(
        b,
        java.util.List.of(
            sketch.toString(),
            "mask.png=" + sketch,
            other.toString(),
            "https://files.example.org/in/ref.png?sig=abc",
            "depth=https://files.example.org/d.png"),
        java.util.List.of("9", "12"));
    ObjectNode inputs = (ObjectNode) b.at("/job/inputs");
    String b64 = java.util.Base64.getEncoder().encodeToString(png);
    assertThat(inputs.at("/castle_sketch.png/base64").asText()).isEqualTo(b64);
    assertThat(inputs.at("/mask.png/base64").asText()).isEqualTo(b64);
    assertThat(inputs.at("/a=b.png/base64").asText()).isEqualTo(b64);
    assertThat(inputs.at("/ref.png/url").asText())
        .isEqualTo("https://files.example.org/in/ref.png?sig=abc");
    assertThat(inputs.at("/depth/url").asText()).isEqualTo("https://files.example.org/d.png");
    assertThat(b.at("/job/outputs").toString()).isEqualTo("[\"9\",\"12\"]");
    assertThat(b.at("/job/workflow")).isEqualTo(wf);
  }

  @Test
  void inputsNeedAWorkflowAReadableFileAndOneSourcePerName() throws Exception {
    ObjectNode prompt = JobFiles.body(null, "castle", "runpod", null, M);
    assertThatThrownBy(
            () -> JobFiles.addFiles(prompt, java.util.List.of("x.png"), java.util.List.of()))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("need a ComfyUI workflow");
    ObjectNode wf =
        JobFiles.body(obj("{\"1\":{\"class_type\":\"LoadImage\"}}"), null, "runpod", null, M);
    assertThatThrownBy(
            () ->
                JobFiles.addFiles(
                    wf, java.util.List.of("a.png=" + dir.resolve("nope.png")), java.util.List.of()))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("no such file");
    Path f = Files.write(dir.resolve("a.png"), new byte[] {1});
    assertThatThrownBy(
            () ->
                JobFiles.addFiles(
                    wf, java.util.List.of(f.toString(), "a.png=" + f), java.util.List.of()))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("given twice");
    assertThatThrownBy(() -> JobFiles.addFiles(wf, java.util.List.of("dir/"), java.util.List.of()))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("give NAME=FILE or FILE");
    assertThatThrownBy(
            () ->
                JobFiles.addFiles(
                    wf, java.util.List.of("b.png=bad\u0000name"), java.util.List.of()))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("no such file");
  }

  @Test
  void anApiWorkflowBecomesTheJobsWorkflowAndABareJobIsTheJob() throws Exception {
    ObjectNode wf = obj("{\"3\":{\"class_type\":\"KSampler\",\"inputs\":{}}}");
    assertThat(JobFiles.body(wf, null, "comfyui", null, M).get("job").get("workflow"))
        .isEqualTo(wf);
    ObjectNode bare = obj("{\"input\":{\"prompt\":\"p\"},\"3\":{\"class_type\":\"K\"}}");
    assertThat(JobFiles.body(bare, null, "runpod", null, M).get("job")).isEqualTo(bare);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"nodes\":[],\"links\":[]}|runpod|UI format",
        "{\"input\":{}}||--provider is required",
        "{\"input\":{}}| |--provider is required",
      })
  void mistakesAreUsageErrors(String json, String provider, String message) throws Exception {
    assertThatThrownBy(() -> JobFiles.body(obj(json), null, provider, null, M))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exit()).isEqualTo(Exit.USAGE))
        .hasMessageContaining(message);
  }

  @Test
  void aFileAndAPromptOrNeitherAreUsageErrors() throws Exception {
    assertThatThrownBy(() -> JobFiles.body(obj("{}"), "p", "runpod", null, M))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> JobFiles.body(null, null, "runpod", null, M))
        .hasMessageContaining("--prompt TEXT");
  }

  @Test
  void filesAreReadWithPositionsAndStandardInputWorks() throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\n  \"input\": ,\n}");
    assertThatThrownBy(() -> JobFiles.read(bad.toString(), null, M))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exit()).isEqualTo(Exit.USAGE))
        .hasMessageContaining("bad.json: not valid JSON at line 2");
    assertThatThrownBy(() -> JobFiles.read(dir.resolve("none.json").toString(), null, M))
        .hasMessageContaining("no such file");
    Path array = dir.resolve("array.json");
    Files.writeString(array, "[1]");
    assertThatThrownBy(() -> JobFiles.read(array.toString(), null, M))
        .hasMessageContaining("must hold a JSON object");
    ObjectNode in =
        JobFiles.read(
            "-", new ByteArrayInputStream("{\"a\":1}".getBytes(StandardCharsets.UTF_8)), M);
    assertThat(in.get("a").asInt()).isEqualTo(1);
  }
}

package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** The fake cog-comfyui model: predict.py's input handling, checks, seeds, errors and outputs. */
class FakeCogComfyuiTest {
  private static final ObjectMapper M = Json.mapper();
  private static final byte[] PNG = FakeImages.png(new FakeImages.Recipe("sketch", 3, 0));

  private static ObjectNode workflow(String name) throws Exception {
    try (InputStream in = FakeCogComfyuiTest.class.getResourceAsStream("/workflows/" + name)) {
      return (ObjectNode) M.readTree(in);
    }
  }

  private static String zipOf(String name, byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(data);
      z.closeEntry();
    }
    return "data:application/zip;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static ObjectNode img2img(ObjectNode wf) throws Exception {
    ObjectNode input = M.createObjectNode();
    input.put("workflow_json", M.writeValueAsString(wf));
    input.put("input_file", zipOf("castle_sketch.png", PNG));
    input.put("output_format", "png").put("output_quality", 100).put("randomise_seeds", false);
    return input;
  }

  @Test
  void pngAtFullQualityWithoutRandomSeedsReturnsComfyuisOwnBytes() throws Exception {
    ObjectNode wf = workflow("sdxl_img2img.json");
    var r = FakeCogComfyui.predict(img2img(wf), M, null, FakeExecutor::run);
    assertThat(r.failed()).as(String.valueOf(r.error())).isFalse();
    assertThat(r.files()).hasSize(1);
    assertThat(r.files().get(0).name()).isEqualTo("ComfyVN_00001_.png");
    // the same graph and input folder as on the fake worker-comfyui: the same bytes
    ObjectNode rp = M.createObjectNode();
    rp.set("workflow", wf);
    rp.putArray("images")
        .addObject()
        .put("name", "castle_sketch.png")
        .put("image", Base64.getEncoder().encodeToString(PNG));
    JsonNode worker =
        FakeWorkerComfyui.handle(rp, M, null, FakeExecutor::run).output().at("/images/0/data");
    assertThat(r.files().get(0).data()).isEqualTo(Base64.getDecoder().decode(worker.asText()));
    assertThat(r.logs())
        .contains("\u2705 /tmp/inputs/castle_sketch.png")
        .noneMatch(l -> l.startsWith("Randomising"));
    assertThat(r.logs()).anyMatch(l -> l.matches(" *100%\\|#+ *\\| 20/20"));
  }

  @Test
  void theModelsDefaultsRandomiseSeedsAndReencodeAsWebp() throws Exception {
    ObjectNode input = img2img(workflow("sdxl_img2img.json"));
    input.remove("randomise_seeds");
    input.remove("output_format");
    input.remove("output_quality");
    var r = FakeCogComfyui.predict(input, M, null, FakeExecutor::run);
    assertThat(r.logs()).anyMatch(l -> l.startsWith("Randomising seed to "));
    assertThat(r.files().get(0).name()).isEqualTo("ComfyVN_00001_.webp");
    assertThat(
            new String(r.files().get(0).data(), 0, 4, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("RIFF");
  }

  @Test
  void aLoneImageBecomesInputPngSoAGraphNamingItOtherwiseMissesIt() throws Exception {
    ObjectNode input = img2img(workflow("sdxl_img2img.json"));
    input.put("input_file", "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG));
    var r = FakeCogComfyui.predict(input, M, null, FakeExecutor::run);
    assertThat(r.error()).isEqualTo("Missing required input files: /tmp/inputs/castle_sketch.png");
    assertThat(r.logs()).contains("input.png");
  }

  @Test
  void weightsNotOnTheListAreUnavailableByName() throws Exception {
    ObjectNode wf = workflow("sdxl_img2img.json");
    ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
    var r = FakeCogComfyui.predict(img2img(wf), M, null, FakeExecutor::run);
    assertThat(r.error())
        .isEqualTo(
            "dreamshaper_8.safetensors unavailable. View the list of available weights:"
                + " https://github.com/replicate/cog-comfyui/blob/main/supported_weights.md");
    assertThat(r.files()).isEmpty();
  }

  @Test
  void aMissingNodeIsComfyuisRefusalInTheLogsAndCogsGenericError() throws Exception {
    ObjectNode wf = workflow("sdxl_img2img.json");
    ((ObjectNode) wf.get("12")).put("class_type", "ImageScaleFancy");
    var r = FakeCogComfyui.predict(img2img(wf), M, null, FakeExecutor::run);
    assertThat(r.error()).isEqualTo(FakeCogComfyui.COMFY_ERROR);
    assertThat(r.logs())
        .anyMatch(
            l ->
                l.startsWith("[ComfyUI] invalid prompt: {'type': 'missing_node_type'")
                    && l.contains("'details': \"Node ID '#12'\"")
                    && l.contains("'class_type': 'ImageScaleFancy'"));
  }

  @Test
  void aUiFormatExportIsRefusedInCogsWords() throws Exception {
    ObjectNode input = M.createObjectNode();
    input.put("workflow_json", "{\"last_node_id\":9,\"nodes\":[],\"links\":[]}");
    var r = FakeCogComfyui.predict(input, M, null, FakeExecutor::run);
    assertThat(r.error()).startsWith("You need to use the API JSON version of a ComfyUI workflow");
  }

  @Test
  void aVideoWorkflowReturnsEverySavedFileSortedByPath() throws Exception {
    ObjectNode input = M.createObjectNode();
    input.put("workflow_json", M.writeValueAsString(workflow("wan_t2v_video.json")));
    input.put("output_format", "png").put("output_quality", 100).put("randomise_seeds", false);
    var r = FakeCogComfyui.predict(input, M, null, FakeExecutor::run);
    assertThat(r.files().stream().map(FakeCogComfyui.File::name))
        .containsExactly("ComfyVN_00001_.webp", "ComfyVN_00001_.mp4");
    assertThat(r.files().get(1).mime()).isEqualTo("video/mp4");
  }
}

package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.InputStream;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fake worker-comfyui handler: handler.py's validation, upload, error texts and outputs. */
class FakeWorkerComfyuiTest {
  private static final ObjectMapper M = Json.mapper();
  private static final byte[] PNG = FakeImages.png(new FakeImages.Recipe("sketch", 3, 0));

  private static ObjectNode workflow(String name) throws Exception {
    try (InputStream in = FakeWorkerComfyuiTest.class.getResourceAsStream("/workflows/" + name)) {
      return (ObjectNode) M.readTree(in);
    }
  }

  private static ObjectNode img2img(String image) throws Exception {
    ObjectNode input = M.createObjectNode();
    input.set("workflow", workflow("sdxl_img2img.json"));
    input.putArray("images").addObject().put("name", "castle_sketch.png").put("image", image);
    return input;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "{\"prompt\":\"a castle\"}|Missing 'workflow' parameter",
        "{\"workflow\":{},\"images\":{\"name\":\"a\"}}|'images' must be a list of objects with"
            + " 'name' and 'image' keys",
        "{\"workflow\":{},\"images\":[{\"name\":\"a\"}]}|'images' must be a list of objects with"
            + " 'name' and 'image' keys",
        "\"{not json\"|Invalid JSON format in input",
        "null|Please provide input",
      })
  void refusesWhatValidateInputRefuses(String input, String error) throws Exception {
    var r = FakeWorkerComfyui.handle(M.readTree(input), M, null, FakeExecutor::run);
    assertThat(r.failed()).isTrue();
    assertThat(r.error()).isEqualTo(error);
    assertThat(r.output()).isEmpty();
  }

  @Test
  void anImg2ImgRunReturnsItsSavedImageAsBase64WithAPlainOrDataUrlInput() throws Exception {
    String b64 = Base64.getEncoder().encodeToString(PNG);
    var plain = FakeWorkerComfyui.handle(img2img(b64), M, null, FakeExecutor::run);
    var dataUrl =
        FakeWorkerComfyui.handle(
            img2img("data:image/png;base64," + b64), M, null, FakeExecutor::run);
    assertThat(plain.failed()).as(String.valueOf(plain.error())).isFalse();
    JsonNode images = plain.output().get("images");
    assertThat(images).hasSize(1);
    assertThat(images.get(0).get("filename").asText()).isEqualTo("ComfyVN_00001_.png");
    assertThat(images.get(0).get("type").asText()).isEqualTo("base64");
    byte[] out = Base64.getDecoder().decode(images.get(0).get("data").asText());
    assertThat(out).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    // the same graph and input give the same bytes, whatever form the input came in
    assertThat(dataUrl.output()).isEqualTo(plain.output());
    assertThat(plain.output().has("status")).isFalse();
  }

  @Test
  void aBucketTurnsEveryFileIntoAnS3Url() throws Exception {
    Map<String, byte[]> bucket = new HashMap<>();
    var r =
        FakeWorkerComfyui.handle(
            img2img(Base64.getEncoder().encodeToString(PNG)),
            M,
            (name, bytes) -> {
              bucket.put(name, bytes);
              return "http://127.0.0.1:1/runpod/s3/j/" + name;
            },
            FakeExecutor::run);
    JsonNode img = r.output().at("/images/0");
    assertThat(img.get("type").asText()).isEqualTo("s3_url");
    assertThat(img.get("data").asText()).endsWith("/ComfyVN_00001_.png");
    assertThat(bucket).containsKey("ComfyVN_00001_.png");
  }

  @Test
  void aVideoWorkflowReturnsItsAnimatedWebpAndMp4InImages() throws Exception {
    ObjectNode input = M.createObjectNode();
    input.set("workflow", workflow("wan_t2v_video.json"));
    var r = FakeWorkerComfyui.handle(input, M, null, FakeExecutor::run);
    JsonNode images = r.output().get("images");
    assertThat(images).hasSize(2);
    assertThat(images.get(0).get("filename").asText()).endsWith(".webp");
    assertThat(images.get(1).get("filename").asText()).endsWith(".mp4");
  }

  @Test
  void audioAndVhsOutputsAreNotReturnedSoTheRunIsSuccessNoImages() throws Exception {
    ObjectNode graph =
        (ObjectNode)
            M.readTree(
                "{\"1\":{\"class_type\":\"LoadAudio\",\"inputs\":{\"audio\":\"v.wav\"}},"
                    + "\"2\":{\"class_type\":\"SaveAudio\",\"inputs\":{\"audio\":[\"1\",0]}},"
                    + "\"3\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"a.png\"}},"
                    + "\"4\":{\"class_type\":\"VHS_VideoCombine\",\"inputs\":{\"images\":[\"3\",0],"
                    + "\"format\":\"image/gif\"}},"
                    + "\"5\":{\"class_type\":\"PreviewImage\",\"inputs\":{\"images\":[\"3\",0]}}}");
    ObjectNode input = M.createObjectNode();
    input.set("workflow", graph);
    var images = input.putArray("images");
    images.addObject().put("name", "v.wav").put("image", "UklGRiQAAABXQVZF");
    images.addObject().put("name", "a.png").put("image", Base64.getEncoder().encodeToString(PNG));
    var r = FakeWorkerComfyui.handle(input, M, null, FakeExecutor::run);
    assertThat(r.failed()).isFalse();
    assertThat(r.output().toString()).isEqualTo("{\"images\":[],\"status\":\"success_no_images\"}");
  }

  @Test
  void aMissingCheckpointIsTheHandlersValidationTextWithComfyuisNodeErrors() throws Exception {
    ObjectNode input = img2img(Base64.getEncoder().encodeToString(PNG));
    ((ObjectNode) input.at("/workflow/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
    var r = FakeWorkerComfyui.handle(input, M, null, FakeExecutor::run);
    assertThat(r.error())
        .startsWith(
            "Workflow validation failed:\n\u2022 Node 4 (errors): [{'type': 'value_not_in_list',"
                + " 'message': 'Value not in list', 'details': \"ckpt_name:"
                + " 'dreamshaper_8.safetensors' not in ['sd_xl_base_1.0.safetensors',")
        .contains("\n\u2022 Node 4 (dependent_outputs): ['9']")
        .contains("\n\u2022 Node 4 (class_type): CheckpointLoaderSimple")
        .contains("\n\nAvailable checkpoint models: sd_xl_base_1.0.safetensors, ");
  }

  @Test
  void aMissingNodeIsComfyuisMessageWithTheRawResponse() throws Exception {
    ObjectNode input = img2img(Base64.getEncoder().encodeToString(PNG));
    ((ObjectNode) input.at("/workflow/12")).put("class_type", "ImageScaleFancy");
    var r = FakeWorkerComfyui.handle(input, M, null, FakeExecutor::run);
    assertThat(r.error())
        .startsWith(
            "Node 'ImageScaleFancy' not found. The custom node may not be installed.. Raw"
                + " response: {")
        .contains("\"details\":\"Node ID '#12'\"", "\"class_type\":\"ImageScaleFancy\"");
  }

  @Test
  void aBadBase64InputFailsTheUploadWithDetails() throws Exception {
    var bad = FakeWorkerComfyui.handle(img2img("iVBORw0KGgoAA"), M, null, FakeExecutor::run);
    assertThat(bad.error()).isEqualTo("Failed to upload one or more input images");
    assertThat(bad.output().get("details").get(0).asText())
        .isEqualTo("Error decoding base64 for castle_sketch.png: Incorrect padding");
  }
}

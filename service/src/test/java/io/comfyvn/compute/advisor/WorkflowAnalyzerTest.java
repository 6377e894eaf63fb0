package io.comfyvn.compute.advisor;

import static io.comfyvn.compute.advisor.Workflows.json;
import static io.comfyvn.compute.advisor.Workflows.node;
import static io.comfyvn.compute.advisor.Workflows.txt2img;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WorkflowAnalyzerTest {
  private final WorkflowAnalyzer analyzer = new WorkflowAnalyzer(VramRules.load());

  private WorkflowAnalysis analyze(JsonNode g) {
    return analyzer.analyze(g);
  }

  @Test
  void sdxlNeedsMoreThanSd15AtTheirNativeResolutions() {
    WorkflowAnalysis sd15 = analyze(txt2img("v1-5-pruned-emaonly.safetensors", 512, 512, 1));
    WorkflowAnalysis sdxl = analyze(txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1));
    assertThat(sd15.family()).isEqualTo("sd15");
    assertThat(sdxl.family()).isEqualTo("sdxl");
    assertThat(sdxl.floorGb()).isGreaterThan(sd15.floorGb());
    // 4 GB base + untiled decode of 0.26 MP (0.39 GB) -> 5 GB; 8 + 2.1 -> 11 GB.
    assertThat(sd15.floorGb()).isEqualTo(5);
    assertThat(sdxl.floorGb()).isEqualTo(11);
  }

  @Test
  void familiesOrderAsTheirModelsGrow() {
    int sd15 = analyze(txt2img("dreamshaper_8.safetensors", 512, 512, 1)).floorGb();
    int sd2 = analyze(txt2img("v2-1_768-ema-pruned.safetensors", 768, 768, 1)).floorGb();
    int sdxl = analyze(txt2img("juggernautXL_v9.safetensors", 1024, 1024, 1)).floorGb();
    int sd3 = analyze(txt2img("sd3.5_medium.safetensors", 1024, 1024, 1)).floorGb();
    int flux = analyze(txt2img("flux1-dev.safetensors", 1024, 1024, 1)).floorGb();
    assertThat(List.of(sd15, sd2, sdxl, sd3, flux)).isSorted().doesNotHaveDuplicates();
  }

  @ParameterizedTest
  @CsvSource({
    "sd3.5_large.safetensors,sd3_large", "sd3.5_medium.safetensors,sd3",
    "qwen_image_fp8_e4m3fn.safetensors,qwen_image", "hidream_i1_full_fp16.safetensors,hidream"
  })
  void newerFamiliesAreRecognized(String model, String family) {
    ObjectNode g = txt2img("x.safetensors", 1024, 1024, 1);
    g.remove("4");
    node(g, "4", "UNETLoader").put("unet_name", model);
    WorkflowAnalysis a = analyze(g);
    assertThat(a.family()).isEqualTo(family);
    assertThat(a.floorGb())
        .isGreaterThan(analyze(txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1)).floorGb());
  }

  @Test
  void anIpAdapterLoaderCountsItsClipVisionEncoder() {
    ObjectNode g = txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1);
    node(g, "60", "IPAdapterUnifiedLoader").put("preset", "PLUS (high strength)");
    assertThat(analyze(g).rules()).extracting(WorkflowAnalysis.Rule::rule).contains("clip_vision");
  }

  @Test
  void quantizedFluxNeedsLessThanFp16Flux() {
    ObjectNode fp16 = txt2img("x.safetensors", 1024, 1024, 1);
    fp16.remove("4");
    node(fp16, "4", "UNETLoader")
        .put("unet_name", "flux1-dev.safetensors")
        .put("weight_dtype", "default");
    ObjectNode fp8 = fp16.deepCopy();
    ((ObjectNode) fp8.get("4").get("inputs")).put("weight_dtype", "fp8_e4m3fn");
    WorkflowAnalysis full = analyze(fp16);
    WorkflowAnalysis quant = analyze(fp8);
    assertThat(full.family()).isEqualTo("flux");
    assertThat(quant.quantized()).isTrue();
    assertThat(quant.floorGb()).isLessThan(full.floorGb());
    assertThat(analyze(fp16).floorGb()).isGreaterThanOrEqualTo(24);
  }

  @Test
  void familyIsRecognizedFromNodesWhenNamesSayNothing() {
    ObjectNode g = txt2img("model.safetensors", 1024, 1024, 1);
    node(g, "10", "FluxGuidance").put("guidance", 3.5);
    assertThat(analyze(g).family()).isEqualTo("flux");
    ObjectNode clip = txt2img("model.safetensors", 1024, 1024, 1);
    node(clip, "11", "DualCLIPLoader")
        .put("clip_name1", "a")
        .put("clip_name2", "b")
        .put("type", "sdxl");
    assertThat(analyze(clip).family()).isEqualTo("sdxl");
  }

  @Test
  void unknownModelsFallBackToTheDefaultFamilyAndSaySo() {
    WorkflowAnalysis a = analyze(txt2img("mystery.ckpt", 512, 512, 1));
    assertThat(a.family()).isEqualTo("sd15");
    assertThat(a.familyEvidence()).contains("assumed");
  }

  @ParameterizedTest
  @CsvSource({"512,512,1,768,768,1", "1024,1024,1,1024,1024,4", "1024,1024,1,2048,2048,1"})
  void moreResolutionOrBatchNeverNeedsLess(int w1, int h1, int b1, int w2, int h2, int b2) {
    int small = analyze(txt2img("sd_xl_base_1.0.safetensors", w1, h1, b1)).floorGb();
    int large = analyze(txt2img("sd_xl_base_1.0.safetensors", w2, h2, b2)).floorGb();
    assertThat(large).isGreaterThan(small);
  }

  @Test
  void controlNetsLorasUpscalersAndClipVisionAddTheirShare() {
    ObjectNode base = txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1);
    ObjectNode rich = base.deepCopy();
    node(rich, "20", "ControlNetLoader")
        .put("control_net_name", "controlnet-canny-sdxl.safetensors");
    node(rich, "21", "LoraLoader").put("lora_name", "detail.safetensors");
    node(rich, "22", "LoraLoader").put("lora_name", "style.safetensors");
    node(rich, "23", "UpscaleModelLoader").put("model_name", "4x-UltraSharp.pth");
    node(rich, "24", "CLIPVisionLoader").put("clip_name", "clip_vision_g.safetensors");
    WorkflowAnalysis a = analyze(rich);
    assertThat(a.controlnets()).isEqualTo(1);
    assertThat(a.loras()).isEqualTo(2);
    assertThat(a.upscalers()).isEqualTo(1);
    assertThat(a.rules())
        .extracting(WorkflowAnalysis.Rule::rule)
        .contains("controlnet", "lora", "upscale_model", "clip_vision");
    // 2.5 + 2 x 0.4 + 1 + 1 = 5.3 GB more than the plain graph.
    double plain = analyze(base).rules().stream().mapToDouble(WorkflowAnalysis.Rule::gb).sum();
    double more = a.rules().stream().mapToDouble(WorkflowAnalysis.Rule::gb).sum();
    assertThat(more - plain).isCloseTo(5.3, org.assertj.core.data.Offset.offset(0.01));
  }

  @Test
  void tiledVaeDecodeNeedsLessThanAFullDecodeAtHighResolution() {
    ObjectNode full = txt2img("sd_xl_base_1.0.safetensors", 2048, 2048, 1);
    ObjectNode tiled = full.deepCopy();
    ((ObjectNode) tiled.get("8")).put("class_type", "VAEDecodeTiled");
    WorkflowAnalysis f = analyze(full);
    WorkflowAnalysis t = analyze(tiled);
    assertThat(f.vaeDecode()).isEqualTo("full");
    assertThat(t.vaeDecode()).isEqualTo("tiled");
    assertThat(t.floorGb()).isLessThan(f.floorGb());
  }

  @Test
  void aLatentUpscaleRaisesTheSampledResolution() {
    ObjectNode g = txt2img("v1-5-pruned.safetensors", 512, 512, 1);
    node(g, "30", "LatentUpscaleBy").put("scale_by", 2.0).put("upscale_method", "nearest-exact");
    WorkflowAnalysis a = analyze(g);
    assertThat(a.megapixels()).isCloseTo(1.0486, org.assertj.core.data.Offset.offset(0.001));
    assertThat(a.floorGb())
        .isGreaterThan(analyze(txt2img("v1-5-pruned.safetensors", 512, 512, 1)).floorGb());
  }

  @Test
  void aRefinerCountsHalfItsWeights() {
    ObjectNode g = txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1);
    node(g, "40", "CheckpointLoaderSimple").put("ckpt_name", "sd_xl_refiner_1.0.safetensors");
    WorkflowAnalysis a = analyze(g);
    assertThat(a.models()).hasSize(2);
    assertThat(a.rules())
        .filteredOn(r -> r.rule().equals("extra_models"))
        .singleElement()
        .extracting(WorkflowAnalysis.Rule::gb)
        .isEqualTo(2.5);
  }

  @ParameterizedTest
  @CsvSource({
    "svd_xt_1_1.safetensors,ImageOnlyCheckpointLoader,svd",
    "wan2.1_t2v_14B_fp16.safetensors,UNETLoader,wan",
    "wan2.1_t2v_1.3B_fp16.safetensors,UNETLoader,wan_1_3b",
    "hunyuan_video_t2v_720p_bf16.safetensors,UNETLoader,hunyuan_video",
    "ltx-video-2b-v0.9.5.safetensors,CheckpointLoaderSimple,ltxv"
  })
  void videoModelsAreRecognized(String model, String loader, String family) {
    ObjectNode g = Json.mapper().createObjectNode();
    node(g, "1", loader).put(loader.equals("UNETLoader") ? "unet_name" : "ckpt_name", model);
    node(g, "2", "EmptyHunyuanLatentVideo")
        .put("width", 848)
        .put("height", 480)
        .put("length", 33)
        .put("batch_size", 1);
    WorkflowAnalysis a = analyze(g);
    assertThat(a.family()).isEqualTo(family);
    assertThat(a.frames()).isEqualTo(33);
  }

  @Test
  void videoNeedsMoreWithMoreFramesAndTheBigWanMoreThanTheSmallOne() {
    ObjectNode g = Json.mapper().createObjectNode();
    node(g, "1", "UNETLoader").put("unet_name", "wan2.1_t2v_14B_fp16.safetensors");
    ObjectNode latent = node(g, "2", "EmptyHunyuanLatentVideo");
    latent.put("width", 832).put("height", 480).put("length", 33).put("batch_size", 1);
    int short14b = analyze(g).floorGb();
    latent.put("length", 81);
    int long14b = analyze(g).floorGb();
    ((ObjectNode) g.get("1").get("inputs")).put("unet_name", "wan2.1_t2v_1.3B_fp16.safetensors");
    int long13 = analyze(g).floorGb();
    assertThat(long14b).isGreaterThan(short14b);
    assertThat(long13).isLessThan(long14b);
  }

  @Test
  void animateDiffRendersItsBatchAsFrames() {
    ObjectNode g = txt2img("v1-5-pruned.safetensors", 512, 512, 32);
    node(g, "50", "ADE_AnimateDiffLoaderGen1").put("model_name", "mm_sd_v15_v2.ckpt");
    WorkflowAnalysis a = analyze(g);
    assertThat(a.family()).isEqualTo("animatediff");
    assertThat(a.frames()).isEqualTo(32);
    assertThat(a.batchSize()).isEqualTo(1);
    assertThat(a.floorGb())
        .isGreaterThan(analyze(txt2img("v1-5-pruned.safetensors", 512, 512, 1)).floorGb());
  }

  @Test
  void keyOrderDoesNotChangeTheAnalysis() throws Exception {
    ObjectNode g = txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 2);
    node(g, "20", "LoraLoader").put("lora_name", "a.safetensors");
    List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(g.properties());
    Collections.reverse(entries);
    ObjectNode reversed = Json.mapper().createObjectNode();
    entries.forEach(e -> reversed.set(e.getKey(), e.getValue()));
    String a = Json.mapper().writeValueAsString(analyze(g));
    String b = Json.mapper().writeValueAsString(analyze(reversed));
    assertThat(b).isEqualTo(a);
  }

  @Test
  void workUnitsGrowWithStepsResolutionAndBatch() {
    double small = analyze(txt2img("v1-5.safetensors", 512, 512, 1)).workUnits();
    double big = analyze(txt2img("v1-5.safetensors", 1024, 1024, 4)).workUnits();
    assertThat(big).isGreaterThan(small * 10);
    assertThat(small)
        .isEqualTo(analyzer.defaultWorkUnits(), org.assertj.core.data.Offset.offset(0.1));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "'text'",
        "{}",
        "{'1': 5}",
        "{'1': {'inputs': {}}}",
        "{'1': {'class_type': ''}}",
        "{'1': {'class_type': 'KSampler', 'inputs': []}}",
        "{'1': {'class_type': 'EmptyLatentImage', 'inputs': {'width': -512, 'height': 512}}}",
        "{'1': {'class_type': 'EmptyLatentImage', 'inputs': {'width': 'wide', 'height': 512}}}",
        "{'1': {'class_type': 'EmptyLatentImage', 'inputs': {'width': 512.5, 'height': 512}}}",
        "{'1': {'class_type': 'EmptyLatentImage', 'inputs': {'width': 512, 'height': 512, 'batch_size': 0}}}",
        "{'1': {'class_type': 'LatentUpscaleBy', 'inputs': {'scale_by': 100}}}",
        "{'1': {'class_type': 'KSampler', 'inputs': {'steps': -3}}}",
        "{'nodes': [], 'links': []}"
      })
  void malformedWorkflowsAreBadRequests(String text) {
    assertThatThrownBy(() -> analyze(json(text)))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.BAD_REQUEST);
              assertThat(e.code()).isEqualTo("invalid_workflow");
            });
  }

  @Test
  void linksAreNotMistakenForValues() {
    ObjectNode g = txt2img("v1-5.safetensors", 512, 512, 1);
    ((ObjectNode) g.get("5").get("inputs")).set("width", Workflows.link("9", 0));
    WorkflowAnalysis a = analyze(g);
    assertThat(a.width()).isNull();
    assertThat(a.megapixels()).isEqualTo(0.26);
  }
}

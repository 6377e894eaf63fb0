package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.workflow.TestGraphs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.stream.LongStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FakeExecutorTest {
  private static final Map<String, byte[]> SKETCH = Map.of("castle_sketch.png", png(300, 200));

  static byte[] png(int w, int h) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static ObjectNode seeded(ObjectNode g, String node, String input, long seed) {
    ((ObjectNode) g.get(node).get("inputs")).put(input, seed);
    return g;
  }

  static LongStream seeds() {
    return new java.util.Random(77).longs(8, 0, 1L << 32);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void anImageWorkflowSavesOneImageOfTheAskedSizeDrawnFromItsSeed(long seed) throws Exception {
    FakeExecutor.Run a =
        FakeExecutor.run(seeded(TestGraphs.sdxlImg2Img(), "3", "seed", seed), SKETCH);
    FakeExecutor.Run b =
        FakeExecutor.run(seeded(TestGraphs.sdxlImg2Img(), "3", "seed", seed), SKETCH);
    FakeExecutor.Run c =
        FakeExecutor.run(seeded(TestGraphs.sdxlImg2Img(), "3", "seed", seed + 1), SKETCH);
    assertThat(a.ok()).isTrue();
    assertThat(a.outputs()).hasSize(1);
    FakeExecutor.Output out = a.outputs().get(0);
    assertThat(out.nodeId()).isEqualTo("9");
    assertThat(out.filename()).isEqualTo("ComfyVN_00001_.png");
    assertThat(out.type()).isEqualTo("output");
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(out.data()));
    assertThat(img.getWidth()).isEqualTo(1024); // ImageScale's size, not the sketch's 300x200
    assertThat(img.getHeight()).isEqualTo(1024);
    assertThat(b.outputs().get(0).data()).isEqualTo(out.data());
    assertThat(c.outputs().get(0).data()).isNotEqualTo(out.data());
  }

  @Test
  void anotherInputImageGivesAnotherResult() {
    FakeExecutor.Run a = FakeExecutor.run(TestGraphs.sdxlImg2Img(), SKETCH);
    FakeExecutor.Run b =
        FakeExecutor.run(TestGraphs.sdxlImg2Img(), Map.of("castle_sketch.png", png(301, 200)));
    assertThat(b.outputs().get(0).data()).isNotEqualTo(a.outputs().get(0).data());
  }

  @Test
  void progressHasOneStepPerNodeAndOnePerSamplerStep() {
    FakeExecutor.Run run = FakeExecutor.run(TestGraphs.sdxlImg2Img(), SKETCH);
    // 9 nodes, the KSampler's 20 steps replace its one node step
    assertThat(run.progress()).hasSize(8 + 20);
    assertThat(run.order()).hasSize(9).startsWith("4").endsWith("9");
    FakeExecutor.Step last = run.progress().get(run.progress().size() - 1);
    assertThat(last.node()).isEqualTo(9);
    assertThat(last.nodes()).isEqualTo(9);
    assertThat(run.progress())
        .filteredOn(s -> s.classType().equals("KSampler"))
        .extracting(FakeExecutor.Step::step)
        .startsWith(1, 2, 3)
        .endsWith(20);
  }

  @Test
  void aVideoWorkflowSavesAnAnimationAndAnMp4InItsSubfolder() throws Exception {
    FakeExecutor.Run run = FakeExecutor.run(TestGraphs.wanVideo(), Map.of());
    assertThat(run.ok()).isTrue();
    assertThat(run.outputs())
        .extracting(
            FakeExecutor.Output::nodeId,
            FakeExecutor.Output::filename,
            FakeExecutor.Output::subfolder,
            FakeExecutor.Output::mime)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("28", "ComfyVN_00001_.webp", "", "image/webp"),
            org.assertj.core.groups.Tuple.tuple("53", "ComfyVN_00001_.mp4", "video", "video/mp4"));
    FakeExecutor.Output mp4 = run.outputs().get(1);
    assertThat(new String(mp4.data(), 4, 4, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("ftyp");
    assertThat(mp4.width()).isEqualTo(832);
    assertThat(mp4.height()).isEqualTo(480);
    assertThat(mp4.frames()).isEqualTo(33);
    FakeExecutor.Output webp = run.outputs().get(0);
    assertThat(new String(webp.data(), 8, 4, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("WEBP");
  }

  @Test
  void aGifIsARealAnimation() throws Exception {
    ObjectNode g = TestGraphs.wanVideo();
    ObjectNode vhs = g.putObject("60");
    vhs.put("class_type", "VHS_VideoCombine");
    vhs.putObject("inputs")
        .put("format", "image/gif")
        .put("frame_rate", 8)
        .put("filename_prefix", "clip");
    FakeExecutor.Output gif =
        FakeExecutor.run(g, Map.of()).outputs().stream()
            .filter(o -> o.nodeId().equals("60"))
            .findFirst()
            .orElseThrow();
    assertThat(gif.uiKey()).isEqualTo("gifs");
    try (ImageInputStream in =
        ImageIO.createImageInputStream(new ByteArrayInputStream(gif.data()))) {
      ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
      r.setInput(in);
      assertThat(r.getNumImages(true)).isEqualTo(FakeExecutor.MAX_FRAMES);
      assertThat(r.getWidth(0)).isEqualTo(832);
    }
  }

  @Test
  void aLoaderNamingAFileTheBoxLacksIsAMissingModelByName() {
    ObjectNode g = TestGraphs.wanVideo();
    ((ObjectNode) g.get("39").get("inputs")).put("vae_name", "wan_2.2_vae.safetensors");
    FakeExecutor.Run run = FakeExecutor.run(g, Map.of());
    assertThat(run.ok()).isFalse();
    assertThat(run.outputs()).isEmpty();
    assertThat(run.failure())
        .isEqualTo(
            new FakeExecutor.MissingModel(
                "39",
                "VAELoader",
                "vae_name",
                "vae",
                "wan_2.2_vae.safetensors",
                FakeExecutor.MODELS.get("vae")));
  }

  @Test
  void anUnknownClassIsAMissingNodeAndAMissingInputIsRefused() {
    ObjectNode g = TestGraphs.sdxlImg2Img();
    g.putObject("70").put("class_type", "UltimateSDUpscale").putObject("inputs");
    assertThat(FakeExecutor.run(g, SKETCH).failure())
        .isEqualTo(new FakeExecutor.MissingNode("70", "UltimateSDUpscale"));
    assertThat(FakeExecutor.run(TestGraphs.sdxlImg2Img(), Map.of()).failure())
        .isEqualTo(new FakeExecutor.MissingInput("10", "LoadImage", "image", "castle_sketch.png"));
  }

  @Test
  void aHugeSizeIsDrawnSmallerWithItsAspect() {
    assertThat(FakeExecutor.fit(new int[] {8192, 4096})).containsExactly(2896, 1448);
    assertThat(FakeExecutor.fit(new int[] {640, 480})).containsExactly(640, 480);
  }
}

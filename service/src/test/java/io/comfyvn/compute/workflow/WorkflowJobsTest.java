package io.comfyvn.compute.workflow;

import static io.comfyvn.compute.workflow.TestGraphs.json;
import static io.comfyvn.compute.workflow.TestGraphs.link;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WorkflowJobsTest {
  private static final Limits LIMITS = Limits.DEFAULT;
  private static final String PNG_B64 =
      Base64.getEncoder().encodeToString(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});

  private static ObjectNode job(ObjectNode graph) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.set("workflow", graph);
    return job;
  }

  private static WorkflowJob read(ObjectNode job, long seed) {
    return WorkflowJobs.read(job, seed, LIMITS).orElseThrow();
  }

  @Test
  void aJobWithoutAGraphIsNotAWorkflowJob() {
    ObjectNode raw = (ObjectNode) json("{'input': {'prompt': 'a cat'}, 'prompt': 'text'}");
    assertThat(WorkflowJobs.isWorkflowJob(raw)).isFalse();
    assertThat(WorkflowJobs.read(raw, 1, LIMITS)).isEmpty();
    ObjectNode prompt = JsonNodeFactory.instance.objectNode();
    prompt.set("prompt", TestGraphs.sdxlImg2Img());
    assertThat(WorkflowJobs.isWorkflowJob(prompt)).isTrue();
  }

  @Test
  void seedsAreWrittenIntoEverySeedInputDerivedFromTheRequestSeedAndNodeId() {
    ObjectNode g =
        (ObjectNode)
            json(
                "{'1': {'class_type': 'KSampler', 'inputs': {'seed': 1}},"
                    + " '2': {'class_type': 'KSamplerAdvanced', 'inputs': {'noise_seed': 2}},"
                    + " '3': {'class_type': 'RandomNoise', 'inputs': {'noise_seed': 3}},"
                    + " '4': {'class_type': 'ImpactWildcardEncode', 'inputs': {'rand_seed': 4}},"
                    + " '5': {'class_type': 'PrimitiveInt', 'inputs': {'value': 9}},"
                    + " '6': {'class_type': 'KSampler', 'inputs': {'seed': ['5', 0]}},"
                    + " '9': {'class_type': 'SaveImage', 'inputs': {'images': ['1', 0]}}}");
    WorkflowJob w = read(job(g), 42);
    assertThat(w.seeds())
        .extracting(SeedWrite::nodeId, SeedWrite::input)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("1", "seed"),
            org.assertj.core.groups.Tuple.tuple("2", "noise_seed"),
            org.assertj.core.groups.Tuple.tuple("3", "noise_seed"),
            org.assertj.core.groups.Tuple.tuple("4", "rand_seed"));
    for (SeedWrite s : w.seeds()) {
      assertThat(w.graph().node(s.nodeId()).orElseThrow().whole(s.input()))
          .hasValue(WorkflowJobs.deriveSeed(42, s.nodeId(), s.input()));
    }
    // a seed fed by a link stays a link
    assertThat(w.graph().node("6").orElseThrow().links()).containsKey("seed");
  }

  @Test
  void keepGraphSeedsLeavesTheGraphsOwnSeeds() {
    ObjectNode job = job(TestGraphs.sdxlImg2Img());
    job.put("keep_graph_seeds", true);
    WorkflowJob w = read(job, 42);
    assertThat(w.seeds()).isEmpty();
    assertThat(w.graph().node("3").orElseThrow().whole("seed")).hasValue(156680208700286L);
  }

  static LongStream seeds() {
    return new Random(20261201).longs(30, 0, 1L << 53);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void theSameRequestGivesTheSameBytesAndAnotherSeedOthers(long seed) {
    ObjectNode g = TestGraphs.wanVideo();
    WorkflowJob a = read(job(g), seed);
    WorkflowJob b = read(job((ObjectNode) TestGraphs.shuffled(g, new Random(seed))), seed);
    WorkflowJob c = read(job(g), seed + 1);
    assertThat(b.graph().bytes()).isEqualTo(a.graph().bytes());
    assertThat(c.graph().sha256()).isNotEqualTo(a.graph().sha256());
    long written = a.graph().node("3").orElseThrow().whole("seed").orElseThrow();
    assertThat(written).isBetween(0L, WorkflowJobs.SEED_MASK);
    assertThat(WorkflowJobs.deriveSeed(seed, "3", "seed")).isEqualTo(written);
    assertThat(WorkflowJobs.deriveSeed(seed, "4", "seed")).isNotEqualTo(written);
  }

  @Test
  void outputsAreClassifiedByKindAndExtension() {
    assertThat(read(job(TestGraphs.sdxlImg2Img()), 1).outputs())
        .containsExactly(new OutputNode("9", "SaveImage", MediaKind.IMAGE, "png", false));
    assertThat(read(job(TestGraphs.wanVideo()), 1).outputs())
        .containsExactly(
            new OutputNode("28", "SaveAnimatedWEBP", MediaKind.VIDEO, "webp", false),
            new OutputNode("53", "SaveVideo", MediaKind.VIDEO, "mp4", false));
  }

  static Stream<Arguments> outputNodes() {
    return Stream.of(
        Arguments.of("SaveImage", "{}", MediaKind.IMAGE, "png", false),
        Arguments.of("PreviewImage", "{}", MediaKind.IMAGE, "png", true),
        Arguments.of("SaveAnimatedWEBP", "{}", MediaKind.VIDEO, "webp", false),
        Arguments.of("SaveAnimatedPNG", "{}", MediaKind.VIDEO, "png", false),
        Arguments.of("SaveWEBM", "{}", MediaKind.VIDEO, "webm", false),
        Arguments.of("SaveVideo", "{}", MediaKind.VIDEO, "mp4", false),
        Arguments.of(
            "VHS_VideoCombine", "{'format': 'video/h264-mp4'}", MediaKind.VIDEO, "mp4", false),
        Arguments.of(
            "VHS_VideoCombine", "{'format': 'video/vp9-webm'}", MediaKind.VIDEO, "webm", false),
        Arguments.of("VHS_VideoCombine", "{'format': 'image/gif'}", MediaKind.VIDEO, "gif", false),
        Arguments.of(
            "VHS_VideoCombine",
            "{'format': 'image/webp', 'save_output': false}",
            MediaKind.VIDEO,
            "webp",
            true),
        Arguments.of("SaveAudio", "{}", MediaKind.AUDIO, "flac", false),
        Arguments.of("SaveAudioMP3", "{}", MediaKind.AUDIO, "mp3", false),
        Arguments.of("PreviewAny", "{}", MediaKind.TEXT, "txt", true),
        Arguments.of("SaveLatent", "{}", MediaKind.LATENT, "latent", false));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("outputNodes")
  void everyKnownOutputClassHasItsKind(
      String classType, String inputs, MediaKind kind, String ext, boolean preview) {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    ObjectNode n = g.putObject("7");
    n.put("class_type", classType);
    n.set("inputs", json(inputs));
    assertThat(read(job(g), 1).outputs())
        .containsExactly(new OutputNode("7", classType, kind, ext, preview));
  }

  @Test
  void previewsReturnOnlyWhenNothingIsSavedAndOutputsCanBeNamed() {
    ObjectNode g =
        (ObjectNode)
            json(
                "{'1': {'class_type': 'PreviewImage', 'inputs': {}},"
                    + " '2': {'class_type': 'SaveImage', 'inputs': {}},"
                    + " '3': {'class_type': 'Image Save', 'inputs': {}}}");
    assertThat(read(job(g), 1).outputs()).extracting(OutputNode::nodeId).containsExactly("2");
    ObjectNode named = job(g);
    named.set("outputs", json("['3', '1']"));
    assertThat(read(named, 1).outputs())
        .containsExactly(
            new OutputNode("1", "PreviewImage", MediaKind.IMAGE, "png", true),
            new OutputNode("3", "Image Save", MediaKind.FILE, null, false));
  }

  @Test
  void modelFilesAreListedByLoaderAndFolder() {
    assertThat(read(job(TestGraphs.wanVideo()), 1).models())
        .containsExactly(
            new ModelRef(
                "37",
                "UNETLoader",
                "unet_name",
                "diffusion_models",
                "wan2.1_t2v_1.3B_fp16.safetensors"),
            new ModelRef(
                "38",
                "CLIPLoader",
                "clip_name",
                "text_encoders",
                "umt5_xxl_fp8_e4m3fn_scaled.safetensors"),
            new ModelRef("39", "VAELoader", "vae_name", "vae", "wan_2.1_vae.safetensors"));
    ObjectNode g =
        (ObjectNode)
            json(
                "{'1': {'class_type': 'LoraLoader', 'inputs': {'lora_name': 'detail.safetensors'}},"
                    + " '2': {'class_type': 'VAELoader', 'inputs': {'vae_name': 'pixel_space'}},"
                    + " '3': {'class_type': 'DualCLIPLoader', 'inputs': {'clip_name1': 'a.st',"
                    + " 'clip_name2': 'b.st'}}, '9': {'class_type': 'SaveImage', 'inputs': {}}}");
    assertThat(read(job(g), 1).models())
        .extracting(ModelRef::folder, ModelRef::name)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("loras", "detail.safetensors"),
            org.assertj.core.groups.Tuple.tuple("text_encoders", "a.st"),
            org.assertj.core.groups.Tuple.tuple("text_encoders", "b.st"));
  }

  @Test
  void inputsAreNamedByTheGraphsLoadersInEveryForm() {
    ObjectNode job = job(TestGraphs.sdxlImg2Img());
    ObjectNode inputs = job.putObject("inputs");
    inputs.put("castle_sketch.png", PNG_B64);
    WorkflowJob w = read(job, 1);
    assertThat(w.inputRefs())
        .containsExactly(
            new InputRef("10", "LoadImage", "image", MediaKind.IMAGE, "castle_sketch.png"));
    assertThat(w.inputs().get("castle_sketch.png")).isInstanceOf(InputSource.Inline.class);
    assertThat(w.unsuppliedInputs()).isEmpty();
    for (String[] form :
        new String[][] {
          {"data:image/png;base64," + PNG_B64, "DATA_URL"},
          {"https://example.org/a/sketch.png?sig=1", "URL"},
          {"inputs/sketch.png", "PATH"},
          {"data/inputs/sketch.png", "PATH"},
        }) {
      inputs.put("castle_sketch.png", form[0]);
      assertThat(read(job, 1).inputs().get("castle_sketch.png").origin().name()).isEqualTo(form[1]);
    }
    inputs.set("castle_sketch.png", json("{'path': 'sketch'}"));
    assertThat(read(job, 1).inputs().get("castle_sketch.png"))
        .isEqualTo(new InputSource.Local("sketch"));
    inputs.removeAll();
    assertThat(read(job, 1).unsuppliedInputs()).containsExactly("castle_sketch.png");
  }

  static Stream<Arguments> badJobs() {
    return Stream.of(
        Arguments.of(
            "unreferenced input",
            "{'dog.png': '" + PNG_B64 + "'}",
            null,
            Problem.UNREFERENCED_INPUT),
        Arguments.of(
            "folder in name",
            "{'a/castle_sketch.png': '" + PNG_B64 + "'}",
            null,
            Problem.BAD_INPUT_NAME),
        Arguments.of("no extension", "{'castle': '" + PNG_B64 + "'}", null, Problem.BAD_INPUT_NAME),
        Arguments.of("inputs array", "['x']", null, Problem.BAD_INPUT_LIST),
        Arguments.of("number file", "{'castle_sketch.png': 5}", null, Problem.BAD_SOURCE),
        Arguments.of(
            "not base64", "{'castle_sketch.png': 'not base64!'}", null, Problem.BAD_BASE64),
        Arguments.of(
            "bad data URL",
            "{'castle_sketch.png': 'data:image/png,abc'}",
            null,
            Problem.BAD_DATA_URL),
        Arguments.of(
            "ftp URL",
            "{'castle_sketch.png': {'url': 'ftp://h/x.png'}}",
            null,
            Problem.URL_NOT_ALLOWED),
        Arguments.of(
            "URL with credentials",
            "{'castle_sketch.png': 'https://u:p@h.example/x.png'}",
            null,
            Problem.URL_NOT_ALLOWED),
        Arguments.of(
            "parent path", "{'castle_sketch.png': '../secrets/x.png'}", null, Problem.PATH_ESCAPE),
        Arguments.of(
            "absolute path", "{'castle_sketch.png': '/etc/x.png'}", null, Problem.PATH_ESCAPE),
        Arguments.of(
            "inner parent",
            "{'castle_sketch.png': 'data/a/../../x.png'}",
            null,
            Problem.PATH_ESCAPE),
        Arguments.of(
            "windows path", "{'castle_sketch.png': 'C:\\\\x.png'}", null, Problem.PATH_ESCAPE),
        Arguments.of("outputs not array", null, "'9'", Problem.BAD_OUTPUTS),
        Arguments.of("unknown output", null, "['99']", Problem.UNKNOWN_OUTPUT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJobs")
  void badInputsAndOutputsAreRefusedBeforeAnythingIsSent(
      String name, String inputs, String outputs, Problem problem) {
    ObjectNode job = job(TestGraphs.sdxlImg2Img());
    if (inputs != null) {
      job.set("inputs", json(inputs));
    }
    if (outputs != null) {
      job.set("outputs", json(outputs));
    }
    assertThatThrownBy(() -> read(job, 1))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(problem);
              assertThat(e.kind()).isEqualTo(problem.kind());
            });
  }

  @Test
  void aGraphWithNoOutputNodeIsRefused() {
    ObjectNode g = (ObjectNode) json("{'1': {'class_type': 'KSampler', 'inputs': {'seed': 1}}}");
    assertThatThrownBy(() -> read(job(g), 1))
        .isInstanceOfSatisfying(
            WorkflowException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NO_OUTPUTS));
  }

  @Test
  void anInlineFileOverTheLimitIsRefusedAsTooLarge() {
    Limits small = new Limits(100, 1 << 20, 16, 32, 4);
    ObjectNode job = job(TestGraphs.sdxlImg2Img());
    job.putObject("inputs")
        .put("castle_sketch.png", Base64.getEncoder().encodeToString(new byte[64]));
    assertThatThrownBy(() -> WorkflowJobs.read(job, 1, small))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(Problem.INPUT_TOO_LARGE);
              assertThat(e.code()).isEqualTo("input_too_large");
            });
  }

  @Test
  void annotatedAndProducedFileNamesAreReadAsComfyUiMeansThem() {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    g.putObject("1")
        .put("class_type", "LoadImage")
        .putObject("inputs")
        .put("image", "a.png [input]");
    g.putObject("2")
        .put("class_type", "LoadImage")
        .putObject("inputs")
        .put("image", "b.png [output]");
    g.putObject("3").put("class_type", "LoadVideo").putObject("inputs").put("file", "clip.mp4");
    ObjectNode save = g.putObject("9").put("class_type", "SaveImage").putObject("inputs");
    save.set("images", link("1", 0));
    List<InputRef> refs = read(job(g), 1).inputRefs();
    assertThat(refs)
        .containsExactly(
            new InputRef("1", "LoadImage", "image", MediaKind.IMAGE, "a.png"),
            new InputRef("3", "LoadVideo", "file", MediaKind.VIDEO, "clip.mp4"));
  }
}

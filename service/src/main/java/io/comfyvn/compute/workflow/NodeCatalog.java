package io.comfyvn.compute.workflow;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What this service knows about ComfyUI node classes, in one place: which inputs are seeds, which
 * nodes produce results and of what kind, which loaders name model files (and in which model
 * folder), and which loaders read input files. Core ComfyUI classes plus the few custom nodes that
 * nearly every video workflow uses (VideoHelperSuite). A class not listed here still runs; it is
 * only not classified.
 */
public final class NodeCatalog {
  private NodeCatalog() {}

  /**
   * Literal numbers under these input names are seeds, on any node: {@code KSampler.seed}, {@code
   * KSamplerAdvanced.noise_seed}, {@code RandomNoise.noise_seed}, {@code SamplerCustom.noise_seed}
   * and custom samplers that follow the same names ({@code rand_seed}: WAS, Impact). The same three
   * names are the ones cog-comfyui randomises when {@code randomise_seeds} is on.
   */
  public static final List<String> SEED_INPUTS = List.of("seed", "noise_seed", "rand_seed");

  /** The core classes whose seed inputs are documented; any class with those inputs is seeded. */
  public static final Map<String, String> DOCUMENTED_SEEDS =
      Map.of(
          "KSampler", "seed",
          "KSamplerAdvanced", "noise_seed",
          "RandomNoise", "noise_seed",
          "SamplerCustom", "noise_seed");

  /** An output class: what it saves and the extension it writes. */
  private record Output(MediaKind kind, String extension, boolean preview) {}

  private static final Map<String, Output> OUTPUTS =
      Map.ofEntries(
          Map.entry("SaveImage", new Output(MediaKind.IMAGE, "png", false)),
          Map.entry("PreviewImage", new Output(MediaKind.IMAGE, "png", true)),
          Map.entry("SaveAnimatedWEBP", new Output(MediaKind.VIDEO, "webp", false)),
          Map.entry("SaveAnimatedPNG", new Output(MediaKind.VIDEO, "png", false)),
          Map.entry("SaveWEBM", new Output(MediaKind.VIDEO, "webm", false)),
          Map.entry("SaveVideo", new Output(MediaKind.VIDEO, "mp4", false)),
          Map.entry("VHS_VideoCombine", new Output(MediaKind.VIDEO, "mp4", false)),
          Map.entry("SaveAudio", new Output(MediaKind.AUDIO, "flac", false)),
          Map.entry("SaveAudioMP3", new Output(MediaKind.AUDIO, "mp3", false)),
          Map.entry("SaveAudioOpus", new Output(MediaKind.AUDIO, "opus", false)),
          Map.entry("PreviewAudio", new Output(MediaKind.AUDIO, "flac", true)),
          Map.entry("PreviewAny", new Output(MediaKind.TEXT, "txt", true)),
          Map.entry("ShowText|pysssss", new Output(MediaKind.TEXT, "txt", true)),
          Map.entry("SaveLatent", new Output(MediaKind.LATENT, "latent", false)),
          Map.entry("SaveGLB", new Output(MediaKind.FILE, "glb", false)));

  /** A loader input naming a model file, and the model folder ComfyUI looks it up in. */
  private record Model(String input, String folder) {}

  private static final Map<String, List<Model>> MODELS =
      Map.ofEntries(
          Map.entry("CheckpointLoaderSimple", List.of(new Model("ckpt_name", "checkpoints"))),
          Map.entry(
              "CheckpointLoader",
              List.of(new Model("ckpt_name", "checkpoints"), new Model("config_name", "configs"))),
          Map.entry("ImageOnlyCheckpointLoader", List.of(new Model("ckpt_name", "checkpoints"))),
          Map.entry("unCLIPCheckpointLoader", List.of(new Model("ckpt_name", "checkpoints"))),
          Map.entry("LoraLoader", List.of(new Model("lora_name", "loras"))),
          Map.entry("LoraLoaderModelOnly", List.of(new Model("lora_name", "loras"))),
          Map.entry("VAELoader", List.of(new Model("vae_name", "vae"))),
          Map.entry("ControlNetLoader", List.of(new Model("control_net_name", "controlnet"))),
          Map.entry("DiffControlNetLoader", List.of(new Model("control_net_name", "controlnet"))),
          Map.entry("UpscaleModelLoader", List.of(new Model("model_name", "upscale_models"))),
          Map.entry("UNETLoader", List.of(new Model("unet_name", "diffusion_models"))),
          Map.entry("CLIPLoader", List.of(new Model("clip_name", "text_encoders"))),
          Map.entry(
              "DualCLIPLoader",
              List.of(
                  new Model("clip_name1", "text_encoders"),
                  new Model("clip_name2", "text_encoders"))),
          Map.entry(
              "TripleCLIPLoader",
              List.of(
                  new Model("clip_name1", "text_encoders"),
                  new Model("clip_name2", "text_encoders"),
                  new Model("clip_name3", "text_encoders"))),
          Map.entry("CLIPVisionLoader", List.of(new Model("clip_name", "clip_vision"))),
          Map.entry("StyleModelLoader", List.of(new Model("style_model_name", "style_models"))),
          Map.entry("GLIGENLoader", List.of(new Model("gligen_name", "gligen"))),
          Map.entry("HypernetworkLoader", List.of(new Model("hypernetwork_name", "hypernetworks"))),
          Map.entry("PhotoMakerLoader", List.of(new Model("photomaker_model_name", "photomaker"))),
          Map.entry(
              "ADE_LoadAnimateDiffModel", List.of(new Model("model_name", "animatediff_models"))));

  /** Names a loader accepts that are built in, not files ({@code VAELoader}'s pixel space). */
  private static final Set<String> BUILT_IN_MODELS = Set.of("pixel_space");

  /** A loader input naming a file in ComfyUI's input folder. */
  private record Loader(String input, MediaKind kind) {}

  private static final Map<String, Loader> INPUT_LOADERS =
      Map.of(
          "LoadImage", new Loader("image", MediaKind.IMAGE),
          "LoadImageMask", new Loader("image", MediaKind.IMAGE),
          "LoadVideo", new Loader("file", MediaKind.VIDEO),
          "LoadAudio", new Loader("audio", MediaKind.AUDIO),
          "VHS_LoadVideo", new Loader("video", MediaKind.VIDEO),
          "VHS_LoadAudioUpload", new Loader("audio", MediaKind.AUDIO));

  /** ComfyUI's annotation for a file in its input folder: {@code "cat.png [input]"}. */
  private static final String INPUT_ANNOTATION = " [input]";

  /** The output a node produces, when its class is an output class. */
  public static Optional<OutputNode> output(Node n) {
    Output o = OUTPUTS.get(n.classType());
    if (o == null) {
      return Optional.empty();
    }
    String ext = o.extension();
    boolean preview = o.preview();
    if (n.classType().equals("VHS_VideoCombine")) {
      ext = vhsExtension(n.text("format").orElse("image/gif"));
      preview =
          n.inputs().path("save_output").isBoolean() && !n.inputs().get("save_output").asBoolean();
    }
    return Optional.of(new OutputNode(n.id(), n.classType(), o.kind(), ext, preview));
  }

  /** Whether a class is an output class this catalog knows. */
  public static boolean isOutput(String classType) {
    return OUTPUTS.containsKey(classType);
  }

  /**
   * VideoHelperSuite's {@code format}: {@code image/gif}, {@code image/webp}, {@code
   * video/h264-mp4}, {@code video/vp9-webm}, {@code video/ProRes}, ...
   */
  static String vhsExtension(String format) {
    String f = format.toLowerCase(Locale.ROOT);
    if (f.startsWith("image/")) {
      return f.substring("image/".length());
    }
    if (f.contains("webm")) {
      return "webm";
    }
    if (f.contains("prores")) {
      return "mov";
    }
    if (f.contains("mkv")) {
      return "mkv";
    }
    return "mp4";
  }

  /** The model files a node names, when its class is a known loader. */
  public static List<ModelRef> models(Node n) {
    List<Model> specs = MODELS.get(n.classType());
    if (specs == null) {
      return List.of();
    }
    return specs.stream()
        .filter(m -> n.text(m.input()).filter(s -> !s.isBlank()).isPresent())
        .filter(m -> !BUILT_IN_MODELS.contains(n.text(m.input()).orElseThrow()))
        .map(
            m ->
                new ModelRef(
                    n.id(), n.classType(), m.input(), m.folder(), n.text(m.input()).orElseThrow()))
        .toList();
  }

  /**
   * The input file a node reads, when its class is a known loader and the input is a literal file
   * name in ComfyUI's input folder (not a link, not an {@code [output]} or {@code [temp]} file).
   */
  public static Optional<InputRef> input(Node n) {
    Loader l = INPUT_LOADERS.get(n.classType());
    if (l == null) {
      return Optional.empty();
    }
    Optional<String> name = n.text(l.input());
    if (name.isEmpty() || name.get().isBlank()) {
      return Optional.empty();
    }
    String file = name.get();
    if (file.endsWith(INPUT_ANNOTATION)) {
      file = file.substring(0, file.length() - INPUT_ANNOTATION.length());
    } else if (file.endsWith("]") && file.lastIndexOf(" [") > 0) {
      return Optional.empty(); // "[output]" or "[temp]": a file a run made, not an input
    }
    return Optional.of(new InputRef(n.id(), n.classType(), l.input(), l.kind(), file));
  }

  /** The input name each loader class reads, to write a new file name into it. */
  static String loaderInput(String classType) {
    Loader l = INPUT_LOADERS.get(classType);
    return l == null ? null : l.input();
  }
}

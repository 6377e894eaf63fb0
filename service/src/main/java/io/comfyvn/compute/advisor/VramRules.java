package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The VRAM rule table ({@code vram_rules.json} beside this class): per model family the floor at
 * its native resolution and what resolution, batch, frames, ControlNets, LoRAs and VAE decoding
 * add. See docs/compute_advisor_integration.md for the reasoning behind each figure.
 *
 * @param minFloorGb no workflow needs less than this
 * @param defaultFamily the family assumed when nothing in the workflow names one
 * @param defaultSteps sampling steps assumed when no sampler states them
 * @param quantizedPatterns model-name parts that mark quantized weights (fp8, gguf...)
 * @param quantizedFactor what quantization multiplies the family's base floor by
 * @param extraModelFactor share of a second model's weights counted (ComfyUI may offload one)
 * @param upscaleModelGb an upscale model (ESRGAN and kin)
 * @param clipVisionGb a CLIP vision encoder (IPAdapter, image-to-video)
 * @param tiledVaeGb a tiled VAE decode, whatever the resolution
 * @param families the model families, most specific first
 */
public record VramRules(
    double minFloorGb,
    String defaultFamily,
    int defaultSteps,
    List<String> quantizedPatterns,
    double quantizedFactor,
    double extraModelFactor,
    double upscaleModelGb,
    double clipVisionGb,
    double tiledVaeGb,
    List<Family> families) {

  private static final ObjectMapper READER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  public VramRules {
    quantizedPatterns = List.copyOf(quantizedPatterns);
    families = List.copyOf(families);
  }

  /**
   * One model family.
   *
   * @param id e.g. {@code sdxl}
   * @param label display name
   * @param video whether it generates frames
   * @param addOn whether it rides on another family's checkpoint (its nodes count even when a model
   *     name named another family)
   * @param baseGb floor at native resolution, batch 1 (weights, text encoders, working set)
   * @param weightsGb the diffusion model's weights alone (for second-model rules)
   * @param nativeMp the resolution the base floor covers, in megapixels
   * @param perMpGb what each further megapixel (times batch) adds
   * @param vaePerMpGb what a full (untiled) VAE decode adds per megapixel of the batch
   * @param controlnetGb one ControlNet of this family
   * @param loraGb one LoRA of this family
   * @param nativeFrames frames the base floor covers (video)
   * @param perFrameGb what each further frame adds at native resolution (video)
   * @param workFactor sampling cost relative to SD1.5 (for run-time estimates)
   * @param namePatterns lower-case parts of model file names; {@code a&b} needs both
   * @param classTypes node class types that only this family uses
   * @param clipTypes the {@code type} input of CLIP loaders that marks this family
   */
  public record Family(
      String id,
      String label,
      boolean video,
      boolean addOn,
      double baseGb,
      double weightsGb,
      double nativeMp,
      double perMpGb,
      double vaePerMpGb,
      double controlnetGb,
      double loraGb,
      int nativeFrames,
      double perFrameGb,
      double workFactor,
      List<String> namePatterns,
      List<String> classTypes,
      List<String> clipTypes) {

    public Family {
      namePatterns = List.copyOf(namePatterns);
      classTypes = List.copyOf(classTypes);
      clipTypes = List.copyOf(clipTypes);
    }

    /** Whether a lower-case model file name matches one of the patterns. */
    boolean matchesName(String lowerName) {
      for (String p : namePatterns) {
        boolean all = true;
        for (String part : p.split("&")) {
          if (!lowerName.contains(part)) {
            all = false;
            break;
          }
        }
        if (all) {
          return true;
        }
      }
      return false;
    }
  }

  /** The shipped table. */
  public static VramRules load() {
    try (InputStream in = VramRules.class.getResourceAsStream("vram_rules.json")) {
      if (in == null) {
        throw new IllegalStateException("missing vram_rules.json beside " + VramRules.class);
      }
      return READER.readValue(in, VramRules.class);
    } catch (IOException e) {
      throw new UncheckedIOException("bad vram_rules.json", e);
    }
  }

  /** A family by id. */
  public Family family(String id) {
    return families.stream()
        .filter(f -> f.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("vram_rules.json has no family " + id));
  }

  /** The first family (in table order) whose name patterns match a model file name. */
  public Optional<Family> byModelName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return families.stream().filter(f -> f.matchesName(lower)).findFirst();
  }

  /** Whether a model file name marks quantized weights. */
  public boolean quantized(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return quantizedPatterns.stream().anyMatch(lower::contains);
  }
}

package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What the advisor read from a ComfyUI API-format workflow.
 *
 * @param family the model family that sets the floor, e.g. {@code sdxl}
 * @param familyLabel its display name
 * @param familyEvidence what named the family (node and input), or that it was assumed
 * @param quantized whether the main model's weights are quantized (fp8, GGUF...)
 * @param nodes node count
 * @param width latent width in pixels, null when no node states it
 * @param height latent height in pixels, null when no node states it
 * @param megapixels the largest resolution sampled (a latent upscale raises it)
 * @param batchSize images per batch
 * @param frames frames per clip (1 for images)
 * @param steps sampling steps over all samplers
 * @param controlnets ControlNet loaders
 * @param loras LoRA loaders
 * @param upscalers upscale-model loaders
 * @param vaeDecode {@code full}, {@code tiled} or {@code none}
 * @param models the model file names, sorted
 * @param workUnits the job's size: steps x megapixels x batch x frames x family work factor
 * @param floorGb the VRAM floor, whole GB rounded up
 * @param rules each contribution to the floor
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkflowAnalysis(
    String family,
    String familyLabel,
    String familyEvidence,
    boolean quantized,
    int nodes,
    Integer width,
    Integer height,
    double megapixels,
    int batchSize,
    int frames,
    int steps,
    int controlnets,
    int loras,
    int upscalers,
    String vaeDecode,
    List<String> models,
    double workUnits,
    int floorGb,
    List<Rule> rules) {

  public WorkflowAnalysis {
    models = List.copyOf(models);
    rules = List.copyOf(rules);
  }

  /**
   * One line of the floor's arithmetic.
   *
   * @param rule the rule's name, e.g. {@code family_base}
   * @param detail what triggered it
   * @param gb what it adds
   */
  public record Rule(String rule, String detail, double gb) {}
}

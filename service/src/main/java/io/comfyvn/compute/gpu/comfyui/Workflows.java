package io.comfyvn.compute.gpu.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.Map;

/**
 * The API-format graph a job sends to {@code POST /prompt}: the job's own graph ({@code
 * job.workflow} or {@code job.prompt}, as ComfyUI's "Save (API)" exports it), else the built-in
 * text-to-image graph ({@code txt2img.json}) filled from {@code job.input} and the task's seed.
 */
final class Workflows {
  static final String DEFAULT_CHECKPOINT = "sd_xl_base_1.0.safetensors";
  static final String SAMPLER = "3";
  static final String CHECKPOINT = "4";
  static final String LATENT = "5";
  static final String POSITIVE = "6";
  static final String NEGATIVE = "7";
  static final String SAVE = "9";

  private static final ObjectNode TEMPLATE = load();

  /** Numeric input, its bounds and the template node that takes it. */
  private record Range(String node, long min, long max) {}

  private static final Map<String, Range> NUMBERS =
      Map.of(
          "width", new Range(LATENT, 64, 8192),
          "height", new Range(LATENT, 64, 8192),
          "batch_size", new Range(LATENT, 1, 16),
          "steps", new Range(SAMPLER, 1, 1000));

  private Workflows() {}

  private static ObjectNode load() {
    try (InputStream in = Workflows.class.getResourceAsStream("txt2img.json")) {
      if (in == null) {
        throw new IllegalStateException("missing txt2img.json beside " + Workflows.class);
      }
      return (ObjectNode) new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("bad txt2img.json", e);
    }
  }

  /** The graph to queue for a job. */
  static ObjectNode graph(ObjectNode job, long seed, ProviderSettings settings) {
    for (String key : new String[] {"workflow", "prompt"}) {
      JsonNode g = job.get(key);
      if (g != null && g.isObject()) {
        return checked((ObjectNode) g, "job." + key);
      }
    }
    return textToImage(job.path("input"), seed, settings);
  }

  /**
   * A graph must be API format: node id -> {@code {class_type, inputs}}. The UI format ({@code
   * nodes}, {@code links}) cannot be queued, so it is refused before anything is sent.
   */
  private static ObjectNode checked(ObjectNode g, String where) {
    if (g.has("nodes") && g.has("links")) {
      throw ProviderAnswers.invalidJob(
          ComfyUiClient.PROVIDER,
          where + " is a UI-format workflow; export it with \"Save (API)\" and send that");
    }
    if (g.isEmpty()) {
      throw ProviderAnswers.invalidJob(ComfyUiClient.PROVIDER, where + " has no nodes");
    }
    g.properties()
        .forEach(
            e -> {
              JsonNode n = e.getValue();
              if (!n.isObject()
                  || !n.path("class_type").isTextual()
                  || !n.path("inputs").isObject()) {
                throw ProviderAnswers.invalidJob(
                    ComfyUiClient.PROVIDER,
                    where + " node '" + abbreviate(e.getKey()) + "' is not {class_type, inputs}");
              }
            });
    return g.deepCopy();
  }

  private static ObjectNode textToImage(JsonNode input, long seed, ProviderSettings settings) {
    String prompt = ProviderAnswers.text(input, "prompt");
    if (prompt == null) {
      throw ProviderAnswers.invalidJob(
          ComfyUiClient.PROVIDER,
          "send job.workflow (an API-format graph) or job.input.prompt for the built-in"
              + " text-to-image workflow");
    }
    ObjectNode g = TEMPLATE.deepCopy();
    inputs(g, POSITIVE).put("text", prompt);
    String negative = ProviderAnswers.text(input, "negative_prompt");
    inputs(g, NEGATIVE)
        .put("text", negative != null ? negative : settings.text("negative_prompt").orElse(""));
    inputs(g, CHECKPOINT).put("ckpt_name", settings.text("checkpoint").orElse(DEFAULT_CHECKPOINT));
    // ComfyUI seeds are unsigned 64-bit; the task's seed is the job's reproducibility key
    inputs(g, SAMPLER).put("seed", new BigInteger(Long.toUnsignedString(seed)));
    NUMBERS.forEach(
        (key, range) -> {
          JsonNode v = input.get(key);
          if (v == null || v.isNull()) {
            return;
          }
          if (!v.canConvertToLong() || v.asLong() < range.min() || v.asLong() > range.max()) {
            throw ProviderAnswers.invalidJob(
                ComfyUiClient.PROVIDER,
                "job.input." + key + " must be a whole number " + range.min() + ".." + range.max());
          }
          inputs(g, range.node()).put(key, v.asLong());
        });
    JsonNode cfg = input.get("cfg");
    if (cfg != null && !cfg.isNull()) {
      if (!cfg.isNumber() || cfg.asDouble() < 0 || cfg.asDouble() > 100) {
        throw ProviderAnswers.invalidJob(
            ComfyUiClient.PROVIDER, "job.input.cfg must be a number 0..100");
      }
      inputs(g, SAMPLER).put("cfg", cfg.asDouble());
    }
    for (String key : new String[] {"sampler_name", "scheduler"}) {
      String v = ProviderAnswers.text(input, key);
      if (v != null) {
        inputs(g, SAMPLER).put(key, v);
      }
    }
    return g;
  }

  private static ObjectNode inputs(ObjectNode g, String node) {
    return (ObjectNode) g.get(node).get("inputs");
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}

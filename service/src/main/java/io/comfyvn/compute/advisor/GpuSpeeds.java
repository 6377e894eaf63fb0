package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How fast each GPU samples diffusion models relative to the reference card ({@code gpus.json}
 * beside this class). Run-time models are written for the reference; a job's sampling time on
 * another GPU is divided by its figure, so a faster card finishes sooner and, billed per second,
 * may cost no more.
 */
public final class GpuSpeeds {
  private static final ObjectMapper READER = JsonMapper.builder().build();

  private final Map<String, Double> byKey;
  private final double unknown;
  private final String reference;

  private GpuSpeeds(Map<String, Double> byKey, double unknown, String reference) {
    this.byKey = Map.copyOf(byKey); // looked up only
    this.unknown = unknown;
    this.reference = reference;
  }

  /** The shipped table. */
  public static GpuSpeeds load() {
    try (InputStream in = GpuSpeeds.class.getResourceAsStream("gpus.json")) {
      if (in == null) {
        throw new IllegalStateException("missing gpus.json beside " + GpuSpeeds.class);
      }
      JsonNode root = READER.readTree(in);
      Map<String, Double> speeds = new TreeMap<>();
      root.path("gpus")
          .properties()
          .forEach(
              e -> {
                double v = e.getValue().asDouble();
                if (!(v > 0)) {
                  throw new IllegalStateException("gpus.json: " + e.getKey() + " must be above 0");
                }
                speeds.put(key(e.getKey()), v);
              });
      return new GpuSpeeds(
          speeds, root.path("unknown_speed").asDouble(0.5), root.path("reference").asText());
    } catch (IOException e) {
      throw new UncheckedIOException("bad gpus.json", e);
    }
  }

  /** The relative speed of a GPU model by name (case, spaces and dashes ignored). */
  public double of(String gpu) {
    return byKey.getOrDefault(key(gpu), unknown);
  }

  /** Whether the table knows the GPU. */
  public boolean knows(String gpu) {
    return byKey.containsKey(key(gpu));
  }

  /** The card whose speed is 1.0. */
  public String reference() {
    return reference;
  }

  private static String key(String gpu) {
    return gpu.toLowerCase(Locale.ROOT).replace(" ", "").replace("-", "").replace("_", "");
  }
}

package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The user's {@code advisor} section of {@code config/comfyvn.json}:
 *
 * <pre>{@code
 * "advisor": {
 *   "price_overrides": {"runpod/ADA_24": {"usd_per_hour": 0.9, "price_as_of": "2026-11-01"}},
 *   "self_hosted": [{"id": "attic", "name": "Attic box", "gpu": "RTX 3090", "vram_gb": 24,
 *                    "usd_per_hour": 0.08, "base_url": "http://192.168.1.20:8188"}],
 *   "local_gpu": {"name": "RTX 3060", "vram_gb": 12},
 *   "sim": {"time_scale": 0.05}
 * }
 * }</pre>
 *
 * @param priceOverrides price per {@code provider/sku} (lower case), replacing the catalog's
 * @param selfHosted the user's own boxes, each priced by the user
 * @param localGpu the GPU of the machine ComfyVN runs on, or null when it has none (or none is
 *     declared)
 * @param timeScale how fast sim tasks advance: 0.05 plays a 20 s simulated run in 1 s
 */
public record AdvisorSettings(
    Map<String, PriceOverride> priceOverrides,
    List<SelfHosted> selfHosted,
    LocalGpu localGpu,
    double timeScale) {

  /** The default time scale of sim tasks. */
  public static final double DEFAULT_TIME_SCALE = 0.05;

  /** The settings when the config file has no {@code advisor} section. */
  public static final AdvisorSettings DEFAULTS =
      new AdvisorSettings(Map.of(), List.of(), null, DEFAULT_TIME_SCALE);

  private static final String WHERE = "config/comfyvn.json: advisor.";
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
  private static final double MAX_USD_PER_HOUR = 1000;
  private static final double MAX_VRAM_GB = 1024;

  public AdvisorSettings {
    // Sorted, not Map.copyOf: that map's iteration order changes from one JVM run to the next.
    priceOverrides = Collections.unmodifiableSortedMap(new TreeMap<>(priceOverrides));
    selfHosted = List.copyOf(selfHosted);
  }

  /**
   * A price that replaces the catalog's.
   *
   * @param usdPerHour the new price per hour
   * @param priceAsOf when the user read it, or {@code config}
   */
  public record PriceOverride(double usdPerHour, String priceAsOf) {}

  /**
   * A self-hosted box.
   *
   * @param id catalog id (lower case)
   * @param name display name
   * @param gpu GPU model
   * @param vramGb its memory
   * @param usdPerHour what an hour costs the user (power, amortization), 0 allowed
   * @param baseUrl its ComfyUI URL
   * @param relativeSpeed its diffusion throughput relative to the reference GPU, or null to look
   *     the GPU up in {@code gpus.json}
   */
  public record SelfHosted(
      String id,
      String name,
      String gpu,
      double vramGb,
      double usdPerHour,
      String baseUrl,
      Double relativeSpeed) {}

  /**
   * The local GPU.
   *
   * @param name GPU model
   * @param vramGb its memory
   */
  public record LocalGpu(String name, double vramGb) {}

  /** Parses the {@code advisor} section (a missing node gives the defaults). */
  public static AdvisorSettings fromJson(JsonNode section) {
    if (section == null || section.isMissingNode() || section.isNull()) {
      return DEFAULTS;
    }
    if (!section.isObject()) {
      throw new ConfigException("config/comfyvn.json: 'advisor' must be an object");
    }
    Map<String, PriceOverride> overrides = new TreeMap<>();
    JsonNode po = section.path("price_overrides");
    if (!po.isMissingNode() && !po.isNull()) {
      if (!po.isObject()) {
        throw new ConfigException(WHERE + "price_overrides must be an object of 'provider/sku'");
      }
      po.properties()
          .forEach(
              e -> {
                String key = e.getKey().trim().toLowerCase(Locale.ROOT);
                String at = "price_overrides['" + e.getKey() + "']";
                if (!key.matches("[^/]+/[^/]+")) {
                  throw new ConfigException(WHERE + at + ": the key must be 'provider/sku'");
                }
                overrides.put(key, override(e.getValue(), at));
              });
    }
    List<SelfHosted> boxes = new ArrayList<>();
    JsonNode sh = section.path("self_hosted");
    if (!sh.isMissingNode() && !sh.isNull()) {
      if (!sh.isArray()) {
        throw new ConfigException(WHERE + "self_hosted must be an array");
      }
      for (int i = 0; i < sh.size(); i++) {
        boxes.add(selfHosted(sh.get(i), "self_hosted[" + i + "]"));
      }
    }
    LocalGpu local = null;
    JsonNode lg = section.path("local_gpu");
    if (!lg.isMissingNode() && !lg.isNull()) {
      local = localGpu(lg, WHERE + "local_gpu");
    }
    double scale = DEFAULT_TIME_SCALE;
    JsonNode ts = section.path("sim").path("time_scale");
    if (!ts.isMissingNode() && !ts.isNull()) {
      scale = number(ts, "sim.time_scale", 0, 100);
    }
    return new AdvisorSettings(overrides, boxes, local, scale);
  }

  /** A local GPU description; {@code where} prefixes error messages. */
  static LocalGpu localGpu(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + " must be an object {name, vram_gb}");
    }
    String name = node.path("name").isTextual() ? node.path("name").asText().trim() : "local GPU";
    JsonNode v = node.get("vram_gb");
    if (v == null || !v.isNumber() || v.asDouble() < 0 || v.asDouble() > MAX_VRAM_GB) {
      throw new IllegalArgumentException(where + ".vram_gb must be a number from 0 to 1024");
    }
    return new LocalGpu(name.isEmpty() ? "local GPU" : name, v.asDouble());
  }

  private static PriceOverride override(JsonNode v, String at) {
    if (v.isNumber()) {
      return new PriceOverride(number(v, at, 0, MAX_USD_PER_HOUR), "config");
    }
    if (!v.isObject()) {
      throw new ConfigException(WHERE + at + ": use a number (USD per hour) or an object");
    }
    double perHour;
    if (v.has("usd_per_hour")) {
      perHour = number(v.get("usd_per_hour"), at + ".usd_per_hour", 0, MAX_USD_PER_HOUR);
    } else if (v.has("usd_per_second")) {
      perHour =
          number(v.get("usd_per_second"), at + ".usd_per_second", 0, MAX_USD_PER_HOUR / 3600)
              * 3600;
    } else {
      throw new ConfigException(WHERE + at + ": needs usd_per_hour or usd_per_second");
    }
    String asOf = v.path("price_as_of").isTextual() ? v.get("price_as_of").asText() : "config";
    return new PriceOverride(perHour, asOf);
  }

  private static SelfHosted selfHosted(JsonNode v, String at) {
    if (!v.isObject()) {
      throw new ConfigException(WHERE + at + " must be an object");
    }
    String id = text(v, "id", at).toLowerCase(Locale.ROOT);
    if (!ID.matcher(id).matches()) {
      throw new ConfigException(WHERE + at + ".id must be letters, digits, '_', '.' or '-'");
    }
    String name = v.path("name").isTextual() ? v.get("name").asText() : id;
    String gpu = text(v, "gpu", at);
    double vram = number(v.get("vram_gb"), at + ".vram_gb", 0.5, MAX_VRAM_GB);
    double perHour =
        v.has("usd_per_hour")
            ? number(v.get("usd_per_hour"), at + ".usd_per_hour", 0, MAX_USD_PER_HOUR)
            : 0;
    String baseUrl = v.path("base_url").isTextual() ? v.get("base_url").asText() : null;
    Double speed =
        v.has("relative_speed")
            ? number(v.get("relative_speed"), at + ".relative_speed", 0.01, 20)
            : null;
    return new SelfHosted(id, name, gpu, vram, perHour, baseUrl, speed);
  }

  private static String text(JsonNode v, String field, String at) {
    JsonNode t = v.get(field);
    if (t == null || !t.isTextual() || t.asText().isBlank()) {
      throw new ConfigException(WHERE + at + "." + field + " must be a non-empty string");
    }
    return t.asText().trim();
  }

  private static double number(JsonNode v, String at, double min, double max) {
    if (v == null || !v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
      throw new ConfigException(
          WHERE
              + at
              + " must be a number from "
              + Numbers.plain(min, 6)
              + " to "
              + Numbers.plain(max, 6));
    }
    return v.asDouble();
  }
}

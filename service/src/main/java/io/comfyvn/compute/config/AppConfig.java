package io.comfyvn.compute.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parsed {@code config/comfyvn.json}: feature flags, per-provider GPU settings, and the whole
 * document as read (unknown keys are kept so a round trip never drops a user's settings).
 *
 * @param features feature flags by name
 * @param providersGpu settings per public GPU provider slug (lower case)
 * @param raw the document as read, unknown keys included
 */
public record AppConfig(
    Map<String, Boolean> features, Map<String, ProviderSettings> providersGpu, ObjectNode raw) {

  /** The feature flag that lets public GPU adapters make real (paid) calls. */
  public static final String PUBLIC_GPU_FLAG = "enable_public_gpu_adapters";

  public AppConfig {
    features = Map.copyOf(features);
    providersGpu = Map.copyOf(providersGpu);
  }

  /** Whether the named flag is on; unknown flags are off. */
  public boolean feature(String name) {
    return features.getOrDefault(name, false);
  }

  /** Settings for a provider slug, or the all-default settings when the file names none. */
  public ProviderSettings provider(String slug) {
    return providersGpu.getOrDefault(slug.toLowerCase(Locale.ROOT), ProviderSettings.DEFAULTS);
  }

  /** A section of the raw document, or a missing node. */
  public JsonNode section(String name) {
    return raw.path(name);
  }

  /** Builds the record from an already-parsed JSON object. */
  static AppConfig fromJson(ObjectNode root) {
    Map<String, Boolean> features = new TreeMap<>();
    features.put(PUBLIC_GPU_FLAG, false);
    root.path("features")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isBoolean()) {
                features.put(e.getKey(), e.getValue().booleanValue());
              }
            });
    Map<String, ProviderSettings> providers = new TreeMap<>();
    root.path("providers_gpu")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isObject()) {
                providers.put(
                    e.getKey().toLowerCase(Locale.ROOT),
                    ProviderSettings.fromJson((ObjectNode) e.getValue()));
              }
            });
    return new AppConfig(features, providers, root);
  }
}

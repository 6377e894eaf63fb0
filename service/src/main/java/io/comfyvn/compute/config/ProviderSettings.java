package io.comfyvn.compute.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * One provider's section of {@code providers_gpu} in {@code config/comfyvn.json}.
 *
 * @param mode {@code dry_run} (default) or {@code live}
 * @param settings every key of the section (base_url, region, hardware, endpoint ids...)
 */
public record ProviderSettings(ConfiguredMode mode, ObjectNode settings) {

  /** What a provider runs as when the file says nothing about it. */
  public static final ProviderSettings DEFAULTS =
      new ProviderSettings(ConfiguredMode.DRY_RUN, JsonNodeFactory.instance.objectNode());

  /**
   * The mode a provider is configured for; the request and the feature flag may still veto live.
   */
  public enum ConfiguredMode {
    DRY_RUN,
    LIVE;

    static ConfiguredMode parse(String text) {
      // the config file's word; anything but "live" (any case) is the safe default
      return text.trim().equalsIgnoreCase(LIVE.name()) ? LIVE : DRY_RUN;
    }
  }

  /** A text setting, when present and non-blank. */
  public Optional<String> text(String key) {
    JsonNode node = settings.get(key);
    if (node == null || !node.isValueNode() || node.asText().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(node.asText().trim());
  }

  static ProviderSettings fromJson(ObjectNode section) {
    JsonNode mode = section.get("mode");
    ConfiguredMode parsed =
        mode != null && mode.isTextual()
            ? ConfiguredMode.parse(mode.asText())
            : ConfiguredMode.DRY_RUN;
    return new ProviderSettings(parsed, section.deepCopy());
  }
}

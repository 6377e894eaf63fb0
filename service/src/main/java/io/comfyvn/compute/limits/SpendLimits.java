package io.comfyvn.compute.limits;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The spend guard's limits, from {@code limits} in {@code config/comfyvn.json}:
 *
 * <pre>
 * "limits": {
 *   "max_live_submits_per_minute": 30,      // all paid providers together; null = no limit
 *   "max_estimated_usd_per_day": 5.00,      // UTC day, from each submit's estimate; null = none
 *   "providers": {"runpod": {"max_estimated_usd_per_day": 2.00}}   // optional, per provider
 * }
 * </pre>
 *
 * @param total the limits of all paid providers together
 * @param providers each provider's own limits, by canonical slug (a provider not named has none of
 *     its own; the total still applies)
 */
public record SpendLimits(Limit total, Map<String, Limit> providers) {
  static final String PER_MINUTE = "max_live_submits_per_minute";
  static final String USD_PER_DAY = "max_estimated_usd_per_day";
  private static final String WHERE = "config/comfyvn.json: limits";

  /** The largest daily cap accepted, so micro-dollars never overflow. */
  static final double MAX_USD = 1_000_000_000;

  public SpendLimits {
    providers = Map.copyOf(providers);
  }

  /**
   * One scope's limits.
   *
   * @param submitsPerMinute the most live submits in any 60 seconds, when limited
   * @param microsPerDay the most estimated micro-dollars per UTC day, when limited
   */
  public record Limit(OptionalInt submitsPerMinute, OptionalLong microsPerDay) {
    /** No limit at all. */
    public static final Limit NONE = new Limit(OptionalInt.empty(), OptionalLong.empty());
  }

  /** A provider's own limits, or {@link Limit#NONE}. */
  public Limit provider(String slug) {
    return providers.getOrDefault(slug, Limit.NONE);
  }

  /**
   * Reads the {@code limits} section.
   *
   * @param section the section (a missing node means no limits at all)
   * @param slugOf the canonical slug of a provider name (aliases accepted), empty when unknown
   * @throws ConfigException naming the key when a value is unusable
   */
  public static SpendLimits fromJson(JsonNode section, Function<String, Optional<String>> slugOf) {
    if (section.isMissingNode() || section.isNull()) {
      return new SpendLimits(Limit.NONE, Map.of());
    }
    if (!section.isObject()) {
      throw new ConfigException(WHERE + " must be an object");
    }
    Limit total = limit(section, WHERE);
    Map<String, Limit> providers = new TreeMap<>();
    JsonNode per = section.path("providers");
    if (!per.isMissingNode() && !per.isNull() && !per.isObject()) {
      throw new ConfigException(WHERE + ".providers must be an object");
    }
    for (Map.Entry<String, JsonNode> e : per.properties()) {
      String where = WHERE + ".providers." + e.getKey();
      String slug =
          slugOf
              .apply(e.getKey())
              .orElseThrow(() -> new ConfigException(where + ": no such provider"));
      if (!e.getValue().isObject()) {
        throw new ConfigException(where + " must be an object");
      }
      if (providers.put(slug, limit(e.getValue(), where)) != null) {
        throw new ConfigException(where + ": provider '" + slug + "' is named twice");
      }
    }
    return new SpendLimits(total, providers);
  }

  private static Limit limit(JsonNode node, String where) {
    OptionalInt perMinute = OptionalInt.empty();
    JsonNode m = node.get(PER_MINUTE);
    if (m != null && !m.isNull()) {
      if (!m.canConvertToInt() || !m.isIntegralNumber() || m.intValue() < 0) {
        throw new ConfigException(
            where + "." + PER_MINUTE + " must be a whole number >= 0, or null for no limit");
      }
      perMinute = OptionalInt.of(m.intValue());
    }
    OptionalLong perDay = OptionalLong.empty();
    JsonNode d = node.get(USD_PER_DAY);
    if (d != null && !d.isNull()) {
      if (!d.isNumber() || !(d.doubleValue() >= 0) || d.doubleValue() > MAX_USD) {
        throw new ConfigException(
            where + "." + USD_PER_DAY + " must be a number of dollars >= 0, or null for no limit");
      }
      perDay = OptionalLong.of(Money.micros(d.doubleValue()));
    }
    return new Limit(perMinute, perDay);
  }
}

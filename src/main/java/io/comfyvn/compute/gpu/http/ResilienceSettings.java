package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ProviderSettings;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Per-provider rate limits, retries, circuit breaker and timeouts. Rate limits default to the
 * provider's documented limits ({@code limits} in its {@code provider.json}); everything can be
 * overridden under {@code providers_gpu.<slug>.resilience} in {@code config/comfyvn.json}:
 *
 * <pre>{@code
 * "resilience": {
 *   "rate_limits": {"create": {"permits": 10, "period_ms": 1000}},
 *   "retry": {"max_attempts": 4, "base_delay_ms": 500, "max_delay_ms": 8000, "max_retry_after_ms": 60000},
 *   "timeouts": {"connect_ms": 5000, "read_ms": 30000},
 *   "circuit_breaker": {"failure_rate_percent": 50, "window": 20, "open_ms": 30000}
 * }
 * }</pre>
 */
public record ResilienceSettings(
    Map<Op, RateLimit> limits,
    int maxAttempts,
    Duration baseDelay,
    Duration maxDelay,
    Duration maxRetryAfter,
    Duration connectTimeout,
    Duration readTimeout,
    float failureRatePercent,
    int window,
    Duration openFor) {

  /** The kind of call, for rate limits and retry rules. */
  public enum Op {
    /** Creates a job: retried only when the provider cannot have accepted it. */
    CREATE,
    /** Reads state: safe to retry. */
    READ,
    /** Cancels: idempotent, safe to retry. */
    CANCEL
  }

  public ResilienceSettings {
    limits = Map.copyOf(limits);
  }

  /**
   * The settings of a provider: its documented limits, then the config file's overrides.
   *
   * @param documented the provider's documented limits by operation name ({@code create}, ...)
   * @param s the provider's settings from {@code config/comfyvn.json}
   */
  public static ResilienceSettings of(Map<String, RateLimit> documented, ProviderSettings s) {
    JsonNode r = s.settings().path("resilience");
    Map<Op, RateLimit> limits = new EnumMap<>(Op.class);
    for (Op op : Op.values()) {
      String key = op.name().toLowerCase(java.util.Locale.ROOT);
      RateLimit base = documented.getOrDefault(key, new RateLimit(50, 1000));
      JsonNode o = r.path("rate_limits").path(key);
      limits.put(
          op,
          new RateLimit(
              o.path("permits").asInt(base.permits()),
              o.path("period_ms").asLong(base.periodMs())));
    }
    JsonNode retry = r.path("retry");
    JsonNode t = r.path("timeouts");
    JsonNode cb = r.path("circuit_breaker");
    return new ResilienceSettings(
        limits,
        Math.max(1, retry.path("max_attempts").asInt(4)),
        Duration.ofMillis(retry.path("base_delay_ms").asLong(500)),
        Duration.ofMillis(retry.path("max_delay_ms").asLong(8000)),
        Duration.ofMillis(retry.path("max_retry_after_ms").asLong(60_000)),
        Duration.ofMillis(t.path("connect_ms").asLong(5000)),
        Duration.ofMillis(t.path("read_ms").asLong(30_000)),
        (float) cb.path("failure_rate_percent").asDouble(50),
        Math.max(2, cb.path("window").asInt(20)),
        Duration.ofMillis(cb.path("open_ms").asLong(30_000)));
  }
}

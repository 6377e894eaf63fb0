package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ProviderSettings;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Per-provider rate limits, retries, circuit breaker and timeouts. Rate limits and per-operation
 * timeouts default to the provider's documented figures ({@code limits} and {@code timeouts_ms} in
 * its {@code provider.json}); everything can be overridden under {@code
 * providers_gpu.<slug>.resilience} in {@code comfyvn.json}:
 *
 * <pre>{@code
 * "resilience": {
 *   "rate_limits": {"create": {"permits": 10, "period_ms": 1000}},
 *   "limiter_max_wait_ms": 250,
 *   "retry": {"max_attempts": 4, "base_delay_ms": 500, "max_delay_ms": 8000, "max_retry_after_ms": 10000},
 *   "timeouts": {"create_ms": 30000, "read_ms": 10000, "cancel_ms": 10000},
 *   "circuit_breaker": {"failure_rate_percent": 50, "window": 20, "open_ms": 30000}
 * }
 * }</pre>
 *
 * The connect timeout is the service's HTTP client's (5 s), the same for every provider.
 *
 * @param limits the rate limit of each operation
 * @param limiterMaxWait the longest a call waits for a rate-limit token before it is refused
 * @param maxAttempts attempts per call, the first included
 * @param baseDelay the first back-off
 * @param maxDelay the longest back-off
 * @param maxRetryAfter the longest {@code Retry-After} waited for on the caller's thread
 * @param timeouts how long one attempt of each operation waits for the whole answer
 * @param failureRatePercent the breaker opens at this failure rate
 * @param window the breaker's window (calls)
 * @param openFor how long the breaker stays open
 */
public record ResilienceSettings(
    Map<Op, RateLimit> limits,
    Duration limiterMaxWait,
    int maxAttempts,
    Duration baseDelay,
    Duration maxDelay,
    Duration maxRetryAfter,
    Map<Op, Duration> timeouts,
    float failureRatePercent,
    int window,
    Duration openFor) {

  /** Where overrides live, for error messages. */
  private static final String WHERE = "comfyvn.json: providers_gpu.";

  /** Timeouts when the provider documents none: creates may queue a while, the rest are quick. */
  static final Map<Op, Duration> DEFAULT_TIMEOUTS =
      Map.of(
          Op.CREATE, Duration.ofSeconds(30),
          Op.READ, Duration.ofSeconds(10),
          Op.CANCEL, Duration.ofSeconds(10));

  /** A rate limit when the provider documents none. */
  static final RateLimit DEFAULT_LIMIT = new RateLimit(50, 1000);

  /** The kind of call, for rate limits, timeouts and retry rules. */
  public enum Op {
    /** Creates a job: retried only when the provider cannot have accepted it. */
    CREATE,
    /** Reads state: safe to retry. */
    READ,
    /** Cancels: idempotent, safe to retry. */
    CANCEL;

    /** The name in data files: {@code create}, {@code read}, {@code cancel}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ResilienceSettings {
    limits = Map.copyOf(limits);
    timeouts = Map.copyOf(timeouts);
    for (Op op : Op.values()) {
      if (!limits.containsKey(op) || !timeouts.containsKey(op)) {
        throw new IllegalArgumentException("every operation needs a rate limit and a timeout");
      }
    }
  }

  /** How long one attempt of the operation waits for the whole answer. */
  public Duration timeout(Op op) {
    return timeouts.get(op);
  }

  /**
   * The settings of a provider: its documented figures, then the config file's overrides.
   *
   * @param slug the provider (named in error messages)
   * @param documented the provider's documented limits by operation key ({@code create}, ...)
   * @param documentedTimeoutsMs the provider's per-operation timeouts in ms by operation key
   * @param s the provider's settings from {@code comfyvn.json}
   * @throws ConfigException naming the setting when an override is unusable
   */
  public static ResilienceSettings of(
      String slug,
      Map<String, RateLimit> documented,
      Map<String, Long> documentedTimeoutsMs,
      ProviderSettings s) {
    JsonNode r = s.settings().path("resilience");
    String at = WHERE + slug + ".resilience.";
    Map<Op, RateLimit> limits = new EnumMap<>(Op.class);
    Map<Op, Duration> timeouts = new EnumMap<>(Op.class);
    JsonNode t = r.path("timeouts");
    for (Op op : Op.values()) {
      RateLimit base = documented.getOrDefault(op.key(), DEFAULT_LIMIT);
      JsonNode o = r.path("rate_limits").path(op.key());
      String here = at + "rate_limits." + op.key();
      try {
        limits.put(
            op,
            new RateLimit(
                wholeInt(o, "permits", base.permits(), here),
                whole(o, "period_ms", base.periodMs(), here)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(here + ": " + e.getMessage());
      }
      Long doc = documentedTimeoutsMs.get(op.key());
      long fallback = doc != null ? doc : DEFAULT_TIMEOUTS.get(op).toMillis();
      timeouts.put(op, positive(t, op.key() + "_ms", fallback, at + "timeouts"));
    }
    JsonNode retry = r.path("retry");
    JsonNode cb = r.path("circuit_breaker");
    return new ResilienceSettings(
        limits,
        Duration.ofMillis(whole(r, "limiter_max_wait_ms", 250, at.substring(0, at.length() - 1))),
        Math.max(1, retry.path("max_attempts").asInt(4)),
        Duration.ofMillis(retry.path("base_delay_ms").asLong(500)),
        Duration.ofMillis(retry.path("max_delay_ms").asLong(8000)),
        Duration.ofMillis(retry.path("max_retry_after_ms").asLong(10_000)),
        timeouts,
        (float) cb.path("failure_rate_percent").asDouble(50),
        Math.max(2, cb.path("window").asInt(20)),
        Duration.ofMillis(cb.path("open_ms").asLong(30_000)));
  }

  private static long whole(JsonNode o, String field, long fallback, String where) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
      throw new ConfigException(where + "." + field + " must be a whole number of at least 0");
    }
    return v.asLong();
  }

  private static int wholeInt(JsonNode o, String field, int fallback, String where) {
    long v = whole(o, field, fallback, where);
    if (v > Integer.MAX_VALUE) {
      throw new ConfigException(where + "." + field + " is too large");
    }
    return (int) v;
  }

  private static Duration positive(JsonNode o, String field, long fallback, String where) {
    long ms = whole(o, field, fallback, where);
    if (ms < 1) {
      throw new ConfigException(where + "." + field + " must be at least 1");
    }
    return Duration.ofMillis(ms);
  }
}

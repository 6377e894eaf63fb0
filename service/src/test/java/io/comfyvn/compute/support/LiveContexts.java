package io.comfyvn.compute.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.EgressPolicy;
import io.comfyvn.compute.gpu.http.HttpTransport;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.Sleeper;
import io.comfyvn.compute.secrets.Secret;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Live contexts for client unit tests: the real {@link ProviderHttp} (retries, breaker, limits)
 * behind the real {@link EgressGuard} over a given transport, with retry delays of a few
 * milliseconds so tests never wait.
 */
public final class LiveContexts {
  public static final ObjectMapper MAPPER = Json.mapper();

  /**
   * The made-up origins client tests point at, allowed as a user would list them in {@code
   * egress.allowed_base_urls}; anything else only gets credentials on a documented host.
   */
  public static final List<String> TEST_ORIGINS =
      List.of(
          "http://127.0.0.1:9",
          "http://127.0.0.1:1",
          "http://127.0.0.1",
          "https://h",
          "http://h",
          "https://a",
          "https://x",
          "https://files.example");

  /** The shipped providers' documented hosts plus {@link #TEST_ORIGINS}. */
  public static EgressPolicy testPolicy() {
    return policy(TEST_ORIGINS);
  }

  /** The shipped providers' documented hosts plus these allowed base URLs. */
  public static EgressPolicy policy(List<String> allowedBaseUrls) {
    com.fasterxml.jackson.databind.node.ObjectNode egress = MAPPER.createObjectNode();
    allowedBaseUrls.forEach(u -> egress.withArray("allowed_base_urls").add(u));
    return GpuProviders.discover().egressPolicy(egress);
  }

  /**
   * A guard over a transport holding these secrets.
   *
   * @param secrets qualified secret name ({@code section.field}), value pairs
   */
  public static EgressGuard guard(HttpTransport transport, EgressPolicy policy, String... secrets) {
    Map<String, Map<String, Secret>> bySection = new TreeMap<>();
    for (int i = 0; i + 1 < secrets.length; i += 2) {
      String name = secrets[i];
      int dot = name.indexOf('.');
      bySection
          .computeIfAbsent(name.substring(0, dot), k -> new TreeMap<>())
          .put(name.substring(dot + 1), Secret.of(secrets[i + 1]));
    }
    Map<String, Map<String, Secret>> fixed = Map.copyOf(bySection);
    return new EgressGuard(transport, policy, () -> fixed);
  }

  private LiveContexts() {}

  /**
   * Retries and rate-limit waits take no time in client tests (the transport's tests time them).
   */
  public static final Sleeper NO_WAIT = d -> {};

  /**
   * A context for a provider.
   *
   * @param settingsJson the provider's {@code providers_gpu.<slug>} section (resilience is added)
   * @param secrets qualified secret name, value pairs
   */
  public static LiveContext of(
      GpuProvider provider, HttpTransport transport, String settingsJson, String... secrets) {
    ProviderSettings settings = settings(settingsJson);
    Map<String, Secret> s = new LinkedHashMap<>();
    for (int i = 0; i + 1 < secrets.length; i += 2) {
      s.put(secrets[i], Secret.of(secrets[i + 1]));
    }
    ProviderHttp http =
        new ProviderHttp(
            provider.descriptor().slug(),
            guard(transport, testPolicy(), secrets),
            provider.descriptor().resilience(settings),
            MAPPER,
            java.time.Clock.systemUTC(),
            NO_WAIT);
    return new LiveContext(settings, s, http, MAPPER);
  }

  /** Settings with tiny retry delays and a breaker that does not open during a test. */
  public static ProviderSettings settings(String settingsJson) {
    try {
      ObjectNode section = (ObjectNode) MAPPER.readTree(settingsJson);
      ObjectNode r = section.putObject("resilience");
      r.putObject("retry")
          .put("max_attempts", 3)
          .put("base_delay_ms", 1)
          .put("max_delay_ms", 2)
          .put("max_retry_after_ms", 60_000);
      r.putObject("circuit_breaker").put("window", 100).put("failure_rate_percent", 100);
      return new ProviderSettings(ProviderSettings.ConfiguredMode.LIVE, section);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}

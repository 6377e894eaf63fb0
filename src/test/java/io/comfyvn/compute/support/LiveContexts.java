package io.comfyvn.compute.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProvider.LiveContext;
import io.comfyvn.compute.gpu.http.HttpTransport;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.ResilienceSettings;
import io.comfyvn.compute.secrets.Secret;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Live contexts for client unit tests: the real {@link ProviderHttp} (retries, breaker, limits)
 * over a given transport, with retry delays of a few milliseconds so tests never wait.
 */
public final class LiveContexts {
  public static final ObjectMapper MAPPER = Json.mapper();

  private LiveContexts() {}

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
            transport,
            ResilienceSettings.of(provider.descriptor().limits(), settings),
            s::values,
            MAPPER);
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
          .put("max_retry_after_ms", 3);
      r.putObject("circuit_breaker").put("window", 100).put("failure_rate_percent", 100);
      return new ProviderSettings(ProviderSettings.ConfiguredMode.LIVE, section);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}

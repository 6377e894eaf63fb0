package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.secrets.Secret;
import java.util.Map;
import java.util.Optional;

/**
 * What a provider package supplies: its metadata (from its {@code provider.json}) and, for live
 * mode, a client for its real API. Dry-run and sim are written once for all providers and
 * parameterized by the metadata. Providers are found with {@link java.util.ServiceLoader}, so
 * adding one is a new package plus a line in {@code
 * META-INF/services/io.comfyvn.compute.gpu.GpuProvider}.
 */
public interface GpuProvider {

  /** The provider's metadata. */
  ProviderDescriptor descriptor();

  /** A client for the provider's real API, or empty when the provider has no live protocol yet. */
  default Optional<LiveClient> live(LiveContext context) {
    return Optional.empty();
  }

  /** Whether {@link #live} returns a client (without building one). */
  default boolean hasLiveClient() {
    return false;
  }

  /**
   * What a live client is built from.
   *
   * @param settings the provider's settings ({@code providers_gpu.<slug>} in config/comfyvn.json)
   * @param secrets the provider's secrets present now (required and optional) by qualified name,
   *     e.g. {@code runpod.api_key}
   * @param http the provider's HTTP door (rate limits, retries, circuit breaker, timeouts)
   * @param mapper the service's JSON mapper
   */
  record LiveContext(
      ProviderSettings settings,
      Map<String, Secret> secrets,
      ProviderHttp http,
      ObjectMapper mapper) {
    public LiveContext {
      secrets = Map.copyOf(secrets);
    }

    /** A required secret; live mode is only chosen when all are present. */
    public Secret secret(String qualifiedName) {
      Secret s = secrets.get(qualifiedName);
      if (s == null) {
        throw new IllegalStateException("secret " + qualifiedName + " is missing");
      }
      return s;
    }

    /** An optional secret ({@code optional_secrets} in provider.json), when it is present. */
    public Optional<Secret> optionalSecret(String qualifiedName) {
      return Optional.ofNullable(secrets.get(qualifiedName));
    }
  }
}

package io.comfyvn.compute.jobs;

import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.gpu.NetworkGate;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import java.util.List;

/**
 * Mode resolution: finds the provider, its settings and missing secrets, and asks the {@link
 * NetworkGate} (which asks {@link ModeDecision}, the one place that decides) how a call runs.
 */
final class Modes {
  private final GpuProviders providers;
  private final AppConfig config;
  private final SecretStore secrets;
  private final NetworkGate gate;

  Modes(GpuProviders providers, AppConfig config, SecretStore secrets, NetworkGate gate) {
    this.providers = providers;
    this.config = config;
    this.secrets = secrets;
    this.gate = gate;
  }

  /**
   * A resolved call.
   *
   * @param provider the provider
   * @param settings its settings from {@code config/comfyvn.json}
   * @param missing its required secret keys that are absent now
   * @param decision how the call runs, and why not live
   */
  record Call(
      GpuProvider provider,
      ProviderSettings settings,
      List<String> missing,
      ModeDecision decision) {

    String slug() {
      return provider.descriptor().slug();
    }

    Mode mode() {
      return decision.mode();
    }

    boolean secretsPresent() {
      return missing.isEmpty();
    }
  }

  /** Resolves a call to a provider named by slug or alias (404 when unknown). */
  Call resolve(String providerName, ModeDecision.Requested requested) {
    return resolve(providers.require(providerName), requested);
  }

  Call resolve(GpuProvider p, ModeDecision.Requested requested) {
    ProviderSettings settings = config.provider(p.descriptor().slug());
    List<String> missing = secrets.missing(p.descriptor().secretKeys());
    ModeDecision decision =
        ModeDecision.decide(flagOn(), missing, settings.mode(), p.hasLiveClient(), requested);
    return new Call(p, settings, missing, decision);
  }

  /** Whether {@code enable_public_gpu_adapters} is on. */
  boolean flagOn() {
    return gate.flagOn();
  }

  NetworkGate gate() {
    return gate;
  }

  /** The feature flag's state, as every answer carries it. */
  Results.FeatureState feature() {
    return new Results.FeatureState(AppConfig.PUBLIC_GPU_FLAG, flagOn());
  }

  GpuProviders providers() {
    return providers;
  }

  SecretStore secrets() {
    return secrets;
  }
}

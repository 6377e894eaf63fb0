package io.comfyvn.compute.gpu;

import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ProviderSettings.ConfiguredMode;
import io.comfyvn.compute.status.Mode;
import java.util.ArrayList;
import java.util.List;

/**
 * The single place that decides whether a call runs dry-run, sim or live. Live needs every one of:
 * the feature flag on, the provider's secrets present, the provider configured {@code "mode":
 * "live"}, a live client for the provider, and a request that did not ask for dry-run or sim.
 *
 * @param mode the mode the call runs in
 * @param reasons why it is not live (empty when live)
 */
public record ModeDecision(Mode mode, List<String> reasons) {

  public ModeDecision {
    reasons = List.copyOf(reasons);
  }

  /** What the request asked for. */
  public enum Requested {
    /** No preference: live when allowed, else dry-run. */
    AUTO,
    /** Force dry-run. */
    DRY_RUN,
    /** Force the seeded simulation. */
    SIM
  }

  /**
   * Decides the mode of one call.
   *
   * @param flagEnabled {@code enable_public_gpu_adapters}
   * @param missingSecrets the provider's secret keys that are absent
   * @param configured the provider's configured mode
   * @param liveAvailable whether the provider has a live client
   * @param requested what the request asked for
   */
  public static ModeDecision decide(
      boolean flagEnabled,
      List<String> missingSecrets,
      ConfiguredMode configured,
      boolean liveAvailable,
      Requested requested) {
    if (requested == Requested.SIM) {
      return new ModeDecision(Mode.SIM, List.of("request asked for sim mode"));
    }
    List<String> reasons = new ArrayList<>();
    if (requested == Requested.DRY_RUN) {
      reasons.add("request asked for dry_run");
    }
    if (!flagEnabled) {
      reasons.add("feature flag " + AppConfig.PUBLIC_GPU_FLAG + " is off");
    }
    if (!missingSecrets.isEmpty()) {
      reasons.add("missing secrets: " + String.join(", ", missingSecrets));
    }
    if (configured != ConfiguredMode.LIVE) {
      reasons.add("provider is configured mode dry_run");
    }
    if (!liveAvailable) {
      reasons.add("no live client for this provider");
    }
    return reasons.isEmpty()
        ? new ModeDecision(Mode.LIVE, List.of())
        : new ModeDecision(Mode.DRY_RUN, reasons);
  }
}

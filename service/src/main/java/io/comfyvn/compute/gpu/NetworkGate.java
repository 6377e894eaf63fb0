package io.comfyvn.compute.gpu;

import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.gpu.http.GatedTransport;
import io.comfyvn.compute.gpu.http.HttpTransport;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import java.util.Optional;

/**
 * The one answer to "may this call leave the machine?". Every outbound path asks it: a submit (its
 * mode decision), the tracker's polls (of resumed tasks too), cancel, provider webhooks (a
 * signing-key fetch, artifact downloads), live health, and the compute provider registry's checks.
 * With {@code enable_public_gpu_adapters} off, it says no to all of them.
 *
 * <p>Callers ask before they build a request, so they can answer properly (a dry-run, a cancel that
 * says it could not reach the provider, a 503 to a webhook); the transports are also wrapped in
 * {@link #guard} so a path that forgot to ask still sends nothing.
 */
public final class NetworkGate {
  private final AppConfig config;
  private final SecretStore secrets;

  public NetworkGate(AppConfig config, SecretStore secrets) {
    this.config = config;
    this.secrets = secrets;
  }

  /**
   * How a call to a provider runs (see {@link ModeDecision}); only {@link Mode#LIVE} sends
   * anything.
   */
  public ModeDecision decide(GpuProvider p, ModeDecision.Requested requested) {
    return ModeDecision.decide(
        flagOn(),
        secrets.missing(p.descriptor().secretKeys()),
        config.provider(p.descriptor().slug()).mode(),
        p.hasLiveClient(),
        requested);
  }

  /**
   * Why a call to the provider's live API must not leave now, or empty when it may: the decision a
   * submit with no preference would get. Polls, cancels, webhooks and downloads of a task already
   * live ask this, so turning the flag off (or the provider back to dry-run) stops them too.
   */
  public Optional<String> closedFor(GpuProvider p) {
    ModeDecision d = decide(p, ModeDecision.Requested.AUTO);
    return d.mode() == Mode.LIVE
        ? Optional.empty()
        : Optional.of(
            "network calls to "
                + p.descriptor().slug()
                + " are off: "
                + String.join("; ", d.reasons()));
  }

  /** Why the compute provider registry's checks must not leave now, or empty when they may. */
  public Optional<String> registryClosed() {
    return flagOn()
        ? Optional.empty()
        : Optional.of(
            "network calls are off: feature flag " + AppConfig.PUBLIC_GPU_FLAG + " is off");
  }

  /** Whether {@code enable_public_gpu_adapters} is on. */
  public boolean flagOn() {
    return config.feature(AppConfig.PUBLIC_GPU_FLAG);
  }

  /** The registry checks' transport, which sends nothing while the gate is closed for them. */
  public HttpTransport guardRegistry(HttpTransport inner) {
    return new GatedTransport(inner, this::registryClosed);
  }
}

package io.comfyvn.compute.gpu.replicate;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import io.comfyvn.compute.gpu.http.ResilienceSettings;
import java.time.Clock;
import java.util.Optional;

/** Replicate predictions (by version, model or deployment). */
public final class ReplicateProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(ReplicateProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(
        new ReplicateClient(
            context,
            ResilienceSettings.of(DESCRIPTOR, context.settings()).readTimeout(),
            Clock.systemUTC()));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

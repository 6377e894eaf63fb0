package io.comfyvn.compute.gpu.replicate;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** Replicate predictions (by version, model or deployment). */
public final class ReplicateProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(ReplicateProvider.class);

  /** The account's webhook key, fetched once for all the clients built from this provider. */
  private final AtomicReference<ReplicateClient.AccountKey> accountKey = new AtomicReference<>();

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(
        new ReplicateClient(
            context, context.http().timeout(Op.CREATE), Clock.systemUTC(), accountKey));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

package io.comfyvn.compute.gpu.runpod;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/** RunPod serverless: queue-based endpoints ({@code /v2/{endpoint}/run}, status, cancel). */
public final class RunpodProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(RunpodProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(new RunpodClient(context));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

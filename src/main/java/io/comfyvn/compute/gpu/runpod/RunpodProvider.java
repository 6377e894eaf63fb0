package io.comfyvn.compute.gpu.runpod;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.ProviderDescriptor;

/** RunPod serverless: queue-based endpoints ({@code /v2/{endpoint}/run}, status, cancel). */
public final class RunpodProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(RunpodProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }
}

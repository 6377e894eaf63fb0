package io.comfyvn.compute.gpu.replicate;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.ProviderDescriptor;

/** Replicate predictions (by version, model or deployment). */
public final class ReplicateProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(ReplicateProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }
}

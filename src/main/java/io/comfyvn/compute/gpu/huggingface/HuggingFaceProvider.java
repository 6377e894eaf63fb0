package io.comfyvn.compute.gpu.huggingface;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.ProviderDescriptor;

/** Hugging Face Inference Endpoints (managed deployments) and HF Jobs. */
public final class HuggingFaceProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(HuggingFaceProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }
}

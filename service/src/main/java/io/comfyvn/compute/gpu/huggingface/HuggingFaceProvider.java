package io.comfyvn.compute.gpu.huggingface;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/** Hugging Face Inference Endpoints (managed deployments) and HF Jobs. */
public final class HuggingFaceProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(HuggingFaceProvider.class);

  /** Inference calls in flight; here rather than in a client so a fresh client still finds them. */
  private final InferenceRuns runs = InferenceRuns.standard();

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(new HuggingFaceClient(context, runs));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

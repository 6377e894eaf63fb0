package io.comfyvn.compute.gpu.comfycloud;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/**
 * Comfy API v2: Comfy-Org's job API for Comfy Cloud, serverless deployments and {@code
 * comfy-api-proxy} in front of a self-hosted ComfyUI. It runs workflow jobs only.
 */
public final class ComfyCloudProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(ComfyCloudProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(new ComfyCloudClient(context));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

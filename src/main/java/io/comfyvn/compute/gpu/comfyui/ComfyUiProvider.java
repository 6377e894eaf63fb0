package io.comfyvn.compute.gpu.comfyui;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/**
 * A self-hosted ComfyUI server (this machine, an unRAID box on the LAN) through ComfyUI's own HTTP
 * API. No secret is required; a reverse proxy's bearer token is an optional secret.
 */
public final class ComfyUiProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR =
      ProviderDescriptor.load(ComfyUiProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(new ComfyUiClient(context));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

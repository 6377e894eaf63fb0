package io.comfyvn.compute.gpu.comfyui;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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

  /**
   * One progress socket per box and client id for the life of the service (clients are built per
   * use; the socket outlives them).
   */
  private final Map<String, ProgressFeed> feeds = new ConcurrentHashMap<>();

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(
        new ComfyUiClient(
            context,
            (base, clientId) ->
                feeds.computeIfAbsent(
                    base + "\n" + clientId,
                    k -> new ProgressFeed(base, clientId, context.mapper()))));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

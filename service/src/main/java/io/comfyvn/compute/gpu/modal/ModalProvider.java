package io.comfyvn.compute.gpu.modal;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/** Modal, through the small web-endpoint contract this project ships as a sample app. */
public final class ModalProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR = ProviderDescriptor.load(ModalProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Optional<LiveClient> live(LiveContext context) {
    return Optional.of(new ModalClient(context));
  }

  @Override
  public boolean hasLiveClient() {
    return true;
  }
}

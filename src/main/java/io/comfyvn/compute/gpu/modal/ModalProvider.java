package io.comfyvn.compute.gpu.modal;

import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.ProviderDescriptor;

/** Modal, through the small web-endpoint contract this project ships as a sample app. */
public final class ModalProvider implements GpuProvider {
  private static final ProviderDescriptor DESCRIPTOR = ProviderDescriptor.load(ModalProvider.class);

  @Override
  public ProviderDescriptor descriptor() {
    return DESCRIPTOR;
  }
}

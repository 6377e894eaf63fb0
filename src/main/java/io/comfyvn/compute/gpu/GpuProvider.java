package io.comfyvn.compute.gpu;

/**
 * What a provider package supplies: its metadata (from its {@code provider.json}). Dry-run and sim
 * are written once for all providers and parameterized by this data; a provider package adds only
 * its live protocol. Providers are found with {@link java.util.ServiceLoader}, so adding one is a
 * new package plus a line in {@code META-INF/services/io.comfyvn.compute.gpu.GpuProvider}.
 */
public interface GpuProvider {

  /** The provider's metadata. */
  ProviderDescriptor descriptor();
}

package io.comfyvn.compute.registry;

/**
 * The registry's parts, as the web layer uses them.
 *
 * @param registry the entries
 * @param templates what {@code create} starts from
 * @param checks health, quota and templates per service
 * @param bootstrap the {@code provider.bootstrap} task
 */
public record ProviderRegistryService(
    ComputeProviderRegistry registry,
    ProviderTemplates templates,
    ProviderChecks checks,
    ProviderBootstrap bootstrap) {}

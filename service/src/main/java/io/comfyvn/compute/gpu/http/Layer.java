package io.comfyvn.compute.gpu.http;

/**
 * One layer of a provider's transport (see {@link TransportStack}): it does its one job and hands
 * the exchange to the layer below. Every layer answers alike: a 2xx/3xx reply, or a {@link
 * ProviderException} that says whether the request may have reached the provider.
 */
@FunctionalInterface
interface Layer {
  HttpReply send(Exchange x);
}

package io.comfyvn.compute.gpu.http;

/**
 * A documented rate limit. It lives with the transport (not the provider contract) so this package
 * needs nothing from {@code gpu}: provider descriptors hand their limits down as these values.
 *
 * @param permits calls allowed per period
 * @param periodMs the period in milliseconds
 */
public record RateLimit(int permits, long periodMs) {}

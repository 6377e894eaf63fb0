package io.comfyvn.compute.gpu.http;

/**
 * A documented rate limit: at most {@code permits} calls in any window of {@code periodMs}. It
 * lives with the transport (not the provider contract) so this package needs nothing from {@code
 * gpu}: provider descriptors hand their limits down as these values.
 *
 * @param permits calls allowed per period (at least 1)
 * @param periodMs the period in milliseconds (at least 1)
 */
public record RateLimit(int permits, long periodMs) {
  public RateLimit {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be a whole number of at least 1");
    }
    if (periodMs < 1) {
      throw new IllegalArgumentException("period_ms must be a whole number of at least 1");
    }
  }
}

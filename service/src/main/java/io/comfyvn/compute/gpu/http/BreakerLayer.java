package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Stops calling a provider that keeps failing (resilience4j's count-based breaker, on an injected
 * clock so its open and half-open states are tested without waiting). What counts against the
 * provider is what says it is unwell: no answer at all, or a 5xx. A 4xx answer is a healthy
 * provider saying no. Calls that never left (the rate limiter's or the egress guard's refusals) are
 * not counted either way.
 *
 * <p>While open, calls fail at once with {@code provider_circuit_open} (503, not sent); after
 * {@code open_ms} a few trial calls pass (half-open) and decide whether it closes again.
 */
final class BreakerLayer implements Layer {
  private final String provider;
  private final CircuitBreaker breaker;
  private final Duration openFor;
  private final Layer next;

  BreakerLayer(String provider, ResilienceSettings s, Clock clock, Layer next) {
    this.provider = provider;
    this.openFor = s.openFor();
    this.next = next;
    this.breaker =
        CircuitBreaker.of(
            provider,
            CircuitBreakerConfig.custom()
                .clock(clock)
                .failureRateThreshold(s.failureRatePercent())
                .slidingWindowSize(s.window())
                .minimumNumberOfCalls(Math.min(s.window(), 10))
                .permittedNumberOfCallsInHalfOpenState(Math.min(s.window(), 3))
                .waitDurationInOpenState(s.openFor())
                // Slowness is the timeouts' business: a cold Hugging Face endpoint legitimately
                // takes minutes, and must not open the breaker for everyone else.
                .slowCallDurationThreshold(Duration.ofDays(1))
                .build());
  }

  /** The breaker's state, for tests and health answers. */
  CircuitBreaker.State state() {
    return breaker.getState();
  }

  @Override
  public HttpReply send(Exchange x) {
    if (!breaker.tryAcquirePermission()) {
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "provider_circuit_open",
          provider + " is failing; calls paused for up to " + openFor.toSeconds() + " s",
          true,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    long start = System.nanoTime();
    try {
      HttpReply reply = next.send(x);
      breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      return reply;
    } catch (ProviderException e) {
      long took = System.nanoTime() - start;
      if (unwell(e)) {
        breaker.onError(took, TimeUnit.NANOSECONDS, e);
      } else if (e.httpStatus() > 0) {
        breaker.onSuccess(took, TimeUnit.NANOSECONDS);
      } else {
        breaker.releasePermission();
      }
      throw e;
    } catch (RuntimeException e) {
      breaker.releasePermission();
      throw e;
    }
  }

  /** Whether a failure says the provider is unwell: a 5xx, or no usable answer at all. */
  static boolean unwell(ProviderException e) {
    return e.httpStatus() >= 500
        || "provider_timeout".equals(e.code())
        || "provider_unreachable".equals(e.code());
  }
}

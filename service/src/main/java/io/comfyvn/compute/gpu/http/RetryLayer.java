package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Repeats a failed call when its failure class says repeating is safe and may help ({@link
 * #retries}), up to {@code max_attempts}, waiting between attempts: the provider's {@code
 * Retry-After} when it sent one, else exponential back-off from {@code base_delay_ms} capped at
 * {@code max_delay_ms}, less up to 25% jitter so many clients do not retry in step (the shape of
 * the Anthropic SDK's retrying client).
 *
 * <p>{@code Retry-After} is honoured, never shortened: when it asks for more than {@code
 * max_retry_after_ms}, this layer does not wait on the caller's thread but gives the failure back
 * with its {@code Retry-After}, for the caller (a client, the tracker's next poll) to come back
 * then.
 */
final class RetryLayer implements Layer {
  private final ResilienceSettings settings;
  private final Sleeper sleeper;
  private final DoubleSupplier random;
  private final Layer next;

  /**
   * @param random a number in [0, 1) for the jitter
   */
  RetryLayer(ResilienceSettings settings, Sleeper sleeper, DoubleSupplier random, Layer next) {
    this.settings = settings;
    this.sleeper = sleeper;
    this.random = random;
    this.next = next;
  }

  @Override
  public HttpReply send(Exchange x) {
    for (int attempt = 1; ; attempt++) {
      try {
        return next.send(x);
      } catch (ProviderException e) {
        if (attempt >= settings.maxAttempts() || !retries(x.op(), x.keyed(), e)) {
          throw e;
        }
        Optional<Duration> wait = delay(attempt, e);
        if (wait.isEmpty()) {
          throw e;
        }
        try {
          sleeper.sleep(wait.get());
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Whether a failure may be repeated by this service, by its class:
   *
   * <ul>
   *   <li>never: refusals of our own (nothing was sent and repeating cannot help now: {@code
   *       rate_limited}, {@code provider_circuit_open}, {@code egress_denied}, {@code network_off})
   *       and 4xx answers other than 429;
   *   <li>any operation: the request never reached the provider ({@code provider_unreachable}), or
   *       the provider refused it for now (429, 503);
   *   <li>reads and cancels only: the outcome is ambiguous (a timeout after sending, another 5xx).
   *       A create that may have reached the provider is never resent: it may have created a job;
   *       unless it carries an {@code Idempotency-Key} ({@code keyed}), which the provider answers
   *       with its first outcome instead of creating again.
   * </ul>
   */
  static boolean retries(Op op, ProviderException e) {
    return retries(op, false, e);
  }

  static boolean retries(Op op, boolean keyed, ProviderException e) {
    return switch (e.code()) {
      case "rate_limited", "provider_circuit_open", "egress_denied", "network_off" -> false;
      default ->
          switch (e.sent()) {
            case NOT_SENT -> true;
            case REFUSED -> e.httpStatus() == 429 || e.httpStatus() == 503;
            case AMBIGUOUS -> op != Op.CREATE || keyed;
          };
    };
  }

  /** The wait before the next attempt, or empty when the provider asked for longer than we wait. */
  Optional<Duration> delay(int attempt, ProviderException e) {
    Optional<Duration> asked = e.retryAfter();
    if (asked.isPresent()) {
      return asked.get().compareTo(settings.maxRetryAfter()) <= 0 ? asked : Optional.empty();
    }
    long base = settings.baseDelay().toMillis() << Math.min(attempt - 1, 16);
    long capped = Math.min(base, settings.maxDelay().toMillis());
    return Optional.of(Duration.ofMillis(capped - (long) (capped * 0.25 * random.getAsDouble())));
  }
}

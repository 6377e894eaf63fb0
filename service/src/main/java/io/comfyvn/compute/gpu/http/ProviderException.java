package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.errors.ComputeException;
import java.time.Duration;

/**
 * A provider call that failed. Besides the HTTP-facing kind it records whether the request may have
 * reached the provider ({@link #sent()}), which decides if a create may be retried, and when to
 * come back ({@link #retryAfter()}: the provider's {@code Retry-After}, or when the local rate
 * limiter has a token again).
 */
public final class ProviderException extends ComputeException {
  private static final long serialVersionUID = 1L;

  /** Whether the provider may have acted on the request. */
  public enum Sent {
    /** The request never reached the provider (connection refused, DNS, circuit open). */
    NOT_SENT,
    /** The provider answered and, by its docs, did not act on it (4xx, 429, 503). */
    REFUSED,
    /** Unknown: timed out or dropped after sending, or a 5xx that may follow an accepted create. */
    AMBIGUOUS
  }

  private final Sent sent;
  private final int httpStatus;

  public ProviderException(
      Kind kind,
      String code,
      String message,
      boolean retryable,
      Sent sent,
      int httpStatus,
      Duration retryAfter,
      Throwable cause) {
    super(kind, code, message, retryable, cause);
    this.sent = sent;
    this.httpStatus = httpStatus;
    // the caller is given it as Retry-After, and the tracker waits at least that long
    retryAfter(retryAfter);
  }

  public Sent sent() {
    return sent;
  }

  /** The provider's HTTP status, or 0 when there was no answer. */
  public int httpStatus() {
    return httpStatus;
  }
}

package io.comfyvn.compute.errors;

/**
 * Every failure this service reports to a caller. The web layer maps {@link Kind} to an HTTP status
 * in one place; the message is shown to the caller, so it must never hold a secret.
 */
public class ComputeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, in terms a caller can act on. */
  public enum Kind {
    /** The request is malformed or names something invalid (HTTP 400). */
    BAD_REQUEST,
    /** The caller could not be authenticated (HTTP 401). */
    UNAUTHORIZED,
    /** The thing asked for does not exist (HTTP 404). */
    NOT_FOUND,
    /** The request conflicts with the current state (HTTP 409). */
    CONFLICT,
    /** The body is larger than the service accepts (HTTP 413). */
    TOO_LARGE,
    /** The request is well formed but cannot be processed (HTTP 422). */
    UNPROCESSABLE,
    /** A spend limit is reached: the request would cost more than the caller allowed (HTTP 402). */
    OVER_BUDGET,
    /** Too many requests of this kind for now; {@link #retryAfter()} says when (HTTP 429). */
    RATE_LIMITED,
    /** An upstream provider failed or answered nonsense (HTTP 502). */
    UPSTREAM_FAILED,
    /** An upstream provider or a local resource is unavailable for now (HTTP 503). */
    UNAVAILABLE,
    /** An upstream provider did not answer in time (HTTP 504). */
    UPSTREAM_TIMEOUT
  }

  private final Kind kind;
  private final String code;
  private final boolean retryable;
  private final java.util.Map<String, Object> details = new java.util.TreeMap<>();
  private transient java.time.Duration retryAfter;

  public ComputeException(Kind kind, String code, String message) {
    this(kind, code, message, false, null);
  }

  public ComputeException(
      Kind kind, String code, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.code = code;
    this.retryable = retryable;
  }

  public Kind kind() {
    return kind;
  }

  /** A stable machine-readable code such as {@code unknown_provider}. */
  public String code() {
    return code;
  }

  /** Whether the same request may succeed later. */
  public boolean retryable() {
    return retryable;
  }

  /** Extra fields for the error answer, such as the {@code task_id} a failed submit recorded. */
  public java.util.Map<String, Object> details() {
    return java.util.Collections.unmodifiableMap(details);
  }

  /** Adds an extra field to the error answer; returns this. */
  public ComputeException detail(String key, Object value) {
    details.put(key, value);
    return this;
  }

  /** When the caller may try again, sent as {@code Retry-After}; empty when not known. */
  public java.util.Optional<java.time.Duration> retryAfter() {
    return java.util.Optional.ofNullable(retryAfter);
  }

  /** Sets the {@code Retry-After} the caller is given; returns this. */
  public ComputeException retryAfter(java.time.Duration after) {
    this.retryAfter = after;
    return this;
  }

  /** A 400 with the given code. */
  public static ComputeException badRequest(String code, String message) {
    return new ComputeException(Kind.BAD_REQUEST, code, message);
  }

  /** A 404 with the given code. */
  public static ComputeException notFound(String code, String message) {
    return new ComputeException(Kind.NOT_FOUND, code, message);
  }
}

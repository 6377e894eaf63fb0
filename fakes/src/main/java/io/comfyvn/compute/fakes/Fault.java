package io.comfyvn.compute.fakes;

import java.time.Duration;

/**
 * One injected fault for the next {@code times} matching requests of a provider's operation ({@code
 * "*"} matches every operation).
 *
 * <p>{@link Kind#STATUS} and {@link Kind#DROP} strike before the request is handled, so nothing was
 * accepted (a clean retry is safe). {@link Kind#SLOW}, {@link Kind#DROP_AFTER} and {@link
 * Kind#MALFORMED} strike after it was handled: a create did happen, which is the ambiguous case a
 * client must reconcile instead of resubmitting.
 *
 * @param retryAfterSeconds the {@code Retry-After} value for STATUS faults, or null for none
 * @param delay the extra real-time delay of a SLOW fault (client timeouts run on real time)
 */
public record Fault(
    String provider,
    String operation,
    Kind kind,
    int times,
    int status,
    Integer retryAfterSeconds,
    Duration delay) {

  /** What the fault does to a request. */
  public enum Kind {
    /** Answer with an error status (429, 500, 502, 503, ...) in the provider's error format. */
    STATUS,
    /** Close the connection without answering, before handling. */
    DROP,
    /** Handle the request, then close the connection without answering. */
    DROP_AFTER,
    /** Handle the request, then hold the answer for {@code delay}. */
    SLOW,
    /** Handle the request, then send a truncated JSON body. */
    MALFORMED,
    /**
     * Answer with an error status whose message (longer than 300 characters) quotes the request's
     * credential headers back, raw, URL-encoded and base64, as a careless provider or proxy might;
     * the first key starts at character 266, so it straddles the 300th, where answers are cut. The
     * service must show none of it.
     */
    ECHO,
    /**
     * Handle the request, then append the request's credential headers to the job id of the answer
     * ({@code id}, {@code prompt_id} or {@code request_id}), e.g. {@code "p-Bearer <key>"}.
     */
    ECHO_ID
  }

  public Fault {
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1");
    }
    if ((kind == Kind.STATUS || kind == Kind.ECHO) && (status < 400 || status > 599)) {
      throw new IllegalArgumentException("a " + kind + " fault needs a 4xx or 5xx status");
    }
    if (kind == Kind.SLOW && (delay == null || delay.isNegative())) {
      throw new IllegalArgumentException("a SLOW fault needs a delay");
    }
  }

  /** The next {@code times} requests get {@code status} (no {@code Retry-After}). */
  public static Fault status(String provider, String operation, int status, int times) {
    return new Fault(provider, operation, Kind.STATUS, times, status, null, null);
  }

  /** The next {@code times} requests get 429 with {@code Retry-After: seconds}, or none if null. */
  public static Fault tooManyRequests(
      String provider, String operation, Integer retryAfterSeconds, int times) {
    return new Fault(provider, operation, Kind.STATUS, times, 429, retryAfterSeconds, null);
  }

  public static Fault drop(String provider, String operation, int times) {
    return new Fault(provider, operation, Kind.DROP, times, 0, null, null);
  }

  public static Fault dropAfterHandling(String provider, String operation, int times) {
    return new Fault(provider, operation, Kind.DROP_AFTER, times, 0, null, null);
  }

  public static Fault slow(String provider, String operation, Duration delay, int times) {
    return new Fault(provider, operation, Kind.SLOW, times, 0, null, delay);
  }

  /** The next {@code times} requests get {@code status} with a long error quoting their keys. */
  public static Fault echo(String provider, String operation, int status, int times) {
    return new Fault(provider, operation, Kind.ECHO, times, status, null, null);
  }

  /** The next {@code times} answers carry the request's keys inside their job id. */
  public static Fault echoInId(String provider, String operation, int times) {
    return new Fault(provider, operation, Kind.ECHO_ID, times, 0, null, null);
  }

  public static Fault malformed(String provider, String operation, int times) {
    return new Fault(provider, operation, Kind.MALFORMED, times, 0, null, null);
  }

  boolean matches(String provider, String operation) {
    return this.provider.equals(provider)
        && (this.operation.equals("*") || this.operation.equals(operation));
  }
}

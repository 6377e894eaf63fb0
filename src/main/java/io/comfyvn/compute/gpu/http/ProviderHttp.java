package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A provider's HTTP door: every call goes through its rate limiter (sized to the provider's
 * documented limits), circuit breaker and retry policy (resilience4j), with timeouts, and every
 * failure comes out as a {@link ProviderException} whose text holds no secret.
 *
 * <p>Retry rules: reads and cancels retry on 429, 5xx, timeouts and refused connections; a create
 * retries only when the provider cannot have accepted it (refused connection, 429, 503), never
 * after an ambiguous failure, so a job is never created twice. {@code Retry-After} is honoured.
 *
 * <p>It sends through an {@link EgressGuard} (the type is required, so no provider can bypass it):
 * credentials go only where they belong, and every answer arrives already scrubbed of every secret.
 * A denied request ({@code egress_denied}) is neither sent nor retried.
 */
public final class ProviderHttp {
  private final String provider;
  private final EgressGuard transport;
  private final ResilienceSettings settings;
  private final ObjectMapper mapper;
  private final CircuitBreaker breaker;
  private final Map<Op, RateLimiter> limiters = new java.util.concurrent.ConcurrentHashMap<>();
  private final Retry createRetry;
  private final Retry otherRetry;
  private final Supplier<Optional<String>> closedBecause;

  public ProviderHttp(
      String provider, EgressGuard transport, ResilienceSettings settings, ObjectMapper mapper) {
    this(provider, transport, settings, Optional::empty, mapper);
  }

  /**
   * @param closedBecause the network gate for this provider: why nothing may be sent now, or empty
   *     while calls may leave the machine (asked before every attempt)
   */
  public ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      Supplier<Optional<String>> closedBecause,
      ObjectMapper mapper) {
    this.provider = provider;
    this.closedBecause = closedBecause;
    this.transport = transport;
    this.settings = settings;
    this.mapper = mapper;
    this.breaker =
        CircuitBreaker.of(
            provider,
            CircuitBreakerConfig.custom()
                .failureRateThreshold(settings.failureRatePercent())
                .slidingWindowSize(settings.window())
                .minimumNumberOfCalls(Math.min(settings.window(), 10))
                .waitDurationInOpenState(settings.openFor())
                .build());
    settings.limits().forEach((op, limit) -> limiters.put(op, limiter(provider + "-" + op, limit)));
    this.createRetry = retry(provider + "-create", true);
    this.otherRetry = retry(provider + "-read", false);
  }

  /**
   * Keeps this door to its share of the documented limits when {@code instances} instances share
   * them (scale-out: each gets an equal part, so together they stay under the limit). Called when
   * the count of live instances changes; permits taken from the old limiters are not carried over.
   */
  public void shareAmong(int instances) {
    settings
        .limits()
        .forEach((op, limit) -> limiters.put(op, limiter(provider + "-" + op, limit, instances)));
  }

  static RateLimiter limiter(String name, RateLimit limit) {
    return limiter(name, limit, 1);
  }

  /**
   * A limiter that keeps any sliding window of the documented length under this instance's share of
   * the documented limit: providers count requests in sliding windows, while resilience4j refills
   * {@code p} permits every fixed period {@code T} (which allows {@code p * (W/T + 1)} in a window
   * {@code W}). So {@code p} is about a tenth of the share and {@code T} is chosen so that {@code p
   * * (W/T + 1)} stays under 90% of the share; a share under one call per window still gets one
   * call per window (a floor, documented in scale-out.md).
   */
  static RateLimiter limiter(String name, RateLimit limit, int instances) {
    long window = Math.max(1, limit.periodMs());
    double share = limit.permits() / (double) Math.max(1, instances) * 0.9;
    int permits = Math.max(1, (int) Math.floor(share / 10.0));
    long period =
        share > permits
            ? Math.max(1, (long) Math.ceil(window * permits / (share - permits)))
            : window + 1;
    return RateLimiter.of(
        name,
        RateLimiterConfig.custom()
            .limitForPeriod(permits)
            .limitRefreshPeriod(Duration.ofMillis(period))
            .timeoutDuration(Duration.ofMillis(Math.max(limit.periodMs(), 1000)))
            .build());
  }

  /** Sends a call; returns a 2xx/3xx answer or throws {@link ProviderException}. */
  public HttpReply call(Op op, HttpCall call) {
    Retry retry = op == Op.CREATE ? createRetry : otherRetry;
    return Retry.decorateSupplier(retry, () -> attempt(op, call)).get();
  }

  /**
   * The provider's error text from an answer, without secrets (for messages and task errors):
   * scrubbed first (the guard already did; this keeps the rule where the text is cut), then cut to
   * 300 characters, so a cut can never leave part of a secret behind.
   */
  public String errorText(HttpReply reply) {
    String text = reply.text();
    try {
      JsonNode j = mapper.readTree(text);
      if (j != null && j.isObject()) {
        for (String f : new String[] {"detail", "error", "message", "title"}) {
          JsonNode v = j.get(f);
          if (v != null && v.isTextual() && !v.asText().isBlank()) {
            text = v.asText();
            break;
          }
          if (v != null && !v.isNull() && !v.isTextual()) {
            text = v.toString();
            break;
          }
        }
      }
    } catch (java.io.IOException notJson) {
      // plain-text errors (Modal's proxy, HF's management API) are used as they are
    }
    return cut(scrub(text), 300).strip();
  }

  /** A text cut to at most {@code max} characters (plus "..."); scrub before cutting. */
  public static String cut(String text, int max) {
    return text.length() > max ? text.substring(0, max) + "..." : text;
  }

  /** Masks every secret the service holds (every provider's) in a text, in every covered form. */
  public String scrub(String text) {
    return transport.scrub(text);
  }

  private HttpReply attempt(Op op, HttpCall call) {
    Optional<String> closed = closedBecause.get();
    if (closed.isPresent()) {
      // the network gate is closed for this provider: nothing is sent, and retrying cannot help
      throw new ProviderException(
          Kind.UNAVAILABLE, "network_off", closed.get(), false, Sent.NOT_SENT, 0, null, null);
    }
    if (!breaker.tryAcquirePermission()) {
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "provider_circuit_open",
          provider + " is failing; calls paused for up to " + settings.openFor().toSeconds() + " s",
          true,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    if (!limiters.get(op).acquirePermission()) {
      breaker.releasePermission();
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "local_rate_limit",
          provider + " " + op.name().toLowerCase(java.util.Locale.ROOT) + " rate limit reached",
          true,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    long start = System.nanoTime();
    HttpReply reply;
    try {
      reply = transport.send(call, settings.readTimeout());
    } catch (ProviderException denied) {
      // egress_denied: nothing was sent, so the breaker saw no call
      breaker.releasePermission();
      throw denied;
    } catch (HttpTransport.TransportException e) {
      breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
      // An ambiguous create must not be retried by anyone (it may have created a job): not
      // retryable, reconciled instead. Reads and cancels are safe to repeat.
      throw e.maybeSent()
          ? new ProviderException(
              Kind.UPSTREAM_TIMEOUT,
              "provider_timeout",
              provider + " " + call.describe() + ": no complete answer (it may have been received)",
              op != Op.CREATE,
              Sent.AMBIGUOUS,
              0,
              null,
              null)
          : new ProviderException(
              Kind.UNAVAILABLE,
              "provider_unreachable",
              provider + " " + call.describe() + ": cannot connect",
              true,
              Sent.NOT_SENT,
              0,
              null,
              null);
    }
    long took = System.nanoTime() - start;
    if (reply.status() >= 500) {
      breaker.onError(
          took, TimeUnit.NANOSECONDS, new IllegalStateException("HTTP " + reply.status()));
    } else {
      breaker.onSuccess(took, TimeUnit.NANOSECONDS);
    }
    if (reply.status() < 400) {
      return reply;
    }
    throw failure(op, call, reply);
  }

  private ProviderException failure(Op op, HttpCall call, HttpReply reply) {
    int s = reply.status();
    String what = provider + " " + call.describe() + " -> HTTP " + s + ": " + errorText(reply);
    Duration retryAfter = retryAfter(reply);
    if (s == 429) {
      return new ProviderException(
          Kind.UNAVAILABLE, "provider_rate_limited", what, true, Sent.REFUSED, s, retryAfter, null);
    }
    if (s == 503) {
      return new ProviderException(
          Kind.UNAVAILABLE, "provider_unavailable", what, true, Sent.REFUSED, s, retryAfter, null);
    }
    if (s >= 500) {
      Kind kind = s == 504 ? Kind.UPSTREAM_TIMEOUT : Kind.UPSTREAM_FAILED;
      return new ProviderException(
          kind, "provider_error", what, op != Op.CREATE, Sent.AMBIGUOUS, s, retryAfter, null);
    }
    return switch (s) {
      case 401, 403 ->
          new ProviderException(
              Kind.UPSTREAM_FAILED,
              "provider_unauthorized",
              what,
              false,
              Sent.REFUSED,
              s,
              null,
              null);
      case 404, 410 ->
          new ProviderException(
              Kind.NOT_FOUND, "provider_not_found", what, false, Sent.REFUSED, s, null, null);
      case 409 ->
          new ProviderException(
              Kind.CONFLICT, "provider_conflict", what, false, Sent.REFUSED, s, null, null);
      default ->
          new ProviderException(
              Kind.UNPROCESSABLE, "provider_rejected", what, false, Sent.REFUSED, s, null, null);
    };
  }

  private Retry retry(String name, boolean create) {
    IntervalBiFunction<Object> interval =
        (attempt, either) -> {
          if (either.isLeft()
              && either.getLeft() instanceof ProviderException pe
              && pe.retryAfter().isPresent()) {
            return Math.min(pe.retryAfter().get().toMillis(), settings.maxRetryAfter().toMillis());
          }
          long base = settings.baseDelay().toMillis() << Math.min(attempt - 1, 16);
          long capped = Math.min(base, settings.maxDelay().toMillis());
          // up to 25% jitter, so many clients do not retry in step
          return capped - ThreadLocalRandom.current().nextLong(capped / 4 + 1);
        };
    return Retry.of(
        name,
        RetryConfig.custom()
            .maxAttempts(settings.maxAttempts())
            .intervalBiFunction(interval)
            .retryOnException(
                e ->
                    e instanceof ProviderException pe
                        && pe.retryable()
                        && !"provider_circuit_open".equals(pe.code())
                        && (!create || pe.sent() != Sent.AMBIGUOUS))
            .build());
  }

  /** {@code Retry-After} as seconds or an HTTP date; absent or unreadable gives null. */
  static Duration retryAfter(HttpReply reply) {
    String v = reply.header("retry-after").orElse(null);
    if (v == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(v.trim())));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (java.time.format.DateTimeParseException unreadable) {
        return null;
      }
    }
  }
}

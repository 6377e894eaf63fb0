package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * A provider's HTTP door. Every call goes down the provider's {@link TransportStack}: retry by
 * failure class (honouring {@code Retry-After}), circuit breaker, rate limiter (sized to the
 * provider's documented limits, never holding a thread past a small bound), then the {@link
 * EgressGuard} (the type is required, so no provider can bypass it: credentials go only where they
 * belong, every answer arrives scrubbed of every secret). Each operation has its own timeout; a
 * call may ask for a longer one (Hugging Face's inference request waits for a cold endpoint).
 *
 * <p>Every failure comes out as a {@link ProviderException} whose text holds no secret and which
 * says whether the request may have reached the provider. A create is resent only when the provider
 * cannot have accepted it (refused connection, 429, 503), never after an ambiguous failure, so a
 * job is never created twice.
 */
public final class ProviderHttp {
  /** The header that makes a create safe to resend (see {@link RetryLayer#retries}). */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private final ResilienceSettings settings;
  private final ObjectMapper mapper;
  private final EgressGuard guard;
  private final TransportStack.Composed stack;

  /** A door on the real clock, sleeping for real, with no network gate of its own. */
  public ProviderHttp(
      String provider, EgressGuard transport, ResilienceSettings settings, ObjectMapper mapper) {
    this(provider, transport, settings, Optional::empty, mapper);
  }

  /**
   * A door behind a network gate, on the real clock.
   *
   * @param closedBecause the network gate for this provider: why nothing may be sent now, or empty
   *     while calls may leave the machine (asked before every attempt)
   */
  public ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      Supplier<Optional<String>> closedBecause,
      ObjectMapper mapper) {
    this(provider, transport, settings, closedBecause, mapper, Clock.systemUTC(), Sleeper.system());
  }

  /**
   * A door on the given clock and sleeper (tests pass a manual clock and a sleeper that only moves
   * it, so retries and rate-limit waits take no real time).
   */
  public ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      ObjectMapper mapper,
      Clock clock,
      Sleeper sleeper) {
    this(provider, transport, settings, Optional::empty, mapper, clock, sleeper);
  }

  /** A door behind a network gate, on the given clock and sleeper. */
  public ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      Supplier<Optional<String>> closedBecause,
      ObjectMapper mapper,
      Clock clock,
      Sleeper sleeper) {
    this(
        provider,
        transport,
        settings,
        closedBecause,
        mapper,
        new TransportStack.Tools(clock, sleeper, () -> ThreadLocalRandom.current().nextDouble()));
  }

  ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      ObjectMapper mapper,
      TransportStack.Tools tools) {
    this(provider, transport, settings, Optional::empty, mapper, tools);
  }

  ProviderHttp(
      String provider,
      EgressGuard transport,
      ResilienceSettings settings,
      Supplier<Optional<String>> closedBecause,
      ObjectMapper mapper,
      TransportStack.Tools tools) {
    this.settings = settings;
    this.mapper = mapper;
    this.guard = transport;
    this.stack =
        TransportStack.compose(
            provider, transport, settings, closedBecause, tools, this::errorText);
  }

  /** Sends a call with its operation's timeout; returns a 2xx/3xx answer or throws. */
  public HttpReply call(Op op, HttpCall call) {
    return call(op, call, settings.timeout(op));
  }

  /**
   * Sends a call that may take longer (or must be quicker) than its operation's usual timeout.
   *
   * @param timeout how long each attempt waits for the whole answer
   * @throws ProviderException when no usable answer came
   */
  public HttpReply call(Op op, HttpCall call, Duration timeout) {
    return stack.top().send(new Exchange(op, call, timeout));
  }

  /**
   * Sends a call; returns a 2xx/3xx answer, or an error answer whose status {@code answered}
   * accepts (for a client that reads a provider's error body itself, e.g. to name the models a
   * refused workflow lacks), or throws. 429 and 5xx are never handed back: they are retried first.
   */
  public HttpReply call(Op op, HttpCall call, IntPredicate answered) {
    return stack.top().send(new Exchange(op, call, settings.timeout(op), answered));
  }

  /** {@link #call(Op, HttpCall, IntPredicate)} with its own timeout for each attempt. */
  public HttpReply call(Op op, HttpCall call, Duration timeout, IntPredicate answered) {
    return stack.top().send(new Exchange(op, call, timeout, answered));
  }

  /**
   * Keeps this door to its share of the documented limits when {@code instances} live instances
   * share them (scale-out: each gets an equal part, so together they stay under the limit). Called
   * when the count of live instances changes.
   */
  public void shareAmong(int instances) {
    stack.limiter().shareAmong(instances);
  }

  /** The usual timeout of an operation (what {@link #call(Op, HttpCall)} uses). */
  public Duration timeout(Op op) {
    return settings.timeout(op);
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
    return guard.scrub(text);
  }
}

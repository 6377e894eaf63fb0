package io.comfyvn.compute.gpu.http;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one place a provider's transport is composed. From the caller down:
 *
 * <ol>
 *   <li>{@link RetryLayer}: repeats an attempt when its failure class allows, honouring {@code
 *       Retry-After}. Outermost, so every attempt below is gated, limited, counted by the breaker
 *       and egress-checked like the first;
 *   <li>{@link GateLayer}: the network gate, asked before every attempt (nothing sent, no token
 *       spent while it is closed);
 *   <li>{@link BreakerLayer}: fails fast while the provider keeps failing. Above the limiter, so a
 *       call refused by an open breaker spends no token;
 *   <li>{@link RateLimitLayer}: the documented limits, never holding a thread past a small bound;
 *   <li>{@link SendingLayer}: sends through the {@link EgressGuard} (credentials only to their
 *       hosts; every answer scrubbed of every secret before anything reads it) and classifies the
 *       outcome (sent or not, error codes, {@code Retry-After}).
 * </ol>
 *
 * Below the guard is the bare transport the wiring built; only the guard sends over it.
 */
final class TransportStack {
  /** The layers from the caller down, by name (the order test reads it). */
  static final List<String> ORDER =
      List.of("retry", "gate", "breaker", "rate_limit", "egress_and_scrub");

  private TransportStack() {}

  /** What the layers need besides the settings: time, waiting and randomness, all injectable. */
  record Tools(Clock clock, Sleeper sleeper, DoubleSupplier random) {
    static Tools system() {
      return new Tools(
          Clock.systemUTC(), Sleeper.system(), () -> ThreadLocalRandom.current().nextDouble());
    }
  }

  /** The composed layers, with the breaker kept for its state and the limiter for its share. */
  record Composed(Layer top, BreakerLayer breaker, RateLimitLayer limiter) {}

  static Composed compose(
      String provider,
      EgressGuard guard,
      ResilienceSettings settings,
      Supplier<Optional<String>> closedBecause,
      Tools tools,
      Function<HttpReply, String> errorText) {
    Layer send = new SendingLayer(provider, guard, tools.clock(), errorText);
    RateLimitLayer limited =
        new RateLimitLayer(provider, settings, tools.clock(), tools.sleeper(), send);
    BreakerLayer breaker = new BreakerLayer(provider, settings, tools.clock(), limited);
    Layer gate = new GateLayer(closedBecause, breaker);
    Layer retry = new RetryLayer(settings, tools.sleeper(), tools.random(), gate);
    return new Composed(retry, breaker, limited);
  }
}

package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

/**
 * The bottom layer: sends through the {@link EgressGuard} (the one thing that sends over a bare
 * transport; it also scrubs every answer of every secret) and turns what came back into the
 * transport's one vocabulary. A 2xx/3xx answer is returned; everything else becomes a {@link
 * ProviderException} whose {@link Sent} says whether the provider may have acted on it:
 *
 * <ul>
 *   <li>no connection (refused, unresolvable, connect timeout): {@code provider_unreachable}, not
 *       sent;
 *   <li>no complete answer after sending: {@code provider_timeout}, ambiguous;
 *   <li>429 and 503: refused (the provider documents that it did not act), with its {@code
 *       Retry-After};
 *   <li>other 5xx: ambiguous (a create may have been accepted before the failure);
 *   <li>other 4xx: refused, never worth repeating.
 * </ul>
 *
 * The {@code retryable} label is what a caller is told: an ambiguous create is never labelled
 * retryable (repeating it may pay twice; it is reconciled instead). Whether this service itself
 * repeats a call is {@link RetryLayer}'s decision, made from {@link Sent} and the operation.
 */
final class SendingLayer implements Layer {
  private final String provider;
  private final EgressGuard guard;
  private final Clock clock;
  private final Function<HttpReply, String> errorText;

  SendingLayer(
      String provider, EgressGuard guard, Clock clock, Function<HttpReply, String> errorText) {
    this.provider = provider;
    this.guard = guard;
    this.clock = clock;
    this.errorText = errorText;
  }

  @Override
  public HttpReply send(Exchange x) {
    HttpCall call = x.call();
    HttpReply reply;
    try {
      // egress_denied (nothing sent) passes through as the guard threw it
      reply = guard.send(call, x.timeout());
    } catch (HttpTransport.TransportException e) {
      throw e.maybeSent()
          ? new ProviderException(
              Kind.UPSTREAM_TIMEOUT,
              "provider_timeout",
              provider
                  + " "
                  + call.describe()
                  + ": no complete answer in "
                  + seconds(x.timeout())
                  + " (it may have been received)",
              x.op() != Op.CREATE || x.keyed(),
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
    int s = reply.status();
    if (s < 400 || (s != 429 && s < 500 && x.answered().test(s))) {
      return reply;
    }
    throw failure(x.op(), x.keyed(), call, reply);
  }

  private ProviderException failure(Op op, boolean keyed, HttpCall call, HttpReply reply) {
    int s = reply.status();
    String what =
        provider + " " + call.describe() + " -> HTTP " + s + ": " + errorText.apply(reply);
    Duration retryAfter = RetryAfter.of(reply, clock.instant()).orElse(null);
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
          kind,
          "provider_error",
          what,
          op != Op.CREATE || keyed,
          Sent.AMBIGUOUS,
          s,
          retryAfter,
          null);
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
          // a keyed create whose first attempt is still in flight: come back under the same key
          keyed && retryAfter != null
              ? new ProviderException(
                  Kind.CONFLICT,
                  "provider_conflict",
                  what,
                  true,
                  Sent.AMBIGUOUS,
                  s,
                  retryAfter,
                  null)
              : new ProviderException(
                  Kind.CONFLICT, "provider_conflict", what, false, Sent.REFUSED, s, null, null);
      default ->
          new ProviderException(
              Kind.UNPROCESSABLE, "provider_rejected", what, false, Sent.REFUSED, s, null, null);
    };
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }
}

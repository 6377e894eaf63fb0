package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Duration;
import java.util.function.IntPredicate;

/**
 * One provider request on its way down the transport's layers: what kind of call it is (which
 * decides its rate limit and whether it may be resent), the request, and how long to wait for the
 * whole answer.
 *
 * @param op create, read or cancel
 * @param call the request
 * @param timeout how long one attempt may wait for the whole answer
 * @param answered error statuses (never 429 or 5xx) the caller reads itself, handed back as answers
 */
record Exchange(Op op, HttpCall call, Duration timeout, IntPredicate answered) {
  Exchange(Op op, HttpCall call, Duration timeout) {
    this(op, call, timeout, status -> false);
  }

  /**
   * Whether the request carries an {@code Idempotency-Key}: the provider then replays its first
   * answer to a resend under the same key instead of creating again (Comfy API v2), so even a
   * create may be resent after an ambiguous failure.
   */
  boolean keyed() {
    return call.headers().keySet().stream()
        .anyMatch(ProviderHttp.IDEMPOTENCY_KEY::equalsIgnoreCase);
  }
}

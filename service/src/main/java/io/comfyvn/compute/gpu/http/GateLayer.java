package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Asks the network gate before every attempt: while it is closed for this provider (feature flag
 * off, provider back to dry-run, secrets gone) nothing is sent, no token is spent and the breaker
 * sees nothing; the call fails with {@code network_off} (503, not sent, never retried).
 */
final class GateLayer implements Layer {
  private final Supplier<Optional<String>> closedBecause;
  private final Layer next;

  GateLayer(Supplier<Optional<String>> closedBecause, Layer next) {
    this.closedBecause = closedBecause;
    this.next = next;
  }

  @Override
  public HttpReply send(Exchange x) {
    Optional<String> closed = closedBecause.get();
    if (closed.isPresent()) {
      throw new ProviderException(
          Kind.UNAVAILABLE, "network_off", closed.get(), false, Sent.NOT_SENT, 0, null, null);
    }
    return next.send(x);
  }
}

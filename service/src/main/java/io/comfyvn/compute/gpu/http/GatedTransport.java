package io.comfyvn.compute.gpu.http;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A transport that sends only while a gate is open: the last line of "no byte leaves the machine
 * with the flag off", behind the callers' own checks. A refused call fails as never sent.
 */
public final class GatedTransport implements HttpTransport {
  private final HttpTransport inner;
  private final Supplier<Optional<String>> closedBecause;

  /**
   * @param closedBecause why the gate is closed now, or empty while it is open
   */
  public GatedTransport(HttpTransport inner, Supplier<Optional<String>> closedBecause) {
    this.inner = inner;
    this.closedBecause = closedBecause;
  }

  @Override
  public HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    Optional<String> closed = closedBecause.get();
    if (closed.isPresent()) {
      throw new TransportException("not sent (" + closed.get() + ")", false, null);
    }
    return inner.send(call, timeout);
  }
}

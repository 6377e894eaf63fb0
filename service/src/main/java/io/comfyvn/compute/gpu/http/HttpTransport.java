package io.comfyvn.compute.gpu.http;

import java.time.Duration;

/** Sends one HTTP request; the seam tests swap. Redirects are not followed. */
public interface HttpTransport {

  /**
   * Sends a request and waits for the whole answer.
   *
   * @throws TransportException when no complete answer arrived
   */
  HttpReply send(HttpCall call, Duration timeout) throws TransportException;

  /** No answer: whether the request may have reached the server decides if it may be resent. */
  final class TransportException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean maybeSent;

    public TransportException(String message, boolean maybeSent, Throwable cause) {
      super(message, cause);
      this.maybeSent = maybeSent;
    }

    /** False only when the connection was never made (refused, unresolvable). */
    public boolean maybeSent() {
      return maybeSent;
    }
  }
}

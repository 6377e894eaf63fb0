package io.comfyvn.compute.web.boundary;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one request body in full without holding a thread: each chunk is copied out (so no network
 * buffer stays pinned by a client that trickles bytes) and released, Jetty is asked to call back
 * when more arrives, and the route runs on a pool thread only once the last byte is in. A body over
 * the size limit is a 413, one that is not complete within the deadline a 408, a broken chunked
 * encoding a 400; a client that hangs up is logged at DEBUG (nobody is left to answer).
 *
 * <p>A request that is refused while its body is still arriving (too large, or refused on its
 * headers) is <em>drained</em> first, up to {@link #DRAIN_LIMIT} bytes, and answered after: a
 * server that answers and closes while the client is still sending resets the connection, and the
 * client never reads the answer. Beyond the drain limit the answer goes out at once.
 */
final class BodyBuffer implements Invocable.Task {
  private static final Logger log = LoggerFactory.getLogger(BodyBuffer.class);

  /** Bodies up to this size are read and dropped before a refusal is sent. */
  static final long DRAIN_LIMIT = 8 * BoundaryPolicy.MAX_BODY_BYTES;

  private final Handler next;
  private final Request request;
  private final Response response;
  private final Callback callback;
  private final long max;
  private final Duration timeout;
  private final AtomicBoolean finished = new AtomicBoolean();
  private byte[] bytes;
  private long size;
  private Refusal pending;
  private Scheduler.Task deadline;

  /**
   * Reads a body for the next handler.
   *
   * @param next the handler the complete request goes to
   * @param max the most bytes a body may have
   * @param timeout how long the whole body may take
   */
  BodyBuffer(
      Handler next,
      Request request,
      Response response,
      Callback callback,
      long max,
      Duration timeout) {
    this(next, request, response, callback, max, timeout, null);
  }

  private BodyBuffer(
      Handler next,
      Request request,
      Response response,
      Callback callback,
      long max,
      Duration timeout,
      Refusal pending) {
    this.next = next;
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.max = max;
    this.timeout = timeout;
    this.pending = pending;
    long declared = request.getLength();
    this.bytes =
        pending != null
            ? new byte[0]
            : new byte[(int) Math.min(declared > 0 ? declared : 8192, max)];
  }

  /**
   * Answers a refusal once the body has arrived (and been dropped), or at once when it is declared
   * larger than {@link #DRAIN_LIMIT}.
   */
  static void refuseAfterDraining(
      Request request, Response response, Callback callback, Refusal refusal, Duration timeout) {
    if (request.getLength() > DRAIN_LIMIT) {
      Boundary.write(response, callback, refusal);
      return;
    }
    new BodyBuffer(null, request, response, callback, 0, timeout, refusal).start();
  }

  void start() {
    deadline =
        request
            .getComponents()
            .getScheduler()
            .schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
    run();
  }

  @Override
  public InvocationType getInvocationType() {
    // Reading is non-blocking; the route itself is dispatched to the pool.
    return InvocationType.NON_BLOCKING;
  }

  @Override
  public void run() {
    while (!finished.get()) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        failed(chunk.getFailure());
        return;
      }
      boolean last = chunk.isLast();
      ByteBuffer b = chunk.getByteBuffer();
      int n = b.remaining();
      if (pending == null && size + n > max) {
        // Too large: drop the rest as it comes, then say so.
        pending =
            new Refusal(413, "payload_too_large", "the body is larger than " + max + " bytes");
      }
      if (pending == null) {
        if (size + n > bytes.length) {
          bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(size + n, bytes.length * 2L)));
        }
        b.get(bytes, (int) size, n);
      }
      size += n;
      chunk.release();
      if (pending != null && (last || size > DRAIN_LIMIT)) {
        refuse(pending);
        return;
      }
      if (last) {
        complete();
        return;
      }
    }
  }

  private void complete() {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    deadline.cancel();
    byte[] body = size == bytes.length ? bytes : Arrays.copyOf(bytes, (int) size);
    // The route blocks (servlet API): never run it on the thread that delivered the last bytes.
    request.getContext().execute(() -> dispatch(new BufferedRequest(request, body)));
  }

  private void dispatch(Request buffered) {
    try {
      if (!next.handle(buffered, response, callback)) {
        Response.writeError(request, response, callback, 404);
      }
    } catch (Throwable t) {
      Response.writeError(request, response, callback, t);
    }
  }

  private void expire() {
    if (pending != null) {
      refuse(pending);
      return;
    }
    refuse(
        new Refusal(
            408,
            "request_timeout",
            "the body did not arrive within " + timeout.toMillis() + " ms"));
  }

  private void failed(Throwable failure) {
    if (pending != null) {
      // Already refused on other grounds: that is the answer, however the body ended.
      log.atDebug().log("request body ended early while being drained");
      refuse(pending);
      return;
    }
    if (failure instanceof HttpException bad) {
      // A broken chunk size, a bad trailer: the client's fault, and it is still listening.
      refuse(
          new Refusal(
              400, "bad_body", "the body could not be read: " + Refusal.quote(reason(bad))));
      return;
    }
    if (failure instanceof EOFException || failure.getCause() instanceof EOFException) {
      log.atDebug().log("client closed the connection before the body was complete");
      refuse(new Refusal(400, "incomplete_body", "the body ended before it was complete"));
      return;
    }
    log.atDebug()
        .addKeyValue("failure", failure.getClass().getName())
        .log("request body could not be read");
    refuse(new Refusal(400, "bad_body", "the body could not be read"));
  }

  private void refuse(Refusal refusal) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (deadline != null) {
      deadline.cancel();
    }
    if (response.isCommitted()) {
      callback.failed(new EOFException(refusal.code()));
      return;
    }
    Boundary.write(response, callback, refusal);
  }

  private static String reason(HttpException e) {
    return e.getReason() == null ? "malformed" : e.getReason();
  }

  /** The request as the routes see it: the same headers, its body served from memory. */
  private static final class BufferedRequest extends Request.Wrapper {
    private Content.Chunk body;

    BufferedRequest(Request wrapped, byte[] bytes) {
      super(wrapped);
      this.body = Content.Chunk.from(ByteBuffer.wrap(bytes), true);
    }

    @Override
    public synchronized Content.Chunk read() {
      Content.Chunk c = body;
      body = Content.Chunk.EOF;
      return c;
    }

    @Override
    public void demand(Runnable demandCallback) {
      // Everything is already here: whoever asks may read at once.
      demandCallback.run();
    }

    @Override
    public boolean consumeAvailable() {
      read();
      return true;
    }
  }
}

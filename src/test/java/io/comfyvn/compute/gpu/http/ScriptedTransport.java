package io.comfyvn.compute.gpu.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A transport for unit tests: answers each request with the next scripted reply (or transport
 * failure) and records every request it was given, so a test can see exactly what went upstream.
 */
public final class ScriptedTransport implements HttpTransport {
  private final Deque<Object> script = new ArrayDeque<>();
  private final List<HttpCall> calls = Collections.synchronizedList(new ArrayList<>());

  /** Queues an answer; {@code headers} are name, value pairs. */
  public synchronized ScriptedTransport reply(int status, String body, String... headers) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      h.put(headers[i], List.of(headers[i + 1]));
    }
    script.add(new HttpReply(status, h, body.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** Queues a JSON answer. */
  public ScriptedTransport json(int status, String body, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/json";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return reply(status, body, all);
  }

  /** Queues a binary answer. */
  public synchronized ScriptedTransport bytes(int status, byte[] body, String contentType) {
    script.add(new HttpReply(status, Map.of("Content-Type", List.of(contentType)), body));
    return this;
  }

  /** Queues a failure without an answer: a timeout after sending, or a refused connection. */
  public synchronized ScriptedTransport noAnswer(boolean maybeSent) {
    script.add(
        new TransportException(maybeSent ? "timed out" : "connection refused", maybeSent, null));
    return this;
  }

  @Override
  public HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    calls.add(call);
    Object next;
    synchronized (this) {
      next = script.poll();
    }
    if (next == null) {
      throw new AssertionError("no scripted answer for " + call.describe());
    }
    if (next instanceof TransportException e) {
      throw e;
    }
    return (HttpReply) next;
  }

  /** Every request so far, in order. */
  public List<HttpCall> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** The i-th request. */
  public HttpCall call(int i) {
    return calls().get(i);
  }

  /** How many requests had this method and a path ending with the suffix. */
  public long count(String method, String pathSuffix) {
    return calls().stream()
        .filter(c -> c.method().equals(method) && c.uri().getPath().endsWith(pathSuffix))
        .count();
  }

  /** Answers not used yet. */
  public synchronized int remaining() {
    return script.size();
  }

  /** A request's body as text. */
  public static String body(HttpCall call) {
    return call.body() == null ? "" : new String(call.body(), StandardCharsets.UTF_8);
  }
}

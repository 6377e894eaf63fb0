package io.comfyvn.compute.support;

import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.HttpTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An {@link HttpTransport} that answers from a script and records every call. */
public final class ScriptedTransport implements HttpTransport {
  /** One scripted step: an answer or a transport failure. */
  public sealed interface Step permits Answer, Failure {}

  /** Answer with this status, headers and body. */
  public record Answer(int status, Map<String, List<String>> headers, byte[] body)
      implements Step {}

  /** Fail without an answer; {@code maybeSent} false means the connection was refused. */
  public record Failure(boolean maybeSent) implements Step {}

  private final Deque<Step> script = new ArrayDeque<>();
  private final List<HttpCall> calls = new ArrayList<>();
  private final List<Duration> timeouts = new ArrayList<>();

  public ScriptedTransport reply(int status, String body) {
    return reply(status, Map.of("Content-Type", List.of("application/json")), body);
  }

  public synchronized ScriptedTransport reply(
      int status, Map<String, List<String>> headers, String body) {
    script.add(new Answer(status, headers, body.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** An answer with headers given as name, value pairs (no content type unless given). */
  public ScriptedTransport reply(int status, String body, String... headers) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      h.put(headers[i], List.of(headers[i + 1]));
    }
    return reply(status, h, body);
  }

  /** A JSON answer with more headers as name, value pairs. */
  public ScriptedTransport json(int status, String body, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/json";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return reply(status, body, all);
  }

  /** A binary answer. */
  public synchronized ScriptedTransport bytes(int status, byte[] body, String contentType) {
    script.add(new Answer(status, Map.of("Content-Type", List.of(contentType)), body.clone()));
    return this;
  }

  public synchronized ScriptedTransport fail(boolean maybeSent) {
    script.add(new Failure(maybeSent));
    return this;
  }

  /** Every call so far, in order. */
  public synchronized List<HttpCall> calls() {
    return List.copyOf(calls);
  }

  /** The timeout each call was sent with, in order. */
  public synchronized List<Duration> timeouts() {
    return List.copyOf(timeouts);
  }

  /** The i-th call. */
  public HttpCall call(int i) {
    return calls().get(i);
  }

  /** How many calls had this method and a path ending with the suffix. */
  public long count(String method, String pathSuffix) {
    return calls().stream()
        .filter(c -> c.method().equals(method) && c.uri().getPath().endsWith(pathSuffix))
        .count();
  }

  /** A call's body as text. */
  public static String body(HttpCall call) {
    return call.body() == null ? "" : new String(call.body(), StandardCharsets.UTF_8);
  }

  @Override
  public synchronized HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    calls.add(call);
    timeouts.add(timeout);
    Step s = script.poll();
    if (s == null) {
      throw new IllegalStateException("no scripted answer for " + call.describe());
    }
    if (s instanceof Failure f) {
      throw new TransportException(call.describe() + ": scripted failure", f.maybeSent(), null);
    }
    Answer a = (Answer) s;
    return new HttpReply(a.status(), a.headers(), a.body());
  }
}

package io.comfyvn.compute.support;

import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.HttpTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/** An {@link HttpTransport} that answers from a script and records every call. */
public final class ScriptedTransport implements HttpTransport {
  /** One scripted step: an answer or a transport failure. */
  public sealed interface Step permits Answer, Failure {}

  /** Answer with this status, headers and body. */
  public record Answer(int status, Map<String, List<String>> headers, String body)
      implements Step {}

  /** Fail without an answer; {@code maybeSent} false means the connection was refused. */
  public record Failure(boolean maybeSent) implements Step {}

  private final Deque<Step> script = new ArrayDeque<>();
  private final List<HttpCall> calls = new ArrayList<>();

  public ScriptedTransport reply(int status, String body) {
    script.add(new Answer(status, Map.of("Content-Type", List.of("application/json")), body));
    return this;
  }

  public ScriptedTransport reply(int status, Map<String, List<String>> headers, String body) {
    script.add(new Answer(status, headers, body));
    return this;
  }

  public ScriptedTransport fail(boolean maybeSent) {
    script.add(new Failure(maybeSent));
    return this;
  }

  public List<HttpCall> calls() {
    return calls;
  }

  @Override
  public synchronized HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    calls.add(call);
    Step s = script.poll();
    if (s == null) {
      throw new IllegalStateException("no scripted answer for " + call.describe());
    }
    if (s instanceof Failure f) {
      throw new TransportException(call.describe() + ": scripted failure", f.maybeSent(), null);
    }
    Answer a = (Answer) s;
    return new HttpReply(a.status(), a.headers(), a.body().getBytes(StandardCharsets.UTF_8));
  }
}

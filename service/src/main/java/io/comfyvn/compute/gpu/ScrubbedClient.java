package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.http.ProviderException;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A live client whose every string that came from the provider is scrubbed of every secret the
 * service holds: job ids, provider status words, log lines, error texts, output names and URLs,
 * health details, and the messages of the exceptions it throws. HTTP answers are already scrubbed
 * by {@link io.comfyvn.compute.gpu.http.EgressGuard} before the client reads them; this wrapper
 * covers what reaches a client another way (webhook bodies) and whatever a client composes, so no
 * provider package has to remember to scrub. {@link LiveClients} wraps every client it builds.
 */
final class ScrubbedClient implements LiveClient {
  private final LiveClient client;
  private final UnaryOperator<String> scrub;

  ScrubbedClient(LiveClient client, UnaryOperator<String> scrub) {
    this.client = client;
    this.scrub = scrub;
  }

  @Override
  public Submitted submit(LiveJob job) {
    try {
      return submitted(client.submit(job));
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  @Override
  public JobState poll(String providerJobId) {
    try {
      return state(client.poll(providerJobId));
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  @Override
  public JobState cancel(String providerJobId) {
    try {
      return state(client.cancel(providerJobId));
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  @Override
  public Health health() {
    try {
      Health h = client.health();
      return new Health(h.ok(), text(h.detail()));
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  @Override
  public Optional<Submitted> parseWebhook(JsonNode body) {
    try {
      return client.parseWebhook(body).map(this::submitted);
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  @Override
  public boolean verifyWebhook(Map<String, String> headers, byte[] rawBody) {
    return client.verifyWebhook(headers, rawBody);
  }

  @Override
  public String runner() {
    return client.runner();
  }

  @Override
  public Reconciliation reconcile(Reconciliation.Query query) {
    try {
      Reconciliation r = client.reconcile(query);
      if (r instanceof Reconciliation.Found f) {
        return new Reconciliation.Found(submitted(f.job()), text(f.how()));
      }
      if (r instanceof Reconciliation.NotThere n) {
        return new Reconciliation.NotThere(text(n.how()));
      }
      Reconciliation.CannotTell c = (Reconciliation.CannotTell) r;
      return new Reconciliation.CannotTell(c.mayLearnLater(), text(c.why()));
    } catch (ComputeException e) {
      throw scrubbed(e);
    }
  }

  private Submitted submitted(Submitted s) {
    return new Submitted(text(s.providerJobId()), state(s.state()));
  }

  private JobState state(JobState s) {
    if (s == null) {
      return null;
    }
    return new JobState(
        s.status(),
        text(s.providerStatus()),
        s.progress(),
        s.outputs().stream()
            // inline data is file content, not text: scrubbing it would only corrupt an image
            .map(o -> new Output(text(o.name()), text(o.url()), o.base64(), text(o.mime())))
            .toList(),
        s.logs().stream().map(this::text).toList(),
        text(s.error()),
        s.metrics(),
        s.steps() == null
            ? null
            : new Progress(
                s.steps().nodesDone(),
                s.steps().nodesTotal(),
                s.steps().step(),
                s.steps().steps(),
                text(s.steps().nodeId()),
                text(s.steps().classType())),
        s.failure() == null
            ? null
            : new Failure(
                s.failure().code(),
                text(s.failure().nodeId()),
                text(s.failure().classType()),
                s.failure().names().stream().map(this::text).toList()));
  }

  private String text(String s) {
    return s == null ? null : scrub.apply(s);
  }

  /** The same failure with its message (and text details) scrubbed; the cause is dropped. */
  private ComputeException scrubbed(ComputeException e) {
    String message = text(e.getMessage());
    boolean detailsChanged =
        e.details().values().stream()
            .anyMatch(v -> v instanceof String s && !s.equals(scrub.apply(s)));
    if (java.util.Objects.equals(message, e.getMessage()) && !detailsChanged) {
      return e;
    }
    ComputeException out =
        e instanceof ProviderException pe
            ? new ProviderException(
                pe.kind(),
                pe.code(),
                message,
                pe.retryable(),
                pe.sent(),
                pe.httpStatus(),
                pe.retryAfter().orElse(null),
                null)
            : new ComputeException(e.kind(), e.code(), message, e.retryable(), null)
                .retryAfter(e.retryAfter().orElse(null));
    e.details().forEach((k, v) -> out.detail(k, v instanceof String s ? scrub.apply(s) : v));
    return out;
  }
}

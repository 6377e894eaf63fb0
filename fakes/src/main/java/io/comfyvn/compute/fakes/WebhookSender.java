package io.comfyvn.compute.fakes;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Posts webhooks, retrying on the clock's time. It only ever calls loopback hosts: a fake must not
 * become a way to make requests to arbitrary machines.
 */
final class WebhookSender {
  /** Headers for one attempt; Replicate signs each attempt with its own timestamp. */
  interface Headers {
    Map<String, String> forAttempt(String body, Instant at);
  }

  private record Pending(
      String provider,
      String jobId,
      String event,
      URI url,
      String body,
      Headers headers,
      int attempt,
      List<Duration> retriesLeft,
      Instant due) {}

  private final Clock clock;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(2))
          .followRedirects(HttpClient.Redirect.NEVER) // Replicate does not follow redirects
          .build();
  private final List<Pending> queue = new ArrayList<>();
  private final List<WebhookDelivery> log = new CopyOnWriteArrayList<>();

  WebhookSender(Clock clock) {
    this.clock = clock;
  }

  /** Whether a webhook URL may be called: http(s) to 127.0.0.0/8, localhost or ::1 only. */
  static boolean allowed(String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return false;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return false;
    }
    return host.equals("localhost")
        || host.equals("[::1]")
        || host.equals("::1")
        || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  synchronized void send(
      String provider,
      String jobId,
      String event,
      String url,
      String body,
      Headers headers,
      List<Duration> retries) {
    queue.add(
        new Pending(
            provider,
            jobId,
            event,
            URI.create(url),
            body,
            headers,
            1,
            List.copyOf(retries),
            clock.instant()));
  }

  /** Sends every attempt that is due; a failed one is queued again after its retry delay. */
  void tick() {
    List<Pending> due = new ArrayList<>();
    synchronized (this) {
      Instant now = clock.instant();
      for (var it = queue.iterator(); it.hasNext(); ) {
        Pending p = it.next();
        if (!p.due().isAfter(now)) {
          due.add(p);
          it.remove();
        }
      }
    }
    for (Pending p : due) {
      int status = post(p);
      log.add(
          new WebhookDelivery(
              p.provider(),
              p.jobId(),
              p.event(),
              p.url().toString(),
              p.attempt(),
              status,
              clock.instant()));
      boolean ok = status >= 200 && status < 300;
      if (!ok && !p.retriesLeft().isEmpty()) {
        synchronized (this) {
          queue.add(
              new Pending(
                  p.provider(),
                  p.jobId(),
                  p.event(),
                  p.url(),
                  p.body(),
                  p.headers(),
                  p.attempt() + 1,
                  p.retriesLeft().subList(1, p.retriesLeft().size()),
                  clock.instant().plus(p.retriesLeft().get(0))));
        }
      }
    }
  }

  List<WebhookDelivery> deliveries() {
    return List.copyOf(log);
  }

  private int post(Pending p) {
    if (!allowed(p.url().toString())) {
      return 0; // checked at create already; kept here so no code path can call out
    }
    HttpRequest.Builder req =
        HttpRequest.newBuilder(p.url())
            .timeout(Duration.ofSeconds(5))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(p.body()));
    p.headers().forAttempt(p.body(), clock.instant()).forEach(req::header);
    try {
      return http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}

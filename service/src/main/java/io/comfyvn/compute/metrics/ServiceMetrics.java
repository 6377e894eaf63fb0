package io.comfyvn.compute.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The service's metrics (Micrometer, Prometheus text at {@code GET /metrics}): HTTP requests by
 * route template, provider calls by operation, provider, mode and outcome, the number of live tasks
 * followed, and JVM memory and threads. Tags are bounded sets (route templates, slugs, outcome
 * words), never ids.
 */
public final class ServiceMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public ServiceMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
  }

  /** One HTTP request, tagged by route template (or {@code unmatched}) and status. */
  public void http(String method, String route, int status, long nanos) {
    Timer.builder("http_server_requests")
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  /** One provider call (health, submit, poll, cancel, webhook, simulate). */
  public void providerCall(String op, String provider, String mode, String outcome, long micros) {
    Counter.builder("providers_gpu_calls")
        .tag("op", op)
        .tag("provider", provider)
        .tag("mode", mode)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
    Timer.builder("providers_gpu_call_latency")
        .tag("op", op)
        .tag("provider", provider)
        .register(registry)
        .record(Duration.ofNanos(micros * 1000));
  }

  /** A gauge read when scraped, e.g. the number of live tasks the tracker follows. */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }
}

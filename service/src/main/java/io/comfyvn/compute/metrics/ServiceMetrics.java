package io.comfyvn.compute.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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

  // Meters by their tags, found again without building a meter id on every request: building and
  // looking one up (tags sorted, hashed, compared) cost more than the recording itself. The tag
  // sets
  // are bounded (see above), so these maps are too.
  private record HttpKey(String method, String route, int status) {}

  private record CallKey(String op, String provider, String mode, String outcome) {}

  private record LatencyKey(String op, String provider) {}

  private final Map<HttpKey, Timer> httpTimers = new ConcurrentHashMap<>();
  private final Map<CallKey, Counter> callCounters = new ConcurrentHashMap<>();
  private final Map<LatencyKey, Timer> callTimers = new ConcurrentHashMap<>();

  public ServiceMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
  }

  /** One HTTP request, tagged by route template (or {@code unmatched}) and status. */
  public void http(String method, String route, int status, long nanos) {
    httpTimers
        .computeIfAbsent(
            new HttpKey(method, route, status),
            k ->
                Timer.builder("http_server_requests")
                    .tag("method", k.method())
                    .tag("route", k.route())
                    .tag("status", Integer.toString(k.status()))
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One provider call (health, submit, poll, cancel, webhook, simulate). */
  public void providerCall(String op, String provider, String mode, String outcome, long micros) {
    callCounters
        .computeIfAbsent(
            new CallKey(op, provider, mode, outcome),
            k ->
                Counter.builder("providers_gpu_calls")
                    .tag("op", k.op())
                    .tag("provider", k.provider())
                    .tag("mode", k.mode())
                    .tag("outcome", k.outcome())
                    .register(registry))
        .increment();
    callTimers
        .computeIfAbsent(
            new LatencyKey(op, provider),
            k ->
                Timer.builder("providers_gpu_call_latency")
                    .tag("op", k.op())
                    .tag("provider", k.provider())
                    .register(registry))
        .record(micros, TimeUnit.MICROSECONDS);
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

package io.comfyvn.compute.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServiceMetricsTest {
  private static String line(String scrape, String prefix) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line starting " + prefix + " in\n" + scrape));
  }

  @Test
  void theSameTagsCountIntoOneSeriesAndOtherTagsIntoTheirOwn() {
    ServiceMetrics m = new ServiceMetrics();
    for (int i = 0; i < 3; i++) {
      m.providerCall("submit", "runpod", "dry_run", "ok", 1_500);
    }
    m.providerCall("submit", "runpod", "dry_run", "missing_secrets", 500);
    m.providerCall("poll", "modal", "live", "ok", 2_000);

    String s = m.scrape();
    assertThat(
            line(
                s,
                "providers_gpu_calls_total{mode=\"dry_run\",op=\"submit\",outcome=\"ok\","
                    + "provider=\"runpod\"}"))
        .endsWith(" 3.0");
    assertThat(
            line(
                s,
                "providers_gpu_calls_total{mode=\"dry_run\",op=\"submit\","
                    + "outcome=\"missing_secrets\",provider=\"runpod\"}"))
        .endsWith(" 1.0");
    // the latency timer is per operation and provider, whatever the outcome: 4 runpod submits
    assertThat(
            line(s, "providers_gpu_call_latency_seconds_count{op=\"submit\",provider=\"runpod\"}"))
        .endsWith(" 4");
    // 3 x 1.5 ms + 0.5 ms
    assertThat(line(s, "providers_gpu_call_latency_seconds_sum{op=\"submit\",provider=\"runpod\"}"))
        .endsWith(" 0.005");
    assertThat(line(s, "providers_gpu_call_latency_seconds_count{op=\"poll\",provider=\"modal\"}"))
        .endsWith(" 1");
  }

  @Test
  void httpRequestsAreTimedPerMethodRouteAndStatus() {
    ServiceMetrics m = new ServiceMetrics();
    m.http("POST", "/api/providers/gpu/submit", 200, 2_000_000);
    m.http("POST", "/api/providers/gpu/submit", 200, 1_000_000);
    m.http("POST", "/api/providers/gpu/submit", 429, 1_000_000);

    String s = m.scrape();
    assertThat(
            line(
                s,
                "http_server_requests_seconds_count{method=\"POST\","
                    + "route=\"/api/providers/gpu/submit\",status=\"200\"}"))
        .endsWith(" 2");
    assertThat(
            line(
                s,
                "http_server_requests_seconds_sum{method=\"POST\","
                    + "route=\"/api/providers/gpu/submit\",status=\"200\"}"))
        .endsWith(" 0.003");
    assertThat(
            line(
                s,
                "http_server_requests_seconds_count{method=\"POST\","
                    + "route=\"/api/providers/gpu/submit\",status=\"429\"}"))
        .endsWith(" 1");
  }
}

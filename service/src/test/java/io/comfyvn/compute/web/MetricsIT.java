package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics}: requests by route template, provider calls by outcome, tracker, JVM. */
class MetricsIT {
  @TempDir Path dir;

  @Test
  void countsRequestsByRouteAndProviderCallsByOutcome() {
    new TestHome(dir).secrets("{\"replicate\":{\"api_token\":\"r8_metrics_canary\"}}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/gpu/submit", "{\"provider\":\"replicate\",\"seed\":1,\"job\":{}}");
      s.post("/api/providers/gpu/submit", "{\"provider\":\"runpod\",\"seed\":1,\"job\":{}}");
      s.get("/api/providers/gpu/poll/mock-replicate-1");
      s.get("/api/providers/gpu/poll/not-a-job");
      Server.Reply m = s.get("/metrics");
      assertThat(m.status()).isEqualTo(200);
      assertThat(m.body())
          .contains(
              "providers_gpu_calls_total{mode=\"dry_run\",op=\"submit\",outcome=\"ok\",provider=\"replicate\"} 1.0")
          .contains(
              "providers_gpu_calls_total{mode=\"dry_run\",op=\"submit\",outcome=\"missing_secrets\",provider=\"runpod\"} 1.0")
          .contains(
              "http_server_requests_seconds_count{method=\"GET\",route=\"/api/providers/gpu/poll/{id}\",status=\"200\"} 1")
          .contains(
              "http_server_requests_seconds_count{method=\"GET\",route=\"/api/providers/gpu/poll/{id}\",status=\"404\"} 1")
          .contains("live_tracker_following")
          .contains("jvm_memory_used_bytes")
          .doesNotContain("mock-replicate-1")
          .doesNotContain("r8_metrics_canary");
    }
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live submit past the provider's rate limit is answered at once with 429 {@code rate_limited}
 * and a {@code Retry-After}, sends nothing upstream, and leaves a task that says it was not sent
 * (so the same idempotency key may try again later).
 */
class LiveLimitsIT {
  @TempDir Path dir;

  @Test
  void aSubmitPastTheLimitIs429WithRetryAfterAndNothingSent() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // 2 creates an hour: 90% of it in whole calls is 1, so one now and the next in an hour
      h.reconfigure(
          cfg -> {
            ObjectNode r = (ObjectNode) cfg.path("providers_gpu").path("runpod").path("resilience");
            r.putObject("rate_limits")
                .putObject("create")
                .put("permits", 2)
                .put("period_ms", 3_600_000);
          });
      JsonNode first = h.submit("runpod", "first");
      assertThat(first.get("ok").asBoolean()).as(first.toString()).isTrue();

      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"runpod\",\"seed\":8,\"job\":{\"input\":{\"prompt\":\"second\"}}}");
      assertThat(r.status()).as(r.body()).isEqualTo(429);
      assertThat(r.json().get("ok").asBoolean()).isFalse();
      assertThat(r.json().get("code").asText()).isEqualTo("rate_limited");
      assertThat(r.json().get("message").asText()).contains("nothing was sent");
      long retryAfter = Long.parseLong(r.header("Retry-After").orElseThrow());
      assertThat(retryAfter).isBetween(3590L, 3600L);
      assertThat(h.fakes.stats().creates("runpod")).isEqualTo(1);

      String id = r.json().get("task_id").asText();
      assertThat(h.poll(id).get("status").asText()).isEqualTo("error");
      assertThat(h.server.get("/jobs/status/" + id).body())
          .contains("\"submit_state\":\"not_sent\"");
    }
  }

  @Test
  void aProviderRetryAfterLongerThanTheDoorWaitsIsHandedBackNotShortened() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // the harness waits at most 20 ms on a thread; Replicate asks for 3 s
      h.fakes.inject(Fault.tooManyRequests("replicate", "create", 3, 1));
      Reply r =
          h.server.post(
              "/api/providers/gpu/submit",
              "{\"provider\":\"replicate\",\"job\":{\"input\":{\"prompt\":\"x\"}}}");
      assertThat(r.status()).as(r.body()).isEqualTo(503);
      assertThat(r.json().get("code").asText()).isEqualTo("provider_rate_limited");
      assertThat(r.json().get("retryable").asBoolean()).isTrue();
      assertThat(r.header("Retry-After")).contains("3");
      assertThat(h.fakes.stats().creates("replicate")).isEqualTo(1);
      String id = r.json().get("task_id").asText();
      assertThat(h.server.get("/jobs/status/" + id).body())
          .contains("\"submit_state\":\"refused\"");
    }
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spend guard in live mode against the fake providers: a submit past a limit is a 429 or 402
 * JSON answer, and the fake never sees its create (its create counter stays put) and no task is
 * written.
 */
class SpendGuardLiveIT {
  private static final ObjectMapper M = Json.mapper();
  @TempDir Path dir;

  /** Restarts the service with {@code limits} set in its config file. */
  private static void limits(LiveHarness h, String limitsJson) throws Exception {
    ObjectNode config = (ObjectNode) M.readTree(h.home.read("config/comfyvn.json"));
    config.set("limits", M.readTree(limitsJson));
    h.home.config(M.writeValueAsString(config));
    h.restart();
  }

  private static Reply submit(LiveHarness h, String provider, String prompt) {
    return h.server.post(
        "/api/providers/gpu/submit",
        "{\"provider\":\"" + provider + "\",\"job\":{\"input\":{\"prompt\":\"" + prompt + "\"}}}");
  }

  private static int tasks(LiveHarness h) {
    return h.server.get("/jobs/all").json().get("jobs").size();
  }

  @Test
  void pastTheMinuteLimitIs429WithRetryAfterAndNothingReachesTheProvider() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      limits(
          h,
          "{\"max_live_submits_per_minute\":null,\"max_estimated_usd_per_day\":null,"
              + "\"providers\":{\"replicate\":{\"max_live_submits_per_minute\":2}}}");
      for (int i = 0; i < 2; i++) {
        Reply ok = submit(h, "replicate", "castle " + i);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
      }
      assertThat(h.fakes.stats().creates("replicate")).isEqualTo(2);

      Reply refused = submit(h, "replicate", "castle 3");
      assertThat(refused.status()).as(refused.body()).isEqualTo(429);
      JsonNode j = refused.json();
      assertThat(j.get("ok").asBoolean()).isFalse();
      assertThat(j.get("code").asText()).isEqualTo("submit_rate_limit");
      assertThat(j.get("scope").asText()).isEqualTo("replicate");
      assertThat(j.get("provider").asText()).isEqualTo("replicate");
      assertThat(j.get("limit").asInt()).isEqualTo(2);
      assertThat(j.get("message").asText()).contains("limits.providers.replicate");
      assertThat(j.get("feature").get("enabled").asBoolean()).isTrue();
      int retryAfter = Integer.parseInt(refused.header("Retry-After").orElseThrow());
      assertThat(retryAfter).isBetween(1, 60).isEqualTo(j.get("retry_after_seconds").asInt());

      assertThat(h.fakes.stats().creates("replicate")).as("no create sent").isEqualTo(2);
      assertThat(tasks(h)).as("no task written").isEqualTo(2);
      // another provider has its own window
      assertThat(submit(h, "runpod", "tower").status()).isEqualTo(200);
      assertThat(h.home.read("logs/providers_gpu.log"))
          .contains("\"outcome\":\"submit_rate_limit\"");
    }
  }

  @Test
  void pastTheDailyCapIs402BeforeAnyCreateAndTheSpendSurvivesARestart() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      // The same job priced the same way as the live submits below (dry-run sends nothing).
      double e =
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"runpod\",\"dry_run\":true,\"job\":{\"input\":{\"prompt\":\"p\"}}}")
              .json()
              .get("estimate")
              .get("usd")
              .asDouble();
      assertThat(e).isPositive();
      limits(
          h,
          "{\"max_live_submits_per_minute\":null,\"max_estimated_usd_per_day\":" + (2.5 * e) + "}");
      assertThat(submit(h, "runpod", "a").status()).isEqualTo(200);

      // A create the provider refuses costs nothing: its reservation is given back.
      h.fakes.inject(Fault.status("runpod", "create", 400, 1));
      Reply rejected = submit(h, "runpod", "rejected");
      assertThat(rejected.status()).as(rejected.body()).isBetween(400, 599);
      assertThat(
              h.server
                  .get("/api/providers/gpu/spend")
                  .json()
                  .get("total")
                  .get("spent_usd")
                  .asDouble())
          .isCloseTo(e, within(2e-6));

      assertThat(submit(h, "runpod", "b").status()).isEqualTo(200);
      int creates = h.fakes.stats().creates("runpod");
      int tasks = tasks(h);

      Reply refused = submit(h, "runpod", "c");
      assertThat(refused.status()).as(refused.body()).isEqualTo(402);
      JsonNode j = refused.json();
      assertThat(j.get("ok").asBoolean()).isFalse();
      assertThat(j.get("code").asText()).isEqualTo("spend_limit");
      assertThat(j.get("scope").asText()).isEqualTo("total");
      assertThat(j.get("spent_usd").asDouble()).isCloseTo(2 * e, within(2e-6));
      assertThat(j.get("estimate_usd").asDouble()).isCloseTo(e, within(1e-6));
      assertThat(j.get("resets_at").asText()).endsWith("T00:00:00Z");
      assertThat(refused.header("Retry-After")).isEmpty();
      assertThat(h.fakes.stats().creates("runpod")).as("no create sent").isEqualTo(creates);
      assertThat(tasks(h)).as("no task written").isEqualTo(tasks);

      JsonNode spend = h.server.get("/api/providers/gpu/spend").json();
      assertThat(spend.get("ok").asBoolean()).isTrue();
      assertThat(spend.get("total").get("spent_usd").asDouble()).isCloseTo(2 * e, within(2e-6));
      assertThat(spend.get("total").get("max_usd_per_day").asDouble())
          .isCloseTo(2.5 * e, within(1e-6));
      assertThat(spend.get("total").get("submits_today").asInt()).isEqualTo(2);
      assertThat(spend.get("providers").get(0).get("scope").asText()).isEqualTo("runpod");

      h.restart();
      Reply afterRestart = submit(h, "runpod", "d");
      assertThat(afterRestart.status()).as(afterRestart.body()).isEqualTo(402);
      assertThat(h.fakes.stats().creates("runpod")).isEqualTo(creates);
      assertThat(
              h.server
                  .get("/api/providers/gpu/spend")
                  .json()
                  .get("total")
                  .get("spent_usd")
                  .asDouble())
          .isCloseTo(2 * e, within(2e-6));
      // a self-hosted ComfyUI costs nothing and is not limited
      assertThat(submit(h, "comfyui", "free").status()).isEqualTo(200);
    }
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flag-off guarantee through the whole service against every fake provider: live jobs are
 * created while the flag is on, the service is restarted with it off, and then resumed tasks,
 * polls, cancels, health, submits, the providers' own webhooks and the registry's checks send not
 * one request to any fake (they count every request they receive, outputs included).
 */
class NoEgressIT {
  @TempDir Path dir;

  private static final List<String> PROVIDERS =
      List.of("runpod", "replicate", "huggingface", "modal", "comfyui");

  @Test
  void withTheFlagTurnedOffNoPathSendsAByte() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      List<String> tasks = new ArrayList<>();
      for (String p : PROVIDERS) {
        JsonNode sub = h.submit(p, "castle");
        assertThat(sub.path("mode").asText()).as(sub.toString()).isEqualTo("live");
        tasks.add(sub.path("task_id").asText());
      }
      // a registry entry for the fake ComfyUI, checked once while the flag is on
      h.server.post(
          "/api/providers/register",
          "{\"id\":\"box\",\"service\":\"comfyui\",\"base_url\":\""
              + h.fakes.baseUrl()
              + "/comfyui\"}");

      h.server.close();
      h.home.config(
          h.home
              .read("config/comfyvn.json")
              .replace(
                  "\"enable_public_gpu_adapters\":true", "\"enable_public_gpu_adapters\":false"));
      h.restart();
      long before = h.fakes.requests();

      for (int round = 0; round < 40; round++) {
        // the fakes' jobs move on (and they send their webhooks) while the tracker would poll
        h.clock.advance(Duration.ofMillis(500));
        h.fakes.tick();
        for (String t : tasks) {
          assertThat(h.poll(t).path("mode").asText()).isEqualTo("live");
        }
        Thread.sleep(25);
      }
      for (String t : tasks) {
        Reply c = h.server.post("/api/providers/gpu/cancel/" + t, "{}");
        assertThat(c.status()).isEqualTo(200);
        assertThat(c.json().path("canceled").asBoolean()).as(c.body()).isFalse();
      }
      for (String p : PROVIDERS) {
        Reply health = h.server.post("/api/providers/gpu/health", "{\"provider\":\"" + p + "\"}");
        assertThat(health.json().path("mode").asText()).isEqualTo("dry_run");
        assertThat(h.submit(p, "forest").path("mode").asText()).isEqualTo("dry_run");
        Reply hook =
            h.server.post(
                "/api/providers/gpu/webhooks/" + p + "?task=" + tasks.get(0) + "&token=x", "{}");
        assertThat(hook.status()).isBetween(400, 503);
      }
      Reply registry = h.server.get("/api/providers/health?id=box");
      assertThat(registry.json().path("status").path("ok").asBoolean()).isFalse();
      h.server.get("/api/providers/health");

      assertThat(h.fakes.requests()).as("requests the fakes received").isEqualTo(before);
    }
  }
}

package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settings files' problems are answered while the service runs: counts on {@code /health}, each
 * problem in the providers answer; a file broken while it runs changes nothing but says so.
 */
class SettingsProblemsIT {
  @TempDir Path dir;

  private static List<String> texts(JsonNode providers) {
    List<String> out = new ArrayList<>();
    providers.get("config_problems").forEach(p -> out.add(p.get("text").asText()));
    return out;
  }

  @Test
  void problemsAreAnsweredAndABrokenReReadKeepsTheStartSettings() throws Exception {
    TestHome home =
        new TestHome(dir)
            .config("{\"providers_gpu\":{\"runpod\":{\"mode\":\"live\",\"endpointid\":\"x\"}}}")
            .secrets(
                Files.readString(
                    io.comfyvn.compute.support.Repo.file("config/comfyvn.secrets.json.sample")));
    try (Server s = Server.start(dir)) {
      JsonNode health = s.get("/health").json();
      assertThat(health.at("/config/ok").asBoolean()).isTrue();
      assertThat(health.at("/config/errors").asInt()).isZero();
      // the unknown key and six placeholders (the file's mode may add a permissions warning)
      assertThat(health.at("/config/warnings").asInt()).isGreaterThanOrEqualTo(7);
      assertThat(health.toString()).doesNotContain("endpointid", "RP_");

      JsonNode providers = s.get("/api/providers/gpu/providers").json();
      assertThat(texts(providers))
          .anySatisfy(
              t -> assertThat(t).contains("providers_gpu.runpod.endpointid", "\"endpoint_id\""))
          .anySatisfy(t -> assertThat(t).contains("runpod.api_key", "placeholder"))
          .noneSatisfy(t -> assertThat(t).contains("RP_...", "r8_..."));
      JsonNode first = providers.get("config_problems").get(0);
      assertThat(first.get("severity").asText()).isIn("error", "warning");
      assertThat(first.has("allowed")).isTrue();

      home.config("{\"providers_gpu\":{\"runpod\":{\"mode\":\"liev\"}}}");
      Files.setLastModifiedTime(
          dir.resolve(ConfigLoader.CONFIG_FILE),
          FileTime.from(Instant.parse("2031-01-01T00:00:00Z")));
      health = s.get("/health").json();
      assertThat(health.at("/config/ok").asBoolean()).isFalse();
      assertThat(health.at("/config/errors").asInt()).isEqualTo(1);
      providers = s.get("/api/providers/gpu/providers").json();
      assertThat(texts(providers))
          .anySatisfy(t -> assertThat(t).contains("unknown word \"liev\"", "did you mean \"live\""))
          .anySatisfy(t -> assertThat(t).contains("keeps the settings it started with"));
      // the start settings stay: runpod is still configured live (only its secrets are missing)
      JsonNode runpod = null;
      for (JsonNode p : providers.get("providers")) {
        if (p.get("slug").asText().equals("runpod")) {
          runpod = p;
        }
      }
      assertThat(runpod.get("configured_mode").asText()).isEqualTo("live");
      assertThat(runpod.get("ready").asBoolean()).isFalse();
      assertThat(runpod.get("missing_secrets").toString()).contains("runpod.api_key");
      assertThat(dir.resolve(SecretStore.SECRETS_FILE)).exists();
    }
  }
}

package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.App;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.support.PostgresSchema;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store is chosen by config (or {@code serve --store}); /health says which and who answers. */
class StoreChoiceIT {
  @TempDir Path dir;

  private static final String SUBMIT =
      "{\"provider\":\"runpod\",\"seed\":5,\"job\":{\"input\":{\"prompt\":\"a lighthouse\"}}}";

  @Test
  void theDefaultIsTheEmbeddedFileAndTheInstanceIdIsKeptAcrossRestarts() throws Exception {
    String first;
    try (Server s = Server.start(dir)) {
      JsonNode h = s.get("/health").json();
      assertThat(h.path("store").asText()).isEqualTo("sqlite");
      first = h.path("instance").path("id").asText();
      assertThat(first).matches("i-[0-9a-f]{12}");
      assertThat(h.path("instance").path("live_instances").asInt()).isEqualTo(1);
    }
    assertThat(Files.readString(dir.resolve(InstanceId.FILE)).trim()).isEqualTo(first);
    try (Server s = Server.start(dir)) {
      assertThat(s.get("/health").json().path("instance").path("id").asText()).isEqualTo(first);
    }
  }

  @Test
  void twoInstancesOnOnePostgresStoreSeeEachOthersTasks() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      // the user comes from the secrets file's store section, the URL from the config file
      String url = schema.url().replace("user=postgres&", "");
      Path homeA = dir.resolve("a");
      Path homeB = dir.resolve("b");
      String password = "canary-store-password-7f3a9c";
      for (Path home : new Path[] {homeA, homeB}) {
        new TestHome(home)
            .config("{\"store\": {\"url\": \"" + url + "\"}}")
            .secrets(
                "{\"store\": {\"user\": \"postgres\", \"password\": \""
                    + password
                    + "\"}, \"runpod\": {\"api_key\": \"rp-test\"}}");
      }
      try (Server a = Server.start(homeA);
          Server b = Server.start(homeB)) {
        JsonNode ha = a.get("/health").json();
        JsonNode hb = b.get("/health").json();
        assertThat(ha.path("store").asText()).isEqualTo("postgresql");
        assertThat(ha.path("instance").path("id").asText())
            .isNotEqualTo(hb.path("instance").path("id").asText());
        assertThat(hb.path("instance").path("live_instances").asInt()).isEqualTo(2);
        Server.Reply submitted = a.post("/api/providers/gpu/submit", SUBMIT);
        assertThat(submitted.status()).isEqualTo(200);
        String taskId = submitted.json().path("task_id").asText();
        Server.Reply read = b.get("/jobs/status/" + taskId);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().toString()).contains(taskId);
        // the same request on the other instance is the same task, byte for byte
        assertThat(b.post("/api/providers/gpu/submit", SUBMIT).body()).isEqualTo(submitted.body());
        assertThat(a.get("/api/providers/gpu/poll/mock-runpod-5").body())
            .isEqualTo(b.get("/api/providers/gpu/poll/mock-runpod-5").body());
        for (Server s : new Server[] {a, b}) {
          assertThat(s.get("/health").body()).doesNotContain(password, "jdbc", "127.0.0.1:5432");
          assertThat(s.get("/metrics").body()).contains("cluster_leases_held");
        }
      }
      for (Path home : new Path[] {homeA, homeB}) {
        try (Stream<Path> logs = Files.walk(home.resolve("logs"))) {
          for (Path log : logs.filter(Files::isRegularFile).toList()) {
            assertThat(Files.readString(log)).doesNotContain(password);
          }
        }
      }
    }
  }

  @Test
  void aUrlForNoSupportedStoreIsAConfigErrorThatDoesNotEchoIt() {
    new TestHome(dir).config("{\"store\": {\"url\": \"mysql://root:hunter2-secret@db/x\"}}");
    assertThatThrownBy(() -> App.start(App.Options.of(dir, 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("store.url")
        .hasMessageNotContaining("hunter2");
  }
}

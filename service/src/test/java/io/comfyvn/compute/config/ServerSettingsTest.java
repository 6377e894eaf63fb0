package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServerSettingsTest {
  private static AppConfig config(String json) throws Exception {
    return AppConfig.fromJson((ObjectNode) Json.mapper().readTree(json));
  }

  @Test
  void absentMeansLoopbackDefaults() throws Exception {
    assertThat(ServerSettings.from(config("{}"))).isEqualTo(ServerSettings.defaults());
    assertThat(ServerSettings.defaults().idleTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void readsListsAndTimeouts() throws Exception {
    ServerSettings s =
        ServerSettings.from(
            config(
                "{\"server\":{\"allowed_hosts\":[\" compute.example.com \"],"
                    + "\"allowed_origins\":[\"https://studio.example\"],"
                    + "\"idle_timeout_ms\":5000,\"body_timeout_ms\":250}}"));
    assertThat(s.allowedHosts()).isEqualTo(List.of("compute.example.com"));
    assertThat(s.allowedOrigins()).isEqualTo(List.of("https://studio.example"));
    assertThat(s.idleTimeout()).isEqualTo(Duration.ofMillis(5000));
    assertThat(s.bodyTimeout()).isEqualTo(Duration.ofMillis(250));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"server\":[]}",
        "{\"server\":{\"allowed_hosts\":\"x\"}}",
        "{\"server\":{\"allowed_hosts\":[1]}}",
        "{\"server\":{\"allowed_origins\":[\"\"]}}",
        "{\"server\":{\"idle_timeout_ms\":\"10\"}}",
        "{\"server\":{\"idle_timeout_ms\":10}}",
        "{\"server\":{\"body_timeout_ms\":1.5}}",
        "{\"server\":{\"body_timeout_ms\":99999999}}"
      })
  void wrongTypesAreConfigErrorsNamingTheKey(String json) {
    assertThatThrownBy(() -> ServerSettings.from(config(json)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("comfyvn.json")
        .hasMessageContaining("server");
    assertThat(Map.of()).isEmpty();
  }
}

package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.secrets.Secret;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The store is chosen in one place: the command line over the config file, SQLite by default. */
class StoreSettingsTest {

  @ParameterizedTest(name = "cli={0} config={1} -> {2}")
  @CsvSource(
      nullValues = "null",
      value = {
        "null, null, sqlite, null",
        "'', '  ', sqlite, null",
        "null, jdbc:postgresql://db/comfyvn, postgresql, jdbc:postgresql://db/comfyvn",
        "jdbc:postgresql://cli/x, jdbc:sqlite:/tmp/other.db, postgresql, jdbc:postgresql://cli/x",
        "' JDBC:SQLITE:/srv/t.db ', null, sqlite, JDBC:SQLITE:/srv/t.db",
      })
  void theCommandLineWinsOverTheConfigFile(String cli, String config, String kind, String url) {
    StoreSettings s = StoreSettings.of(cli, config, Optional.empty(), Optional.empty());
    assertThat(s.kind().wire()).isEqualTo(kind);
    assertThat(s.url()).isEqualTo(url);
    assertThat(s.kind().shared()).isEqualTo("postgresql".equals(kind));
  }

  @ParameterizedTest
  @CsvSource({"mysql://root:pw-canary-123@db/x", "postgres://u:pw-canary-123@h/db", "jdbc:h2:mem"})
  void anythingElseIsAConfigErrorThatNeverEchoesTheUrl(String url) {
    assertThatThrownBy(() -> StoreSettings.of(url, null, Optional.empty(), Optional.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("store.url")
        .hasMessageNotContaining("pw-canary");
  }

  @ParameterizedTest
  @CsvSource({"jdbc:postgresql://h/db?password=pw-canary-123"})
  void theLoginComesFromTheSecretsAndNothingPrintsIt(String url) {
    StoreSettings s =
        StoreSettings.of(
            url, null, Optional.of(Secret.of("comfyvn")), Optional.of(Secret.of("pw-canary-456")));
    assertThat(s.user()).isEqualTo("comfyvn");
    assertThat(s.password().reveal()).isEqualTo("pw-canary-456");
    assertThat(s.toString()).isEqualTo("StoreSettings[postgresql]");
  }
}

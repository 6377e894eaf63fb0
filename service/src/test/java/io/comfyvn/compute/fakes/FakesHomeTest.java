package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.config.Home;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fakes module knows no service code, so {@code fake-providers --write-config} without a folder
 * has its own copy of the service's home rule: this keeps the two the same.
 */
class FakesHomeTest {
  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "/srv/comfyvn", " /srv/spaced ", "relative/home"})
  void theFakesWriteIntoTheHomeServeUses(String env) {
    Map<String, String> vars = env.isEmpty() ? Map.of() : Map.of(Home.ENV, env);
    assertThat(FakesMain.defaultHome(vars, "/home/user"))
        .isEqualTo(Home.resolve(null, vars, "/home/user"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/home/user", "/root", "/tmp/x/../y"})
  void theDefaultFolderIsTheServicesDefault(String userHome) {
    assertThat(FakesMain.defaultHome(Map.of(), userHome))
        .isEqualTo(Home.resolve(null, Map.of(), userHome));
    assertThat(FakesMain.HOME_ENV).isEqualTo(Home.ENV);
    assertThat(FakesMain.HOME_DIR).isEqualTo(Home.DEFAULT_DIR);
  }
}

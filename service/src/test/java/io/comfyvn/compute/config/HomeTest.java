package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HomeTest {
  @Test
  void anExplicitFolderWinsOverTheEnvironment() {
    assertThat(Home.resolve(Path.of("/srv/a/../b"), Map.of(Home.ENV, "/env"), "/home/u"))
        .isEqualTo(Path.of("/srv/b"));
  }

  @Test
  void theEnvironmentWinsOverTheUsersHome() {
    assertThat(Home.resolve(null, Map.of(Home.ENV, " /env/home "), "/home/u"))
        .isEqualTo(Path.of("/env/home"));
  }

  @Test
  void otherwiseAFolderInTheUsersHomeNeverTheCurrentFolder() {
    assertThat(Home.resolve(null, Map.of(), "/home/u"))
        .isEqualTo(Path.of("/home/u/.comfyvn-compute"));
    assertThat(Home.resolve(null, Map.of(Home.ENV, "  "), "/home/u"))
        .isEqualTo(Path.of("/home/u/.comfyvn-compute"));
  }
}

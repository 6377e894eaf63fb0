package io.comfyvn.compute.provenance;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.tasks.Artifact;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoredArtifactsTest {
  @TempDir Path home;

  private static Artifact at(String path) {
    return new Artifact("x.png", null, path, "image/png", null, null);
  }

  @Test
  void aStoredFileAndItsSidecarAreFound() throws Exception {
    Path f = Files.createDirectories(home.resolve("data/artifacts/t1")).resolve("x.png");
    Files.write(f, new byte[] {1});
    StoredArtifacts s = new StoredArtifacts(home);
    assertThat(s.file(at("data/artifacts/t1/x.png"))).contains(f);
    assertThat(s.provenance(at("data/artifacts/t1/x.png"))).isEmpty();
    Files.writeString(f.resolveSibling("x.png.prov.json"), "{}");
    assertThat(s.provenance(at("data/artifacts/t1/x.png")))
        .contains(f.resolveSibling("x.png.prov.json"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "config/comfyvn.secrets.json",
        "data/artifacts/../../config/comfyvn.secrets.json",
        "/etc/hostname",
        "data/artifacts/t1",
        "data/artifacts/t1/missing.png",
        ""
      })
  void nothingOutsideTheArtifactsFolderOrNotAFileIsOpened(String path) throws Exception {
    Files.createDirectories(home.resolve("data/artifacts/t1"));
    Files.createDirectories(home.resolve("config"));
    Files.writeString(home.resolve("config/comfyvn.secrets.json"), "{}");
    assertThat(new StoredArtifacts(home).file(at(path))).isEmpty();
    assertThat(new StoredArtifacts(home).file(at(null))).isEmpty();
  }
}

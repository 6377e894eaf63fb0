package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatchTest {
  @TempDir Path dir;
  private int bumps;

  /** Writes the file with a later modification time, as an editor saving it would. */
  private void save(String json) throws Exception {
    new TestHome(dir).config(json);
    Files.setLastModifiedTime(
        dir.resolve(ConfigLoader.CONFIG_FILE),
        FileTime.from(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(++bumps)));
  }

  @Test
  void aFileBrokenWhileRunningIsReportedAndTheStartSettingsStay() throws Exception {
    save("{\"providers_gpu\":{\"runpod\":{\"mode\":\"live\"}}}");
    ConfigLoader loader = new ConfigLoader(Json.mapper());
    ConfigWatch watch = new ConfigWatch(dir, loader, loader.read(dir));
    assertThat(watch.problems()).isEmpty();

    save("{\"providers_gpu\":{\"runpod\":{\"mode\":\"liev\"}}}");
    assertThat(watch.problems())
        .anySatisfy(
            e -> {
              assertThat(e.isError()).isTrue();
              assertThat(e.path()).isEqualTo("providers_gpu.runpod.mode");
            })
        .anySatisfy(w -> assertThat(w.message()).contains("keeps the settings it started with"));
    assertThat(watch.inEffect().provider("runpod").mode())
        .isEqualTo(ProviderSettings.ConfiguredMode.LIVE);

    save("{\"providers_gpu\":{\"runpod\":{\"mode\":\"live\"}}}");
    assertThat(watch.problems()).isEmpty();
  }

  @Test
  void aGoodChangeSaysItWaitsForARestart() throws Exception {
    ConfigLoader loader = new ConfigLoader(Json.mapper());
    ConfigWatch watch = new ConfigWatch(dir, loader, loader.read(dir));
    assertThat(watch.problems()).isEmpty();
    save("{\"features\":{\"enable_public_gpu_adapters\":true}}");
    assertThat(watch.problems())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.isError()).isFalse();
              assertThat(w.message()).contains("restart");
            });
    assertThat(watch.inEffect().feature(AppConfig.PUBLIC_GPU_FLAG)).isFalse();
  }

  @Test
  void theStartProblemsAreReportedUntilTheFileChanges() throws Exception {
    save("{\"tracker\":{\"workerz\":3}}");
    ConfigLoader loader = new ConfigLoader(Json.mapper());
    ConfigWatch watch = new ConfigWatch(dir, loader, loader.read(dir));
    assertThat(watch.problems())
        .singleElement()
        .satisfies(w -> assertThat(w.didYouMean()).contains("workers"));
  }
}

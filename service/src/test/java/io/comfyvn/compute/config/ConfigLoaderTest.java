package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private AppConfig load() {
    return new ConfigLoader(Json.mapper()).load(dir);
  }

  @Test
  void missingFileMeansShippedDefaults() {
    AppConfig c = load();
    assertThat(c.feature(AppConfig.PUBLIC_GPU_FLAG)).isFalse();
    assertThat(c.provider("runpod").mode()).isEqualTo(ProviderSettings.ConfiguredMode.DRY_RUN);
    assertThat(c.provider("runpod").text("base_url")).hasValue("https://api.runpod.ai/v2");
    assertThat(c.provider("comfyui").mode()).isEqualTo(ProviderSettings.ConfiguredMode.DRY_RUN);
    assertThat(c.provider("comfyui").text("base_url")).hasValue("http://127.0.0.1:8188");
    assertThat(c.provider("unknown")).isEqualTo(ProviderSettings.DEFAULTS);
  }

  @Test
  void userValuesOverrideDefaultsAndUnknownKeysAreKept() {
    new TestHome(dir)
        .config(
            "{\"features\":{\"enable_public_gpu_adapters\":true,\"my_flag\":true},"
                + "\"providers_gpu\":{\"RunPod\":{\"mode\":\"live\",\"endpoint_id\":\"abc\"}},"
                + "\"studio\":{\"theme\":\"dark\"}}");
    AppConfig c = load();
    assertThat(c.feature(AppConfig.PUBLIC_GPU_FLAG)).isTrue();
    assertThat(c.feature("my_flag")).isTrue();
    ProviderSettings rp = c.provider("runpod");
    assertThat(rp.mode()).isEqualTo(ProviderSettings.ConfiguredMode.LIVE);
    assertThat(rp.text("endpoint_id")).hasValue("abc");
    assertThat(rp.text("base_url")).as("defaults merge under user keys").isPresent();
    assertThat(c.section("studio").path("theme").asText()).isEqualTo("dark");
  }

  @Test
  void badJsonNamesFileAndLine() {
    new TestHome(dir).config("{\n  \"features\": {\n    \"x\": tru\n  }\n}");
    assertThatThrownBy(this::load)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("comfyvn.json")
        .hasMessageContaining("line 3");
  }

  @Test
  void topLevelMustBeAnObject() {
    new TestHome(dir).config("[1, 2]");
    assertThatThrownBy(this::load)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("object");
  }

  @Test
  void aFlagThatIsNotTrueOrFalseStopsTheLoadNamingFilePathAndValue() {
    new TestHome(dir).config("{\"features\":{\"enable_public_gpu_adapters\":\"yes\"}}");
    assertThatThrownBy(this::load)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(dir.resolve("config/comfyvn.json").toString())
        .hasMessageContaining("features.enable_public_gpu_adapters")
        .hasMessageContaining("\"yes\"")
        .hasMessageContaining("true or false");
  }

  @Test
  void everyErrorIsListedAndWarningsDoNotStopTheLoad() {
    new TestHome(dir)
        .config(
            "{\"providers_gpu\":{\"runpod\":{\"mode\":\"liev\"},\"modal\":{\"mode\":\"lve\"}},"
                + "\"featurez\":{}}");
    ConfigLoader.Loaded loaded = new ConfigLoader(Json.mapper()).read(dir);
    assertThat(loaded.errors())
        .extracting(ConfigProblem::path)
        .containsExactly("providers_gpu.runpod.mode", "providers_gpu.modal.mode");
    assertThat(loaded.warnings())
        .singleElement()
        .satisfies(w -> assertThat(w.didYouMean()).contains("features"));
    assertThatThrownBy(this::load)
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2))
        .hasMessageStartingWith("2 errors:")
        .hasMessageContaining("did you mean \"live\"");

    new TestHome(dir).config("{\"featurez\":{}}");
    assertThat(load().feature(AppConfig.PUBLIC_GPU_FLAG)).isFalse();
  }

  @Test
  void aFileThatIsNotJsonIsOneErrorAndTheDefaults() {
    new TestHome(dir).config("{\"features\": tru}");
    ConfigLoader.Loaded loaded = new ConfigLoader(Json.mapper()).read(dir);
    assertThat(loaded.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.path()).isEmpty();
              assertThat(e.message()).startsWith("not valid JSON at line 1");
            });
    assertThat(loaded.config().provider("runpod").mode())
        .isEqualTo(ProviderSettings.ConfiguredMode.DRY_RUN);
  }

  @Test
  void providerSectionsAreCheckedWhateverTheirCase() {
    new TestHome(dir)
        .config("{\"providers_gpu\":{\"RunPod\":{\"mode\":\"live\",\"regoin\":\"x\"}}}");
    ConfigLoader.Loaded loaded = new ConfigLoader(Json.mapper()).read(dir);
    assertThat(loaded.problems())
        .singleElement()
        .satisfies(w -> assertThat(w.path()).isEqualTo("providers_gpu.runpod.regoin"));
    assertThat(loaded.config().provider("runpod").mode())
        .isEqualTo(ProviderSettings.ConfiguredMode.LIVE);
  }
}

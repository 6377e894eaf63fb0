package io.comfyvn.compute.advisor;

import static io.comfyvn.compute.advisor.Workflows.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.MissingNode;
import io.comfyvn.compute.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdvisorSettingsTest {

  @Test
  void noSectionMeansDefaults() {
    assertThat(AdvisorSettings.fromJson(MissingNode.getInstance()))
        .isEqualTo(AdvisorSettings.DEFAULTS);
    assertThat(AdvisorSettings.DEFAULTS.timeScale()).isEqualTo(0.05);
  }

  @Test
  void readsLocalGpuAndTimeScale() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(
            json("{'local_gpu': {'name': 'RTX 3060', 'vram_gb': 12}, 'sim': {'time_scale': 0.5}}"));
    assertThat(s.localGpu()).isEqualTo(new AdvisorSettings.LocalGpu("RTX 3060", 12));
    assertThat(s.timeScale()).isEqualTo(0.5);
  }

  @Test
  void aSelfHostedBoxMayStateItsSpeed() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(
            json(
                "{'self_hosted': [{'id': 'box', 'gpu': 'Radeon 7900', 'vram_gb': 24, 'relative_speed': 0.7}]}"));
    assertThat(s.selfHosted().get(0).relativeSpeed()).isEqualTo(0.7);
    assertThat(PricingCatalog.load(s).offer("box", "self").orElseThrow().relativeSpeed())
        .isEqualTo(0.7);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{'price_overrides': []}",
        "{'price_overrides': {'runpod': 1}}",
        "{'price_overrides': {'runpod/ADA_24': -1}}",
        "{'price_overrides': {'runpod/ADA_24': {'usd_per_day': 1}}}",
        "{'self_hosted': {}}",
        "{'self_hosted': [{'id': 'Bad Id!', 'gpu': 'x', 'vram_gb': 8}]}",
        "{'self_hosted': [{'id': 'box', 'gpu': 'x', 'vram_gb': -8}]}",
        "{'self_hosted': [{'id': 'box', 'vram_gb': 8}]}",
        "{'sim': {'time_scale': -1}}",
        "{'self_hosted': [{'id': 'box', 'gpu': 'x', 'vram_gb': 8, 'relative_speed': 0}]}",
        "{'sim': {'time_scale': 'fast'}}"
      })
  void badSectionsAreConfigErrorsNamingThePlace(String text) {
    assertThatThrownBy(() -> AdvisorSettings.fromJson(json(text)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config/comfyvn.json");
  }
}

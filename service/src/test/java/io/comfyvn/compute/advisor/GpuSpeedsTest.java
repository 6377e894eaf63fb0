package io.comfyvn.compute.advisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuSpeedsTest {
  private final GpuSpeeds speeds = GpuSpeeds.load();

  @Test
  void looksGpusUpIgnoringCaseSpacesAndDashes() {
    assertThat(speeds.reference()).isEqualTo("RTX 4090");
    assertThat(speeds.of("RTX 4090")).isEqualTo(1.0);
    assertThat(speeds.of("rtx-4090")).isEqualTo(1.0);
    assertThat(speeds.of("A100 80GB")).isGreaterThan(speeds.of("L4"));
    assertThat(speeds.of("H100")).isGreaterThan(speeds.of("A100 80GB"));
    assertThat(speeds.of("T4")).isLessThan(speeds.of("L4"));
    assertThat(speeds.knows("Voodoo 2")).isFalse();
    assertThat(speeds.of("Voodoo 2")).isEqualTo(0.5);
  }

  @Test
  void everyPricedCatalogGpuHasASpeedExceptUnnamedBoxes() {
    PricingCatalog c = PricingCatalog.load(AdvisorSettings.DEFAULTS);
    List<String> unknown =
        c.providers().stream()
            .flatMap(p -> p.offers().stream())
            .map(Offer::gpu)
            .filter(g -> !speeds.knows(g))
            .distinct()
            .sorted()
            .toList();
    assertThat(unknown).containsExactly("LAN GPU", "custom GPU");
    assertThat(c.offer("runpod", "ADA_80_PRO").orElseThrow().relativeSpeed()).isEqualTo(1.8);
  }
}

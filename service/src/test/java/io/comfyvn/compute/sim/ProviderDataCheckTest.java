package io.comfyvn.compute.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A provider without a price row or a Sim profile stops the start, naming the file and row. */
class ProviderDataCheckTest {
  private static final PricingCatalog CATALOG = PricingCatalog.load(AdvisorSettings.DEFAULTS);

  @Test
  void theShippedDataIsComplete() {
    assertThatCode(() -> SimService.check(GpuProviders.discover(), CATALOG, SimProfiles.load()))
        .doesNotThrowAnyException();
  }

  @Test
  void aProviderWithoutAPriceRowOrProfileIsNamedWithTheFiles() {
    GpuProvider shipped = GpuProviders.discover().require("runpod");
    ProviderDescriptor d = shipped.descriptor();
    ProviderDescriptor stranger =
        new ProviderDescriptor(
            "nowhere",
            "Nowhere",
            List.of(),
            List.of(),
            List.of(),
            d.docsUrl(),
            d.pricingUrl(),
            d.pricingAsOf(),
            d.hints(),
            List.of(),
            d.limits(),
            d.timeoutsMs(),
            List.of());
    List<GpuProvider> all = new ArrayList<>();
    all.add(shipped);
    all.add(() -> stranger);
    assertThatThrownBy(() -> SimService.check(new GpuProviders(all), CATALOG, SimProfiles.load()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "io/comfyvn/compute/advisor/catalog.json: no provider 'nowhere' (its prices)")
        .hasMessageContaining(
            "io/comfyvn/compute/sim/profiles.json: no profile for provider" + " 'nowhere'")
        .message()
        .satisfies(m -> assertThat(m).doesNotContain("'runpod'"));
  }

  @Test
  void aMissingProfileAloneIsReported() {
    SimProfiles none = new SimProfiles(Map.of(), null);
    assertThatThrownBy(() -> SimService.check(GpuProviders.discover(), CATALOG, none))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("profiles.json: no profile for provider 'runpod'")
        .hasMessageNotContaining("catalog.json");
  }
}

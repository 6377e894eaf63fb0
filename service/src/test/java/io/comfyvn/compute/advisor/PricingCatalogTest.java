package io.comfyvn.compute.advisor;

import static io.comfyvn.compute.advisor.Workflows.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PricingCatalogTest {
  private final PricingCatalog catalog = PricingCatalog.load(AdvisorSettings.DEFAULTS);

  @Test
  void holdsTheAdaptersAndComfyVnsLegacyProfiles() {
    assertThat(catalog.providers())
        .extracting(CatalogProvider::id)
        .containsExactlyInAnyOrder(
            "runpod",
            "huggingface",
            "replicate",
            "modal",
            "comfyui",
            "comfy_cloud",
            "local",
            "runpod_pods",
            "vast",
            "lambda",
            "aws",
            "azure",
            "coreweave",
            "google",
            "paperspace",
            "unraid",
            "onprem_ssh");
    assertThat(catalog.providers())
        .filteredOn(p -> p.kind().equals("public"))
        .allSatisfy(
            p -> {
              assertThat(p.adapter()).isEqualTo("public:" + p.id());
              assertThat(p.publicAdapter()).isEqualTo(p.id());
              // Comfy Cloud picks the GPU itself: one offer; the GPU marketplaces list several
              assertThat(p.offers())
                  .hasSizeGreaterThanOrEqualTo(p.id().equals("comfy_cloud") ? 1 : 5);
            });
    // the self-hosted ComfyUI adapter runs the comfyui row and the legacy local and unRAID boxes
    assertThat(catalog.providers())
        .filteredOn(p -> "comfyui".equals(p.publicAdapter()))
        .extracting(CatalogProvider::id)
        .containsExactlyInAnyOrder("comfyui", "local", "unraid");
    assertThat(catalog.find("comfyui").orElseThrow().offers())
        .allSatisfy(o -> assertThat(o.usdPerHour()).isZero());
  }

  @Test
  void everyOfferStatesAConsistentPriceWithItsDateAndSource() {
    List<Offer> offers = catalog.providers().stream().flatMap(p -> p.offers().stream()).toList();
    assertThat(offers).hasSize(catalog.offerCount()).hasSizeGreaterThan(40);
    assertThat(offers)
        .allSatisfy(
            o -> {
              assertThat(o.priceAsOf()).matches("\\d{4}-\\d{2}-\\d{2}");
              assertThat(o.source()).isNotBlank();
              assertThat(o.vramGb()).isPositive();
              assertThat(o.billingIncrementS()).isPositive();
              assertThat(o.billingMinimumS()).isNotNegative();
              assertThat(o.usdPerHour()).isNotNegative();
              if (o.usdPerHour() > 0) {
                assertThat(o.usdPerSecond() * 3600)
                    .isCloseTo(o.usdPerHour(), Percentage.withPercentage(1));
              }
            });
  }

  @Test
  void publicPricesMatchThePublishedRates() {
    // Spot checks against provider-wire-contracts §1.5, §2.5, §3.7, §4.4.
    assertThat(catalog.offer("runpod", "ADA_24").orElseThrow().usdPerSecond()).isEqualTo(0.00031);
    assertThat(catalog.offer("replicate", "gpu-l40s").orElseThrow().usdPerSecond())
        .isEqualTo(0.000975);
    assertThat(catalog.offer("huggingface", "nvidia-l4").orElseThrow().usdPerHour()).isEqualTo(0.8);
    assertThat(catalog.offer("huggingface", "nvidia-l4").orElseThrow().billingIncrementS())
        .isEqualTo(60);
    assertThat(catalog.offer("modal", "H100").orElseThrow().usdPerSecond()).isEqualTo(0.001097);
  }

  @ParameterizedTest
  @CsvSource({
    "runpod,runpod",
    "RunPod.io,runpod",
    "hf,huggingface",
    "hf_inference_endpoints,huggingface",
    "runpod_pods,runpod_pods",
    "lan,unraid",
    "ssh_unraid,unraid",
    "UNRAID,unraid",
    "gcp,google",
    "vast.ai,vast",
    "ssh,onprem_ssh"
  })
  void legacyNamesStillResolve(String name, String id) {
    assertThat(catalog.find(name)).map(CatalogProvider::id).contains(id);
  }

  @Test
  void theShippedConfigHardwareOfEachProviderIsACatalogOffer() {
    Map<String, String> shipped =
        Map.of(
            "runpod",
            "ADA_24",
            "huggingface",
            "nvidia-l4",
            "replicate",
            "gpu-l40s",
            "modal",
            "L40S");
    shipped.forEach((slug, sku) -> assertThat(catalog.offer(slug, sku)).as(slug).isPresent());
  }

  @Test
  void userOverridesAndSelfHostedBoxesAreApplied() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(
            json(
                "{'price_overrides': {'runpod/ADA_24': {'usd_per_hour': 0.9, 'price_as_of': '2026-11-01'},"
                    + " 'modal/T4': 0.3},"
                    + " 'self_hosted': [{'id': 'attic', 'name': 'Attic', 'gpu': 'RTX 3090', 'vram_gb': 24,"
                    + " 'usd_per_hour': 0.08, 'base_url': 'http://127.0.0.1:8188'}]}"));
    PricingCatalog c = PricingCatalog.load(s);
    Offer rp = c.offer("runpod", "ADA_24").orElseThrow();
    assertThat(rp.usdPerHour()).isEqualTo(0.9);
    assertThat(rp.priceAsOf()).isEqualTo("2026-11-01");
    assertThat(rp.note()).contains("1.116");
    assertThat(c.offer("modal", "T4").orElseThrow().usdPerHour()).isEqualTo(0.3);
    CatalogProvider attic = c.find("attic").orElseThrow();
    assertThat(attic.kind()).isEqualTo("self_hosted");
    assertThat(attic.offers().get(0).vramGb()).isEqualTo(24);
    assertThat(c.offerCount()).isEqualTo(catalog.offerCount() + 1);
  }

  @Test
  void overridesOfOffersThatDoNotExistAreConfigErrors() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(json("{'price_overrides': {'runpod/RTX9999': 1}}"));
    assertThatThrownBy(() -> PricingCatalog.load(s))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("runpod/rtx9999");
  }

  @Test
  void unknownOverridesAreListedInASteadyOrder() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(
            json(
                "{'price_overrides': {'zeta/x': 1, 'modal/nope': 1, 'alpha/y': 1, 'runpod/ADA_24': 1}}"));
    assertThatThrownBy(() -> PricingCatalog.load(s))
        .hasMessageEndingWith("the catalog does not have: alpha/y, modal/nope, zeta/x");
  }

  @Test
  void aSelfHostedBoxCannotTakeACatalogId() {
    AdvisorSettings s =
        AdvisorSettings.fromJson(
            json(
                "{'self_hosted': [{'id': 'modal', 'gpu': 'x', 'vram_gb': 8, 'usd_per_hour': 0}]}"));
    assertThatThrownBy(() -> PricingCatalog.load(s)).isInstanceOf(ConfigException.class);
  }
}

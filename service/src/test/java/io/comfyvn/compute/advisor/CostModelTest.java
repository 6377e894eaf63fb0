package io.comfyvn.compute.advisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostModelTest {
  private final PricingCatalog catalog = PricingCatalog.load(AdvisorSettings.DEFAULTS);

  private static Offer offer(int increment, int minimum, double perSecond) {
    return new Offer(
        "p",
        "s",
        "g",
        24,
        perSecond,
        perSecond * 3600,
        increment,
        minimum,
        List.of(),
        "2026-01-01",
        "t",
        null,
        1.0);
  }

  @ParameterizedTest
  @CsvSource({
    "1,1,0,1",
    "1,1,0.2,1",
    "1,1,1.0,1",
    "1,1,1.01,2",
    "60,60,0,60",
    "60,60,59,60",
    "60,60,61,120",
    "3600,3600,600,3600",
    "1,0,0,0",
    "1,0,2.5,3",
    "60,60,60.0000000001,60"
  })
  void billedTimeRoundsUpToTheIncrementAndNeverBelowTheMinimum(
      int increment, int minimum, double active, long billed) {
    assertThat(CostModel.billedSeconds(active, offer(increment, minimum, 0.001))).isEqualTo(billed);
  }

  @Test
  void huggingFaceBillsAWholeMinuteForAFewSecondsAndItsColdStart() {
    CatalogProvider hf = catalog.find("huggingface").orElseThrow();
    Offer l4 = catalog.offer("huggingface", "nvidia-l4").orElseThrow();
    Estimate e = CostModel.estimate(hf, l4, new Timing(1, 1, 50, 15));
    // 15 s run + 50 s cold start billed = 65 s -> two minutes at $0.80/h.
    assertThat(e.billedSeconds()).isEqualTo(120);
    assertThat(e.usd()).isEqualTo(Numbers.round(120 * 0.8 / 3600, 6));
    assertThat(e.seconds()).isEqualTo(66);
    assertThat(e.priceAsOf()).isEqualTo("2026-05-19");
    assertThat(e.basis()).contains("60 s increments").contains("120 s");
  }

  @Test
  void replicatePublicModelsDoNotBillTheColdStart() {
    CatalogProvider rep = catalog.find("replicate").orElseThrow();
    Offer l40s = catalog.offer("replicate", "gpu-l40s").orElseThrow();
    Estimate cold = CostModel.estimate(rep, l40s, new Timing(0, 1, 30, 10));
    Estimate warm = CostModel.estimate(rep, l40s, new Timing(0, 0, 30, 10));
    assertThat(cold.usd()).isEqualTo(warm.usd());
    assertThat(cold.seconds()).isGreaterThan(warm.seconds());
    assertThat(cold.basis()).contains("unbilled");
  }

  @Test
  void legacyPodsBillTheirBootAndHourlyIncrements() {
    CatalogProvider vast = catalog.find("vast").orElseThrow();
    Estimate e = CostModel.estimate(vast, vast.offers().get(0), new Timing(0, 0, 0, 60));
    assertThat(e.billedSeconds()).isEqualTo(3600);
    assertThat(e.usd()).isEqualTo(0.39);
  }
}

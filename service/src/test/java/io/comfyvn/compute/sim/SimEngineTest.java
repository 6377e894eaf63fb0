package io.comfyvn.compute.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.Offer;
import io.comfyvn.compute.advisor.PricingCatalog;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SimEngineTest {
  private static final int SWEEP = 5000;

  private final PricingCatalog catalog = PricingCatalog.load(AdvisorSettings.DEFAULTS);
  private final SimProfiles profiles = SimProfiles.load();
  private static final SimJob JOB = new SimJob(5.24, 0, 1, "image/png", null);

  private SimRun run(String slug, SimProfile profile, SimJob job, long seed) {
    CatalogProvider p = catalog.find(slug).orElseThrow();
    return SimEngine.simulate(slug, p.name(), profile, job, seed, p, p.offers().get(0));
  }

  private SimRun run(String slug, long seed) {
    return run(slug, profiles.find(slug).orElseThrow(), JOB, seed);
  }

  /** A profile with large rates, so every outcome shows up often in a sweep. */
  private static SimProfile busy(int maxRetries) {
    return new SimProfile(
        new SimProfile.Dist(1000, 0.5, 60_000),
        new SimProfile.ColdStart(0.4, 10_000, 0.5, 60_000),
        new SimProfile.Run(1000, 300, 0.25),
        0.2,
        0.1,
        0.05,
        maxRetries,
        1000,
        120_000,
        Map.of("queued", "IN_QUEUE", "running", "IN_PROGRESS", "done", "COMPLETED"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"runpod", "huggingface", "replicate", "modal", "comfyui"})
  void theSameSeedGivesTheSameBytes(String slug) throws Exception {
    String a = Json.mapper().writeValueAsString(run(slug, 12345));
    SimProfiles fresh = SimProfiles.load();
    CatalogProvider p = PricingCatalog.load(AdvisorSettings.DEFAULTS).find(slug).orElseThrow();
    String b =
        Json.mapper()
            .writeValueAsString(
                SimEngine.simulate(
                    slug,
                    p.name(),
                    fresh.find(slug).orElseThrow(),
                    JOB,
                    12345,
                    p,
                    p.offers().get(0)));
    assertThat(b).isEqualTo(a);
  }

  @Test
  void differentSeedsGiveDifferentRuns() {
    Set<Long> durations = new HashSet<>();
    for (long seed = 0; seed < 100; seed++) {
      durations.add(run("runpod", seed).durationMs());
    }
    assertThat(durations).hasSizeGreaterThan(90);
  }

  @ParameterizedTest
  @ValueSource(strings = {"runpod", "huggingface", "replicate", "modal"})
  void everyRunIsAWellFormedHandshake(String slug) {
    SimProfile profile = profiles.find(slug).orElseThrow();
    for (long seed = 0; seed < 2000; seed++) {
      SimRun r = run(slug, seed);
      List<SimEvent> ev = r.events();
      assertThat(ev.get(0).phase()).isEqualTo("submitted");
      assertThat(ev).extracting(SimEvent::tMs).isSorted();
      SimEvent last = ev.get(ev.size() - 1);
      String expectedStatus =
          switch (r.outcome()) {
            case "done" -> "done";
            case "canceled" -> "canceled";
            default -> "error";
          };
      assertThat(last.status()).isEqualTo(expectedStatus);
      assertThat(last.tMs()).isEqualTo(r.durationMs());
      assertThat(ev.subList(0, ev.size() - 1))
          .allMatch(e -> e.status().equals("queued") || e.status().equals("running"));
      assertThat(r.transcript()).hasSize(ev.size() + 1);
      assertThat(r.artifacts()).hasSize(r.outcome().equals("done") ? 1 : 0);
      assertThat(r.retries()).isBetween(0, profile.maxRetries());
      assertThat(ev.stream().filter(e -> e.phase().equals("retry")).count()).isEqualTo(r.retries());
      assertThat(ev.stream().anyMatch(e -> e.phase().equals("cold_start")))
          .isEqualTo(r.coldStart());
      assertThat(r.cost().billedSeconds())
          .isGreaterThanOrEqualTo(
              catalog.find(slug).orElseThrow().offers().get(0).billingMinimumS());
      assertThat(r.cost().usd()).isPositive();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"runpod", "huggingface", "replicate", "modal"})
  void aSeedSweepReachesTheShippedBranchesAtTheProfilesRates(String slug) {
    SimProfile p = profiles.find(slug).orElseThrow();
    Map<String, Integer> outcomes = new TreeMap<>();
    int cold = 0;
    int retried = 0;
    for (long seed = 0; seed < SWEEP; seed++) {
      SimRun r = run(slug, seed);
      outcomes.merge(r.outcome(), 1, Integer::sum);
      cold += r.coldStart() ? 1 : 0;
      retried += r.retries() > 0 ? 1 : 0;
    }
    double attempts = attemptsPerRun(p);
    assertRate("cold start", cold, p.coldStart().probability());
    assertRate("retry", retried, p.failureRate());
    assertRate("timeout", outcomes.getOrDefault("timeout", 0), p.timeoutRate() * attempts);
    assertRate("canceled", outcomes.getOrDefault("canceled", 0), p.canceledRate() * attempts);
    assertThat(outcomes.getOrDefault("timeout", 0)).as("timeouts seen").isPositive();
    assertThat(outcomes.getOrDefault("canceled", 0)).as("cancels seen").isPositive();
    assertThat(retried).as("retries seen").isPositive();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void aBusyProfileHitsEveryOutcomeAtItsExactRate(int maxRetries) {
    SimProfile p = busy(maxRetries);
    Map<String, Integer> outcomes = new TreeMap<>();
    int cold = 0;
    int retried = 0;
    int twice = 0;
    for (long seed = 0; seed < SWEEP; seed++) {
      SimRun r = run("runpod", p, JOB, seed);
      outcomes.merge(r.outcome(), 1, Integer::sum);
      cold += r.coldStart() ? 1 : 0;
      retried += r.retries() > 0 ? 1 : 0;
      twice += r.retries() > 1 ? 1 : 0;
    }
    double attempts = attemptsPerRun(p);
    double success = 1 - p.failureRate() - p.timeoutRate() - p.canceledRate();
    assertRate("cold", cold, 0.4);
    assertRate("done", outcomes.getOrDefault("done", 0), success * attempts);
    assertRate("timeout", outcomes.getOrDefault("timeout", 0), p.timeoutRate() * attempts);
    assertRate("canceled", outcomes.getOrDefault("canceled", 0), p.canceledRate() * attempts);
    assertRate(
        "error", outcomes.getOrDefault("error", 0), Math.pow(p.failureRate(), maxRetries + 1));
    assertRate("retried", retried, maxRetries > 0 ? p.failureRate() : 0);
    assertRate("retried twice", twice, maxRetries > 1 ? p.failureRate() * p.failureRate() : 0);
  }

  /** Expected attempts that reach the branch coin: 1 + f + f^2 + ... + f^R. */
  private static double attemptsPerRun(SimProfile p) {
    double sum = 0;
    for (int i = 0; i <= p.maxRetries(); i++) {
      sum += Math.pow(p.failureRate(), i);
    }
    return sum;
  }

  /**
   * Observed count within 4.5 standard errors (plus a hair for tiny rates) of the expected rate.
   */
  private static void assertRate(String what, int count, double expected) {
    double observed = (double) count / SWEEP;
    double tolerance = 4.5 * Math.sqrt(expected * (1 - expected) / SWEEP) + 0.001;
    assertThat(observed)
        .as("%s rate (expected %s)", what, expected)
        .isBetween(expected - tolerance, expected + tolerance);
  }

  @Test
  void aWorkflowLargerThanTheGpuRunsOutOfMemoryWithoutRetrying() {
    SimJob huge = new SimJob(50, 40, 1, "image/png", null);
    CatalogProvider p = catalog.find("modal").orElseThrow();
    Offer t4 = catalog.offer("modal", "T4").orElseThrow();
    for (long seed = 0; seed < 200; seed++) {
      SimRun r =
          SimEngine.simulate(
              "modal", "Modal", profiles.find("modal").orElseThrow(), huge, seed, p, t4);
      assertThat(r.outcome()).isEqualTo("error");
      assertThat(r.retries()).isZero();
      assertThat(r.events().get(r.events().size() - 1).message())
          .contains("CUDA out of memory")
          .contains("40 GB");
    }
  }

  @Test
  void aRunLongerThanTheExecutionTimeoutTimesOut() {
    SimJob endless = new SimJob(5, 0, 1, "image/png", 5_000_000L);
    for (long seed = 0; seed < 50; seed++) {
      SimRun r = run("runpod", profiles.find("runpod").orElseThrow(), endless, seed);
      if (r.events().stream().noneMatch(e -> e.phase().equals("retry"))) {
        assertThat(r.outcome()).isIn("timeout", "canceled", "error");
      }
      assertThat(r.outcome()).isNotEqualTo("done");
    }
  }

  @Test
  void aFasterGpuRunsTheSameSeedSooner() {
    CatalogProvider rp = catalog.find("runpod").orElseThrow();
    Offer a4000 = catalog.offer("runpod", "AMPERE_16").orElseThrow();
    Offer h100 = catalog.offer("runpod", "ADA_80_PRO").orElseThrow();
    SimJob big = new SimJob(300, 0, 1, "image/png", null);
    SimProfile p = profiles.find("runpod").orElseThrow();
    int compared = 0;
    for (long seed = 0; seed < 100; seed++) {
      SimRun slow = SimEngine.simulate("runpod", "R", p, big, seed, rp, a4000);
      SimRun fast = SimEngine.simulate("runpod", "R", p, big, seed, rp, h100);
      assertThat(fast.outcome()).isEqualTo(slow.outcome());
      if (slow.outcome().equals("done")) {
        assertThat(fast.durationMs()).isLessThan(slow.durationMs());
        compared++;
      }
    }
    assertThat(compared).isGreaterThan(80);
  }

  @Test
  void costFollowsTheProvidersBilling() {
    CatalogProvider hf = catalog.find("huggingface").orElseThrow();
    Offer l4 = catalog.offer("huggingface", "nvidia-l4").orElseThrow();
    for (long seed = 0; seed < 300; seed++) {
      SimRun r =
          SimEngine.simulate(
              "huggingface",
              hf.name(),
              profiles.find("huggingface").orElseThrow(),
              JOB,
              seed,
              hf,
              l4);
      assertThat(r.cost().billedSeconds() % 60).isZero();
      assertThat(r.cost().billedSeconds()).isGreaterThanOrEqualTo(60);
      assertThat(r.cost().billedSeconds() * 1000).isGreaterThanOrEqualTo(r.cost().activeMs());
    }
  }

  @Test
  void clockFormatsWithoutLocale() {
    assertThat(SimEngine.clock(0)).isEqualTo("00:00.0");
    assertThat(SimEngine.clock(61_250)).isEqualTo("01:01.2");
    assertThat(SimEngine.clock(3_600_000)).isEqualTo("60:00.0");
  }
}

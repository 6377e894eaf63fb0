package io.comfyvn.compute.advisor;

import static io.comfyvn.compute.advisor.Workflows.json;
import static io.comfyvn.compute.advisor.Workflows.txt2img;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.sim.SimProfiles;
import io.comfyvn.compute.status.Mode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AdvisorTest {
  private static final List<String> SLUGS =
      List.of("comfyui", "huggingface", "modal", "replicate", "runpod");

  private final PricingCatalog catalog = PricingCatalog.load(AdvisorSettings.DEFAULTS);
  private final Advisor advisor =
      new Advisor(catalog, new WorkflowAnalyzer(VramRules.load()), SimProfiles.load(), null);

  private static Map<String, AdapterState> allDryRun() {
    Map<String, AdapterState> m = new TreeMap<>();
    SLUGS.forEach(s -> m.put(s, new AdapterState(Mode.DRY_RUN, List.of("feature flag is off"))));
    return m;
  }

  private Advisor.Result advise(String body) {
    return advise(body, allDryRun());
  }

  private Advisor.Result advise(String body, Map<String, AdapterState> adapters) {
    return advisor.advise(AdviceRequest.parse((ObjectNode) json(body)), adapters);
  }

  @Test
  void aLocalGpuThatFitsIsChosenLikeComfyVnDoes() {
    Advisor.Result r =
        advise(
            "{'local_gpu': {'name': 'RTX 4080', 'vram_gb': 16}, 'workload': {'type': 'voice_synthesis'}}");
    Advice a = r.advice();
    assertThat(a.choice()).isEqualTo("local");
    assertThat(a.estimatedCost()).isEqualTo("$0.00");
    assertThat(a.localCandidate().fits()).isTrue();
    assertThat(a.localCandidate().memoryTotal()).isEqualTo(16384);
    assertThat(a.analysis().inferredMinVramGb()).isEqualTo(12);
    assertThat(r.decision().dryRun()).isFalse();
    assertThat(r.decision().provider()).isEqualTo("local");
    assertThat(r.decision().adapter()).isEqualTo("public:comfyui");
  }

  @Test
  void aLocalGpuThatIsTooSmallSendsTheJobRemote() {
    Advice a =
        advise(
                "{'local_gpu': {'name': 'GTX 1060', 'vram_gb': 6}, 'workload': {'type': 'cg_batch'}}")
            .advice();
    assertThat(a.choice()).isEqualTo("remote");
    assertThat(a.reason()).contains("too small");
    assertThat(a.remoteCandidate().offer().vramGb()).isGreaterThanOrEqualTo(16);
    assertThat(a.estimatedCost())
        .matches("\\$\\d+\\.\\d\\d")
        .isEqualTo(a.remoteCandidate().costEstimateStr());
    assertThat(a.jobSummary().recommendedProvider()).isEqualTo(a.remoteCandidate().id());
    assertThat(a.jobSummary().estimatedCost()).isEqualTo(a.estimatedCost());
  }

  @Test
  void preferRemoteWinsOverAFittingLocalGpu() {
    Advice a =
        advise(
                "{'prefer_remote': true, 'local_gpu': {'vram_gb': 48}, 'workload': {'type': 'voice_synthesis', 'requirements': {'estimated_minutes': 10}}}")
            .advice();
    assertThat(a.choice()).isEqualTo("remote");
    assertThat(a.analysis().burstMode()).isTrue();
  }

  @Test
  void hardwareOverrideForcesCpuAndKeepsTheFallback() {
    Advice a = advise("{'hardware_override': true, 'workload': {'type': 'cg_batch'}}").advice();
    assertThat(a.choice()).isEqualTo("cpu");
    assertThat(a.override()).isEqualTo("cpu");
    assertThat(a.fallback()).isEqualTo("remote");
    assertThat(a.estimatedCost()).isNull();
  }

  @Test
  void noOverrideMeansNoOverrideFieldsInTheJson() throws Exception {
    String json =
        Json.mapper().writeValueAsString(advise("{'workload': {'type': 'cg_batch'}}").advice());
    assertThat(json)
        .doesNotContain("\"override\"")
        .doesNotContain("\"fallback\"")
        .contains("\"local_candidate\":null");
  }

  @Test
  void anSdxlWorkflowGetsAHigherFloorThanAnSd15One() {
    ObjectNode sd15 = Json.mapper().createObjectNode();
    sd15.putObject("workload")
        .set("workflow", txt2img("v1-5-pruned-emaonly.safetensors", 512, 512, 1));
    ObjectNode sdxl = Json.mapper().createObjectNode();
    sdxl.putObject("workload")
        .set("workflow", txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1));
    Advice a = advisor.advise(AdviceRequest.parse(sd15), allDryRun()).advice();
    Advice b = advisor.advise(AdviceRequest.parse(sdxl), allDryRun()).advice();
    assertThat(b.analysis().inferredMinVramGb()).isGreaterThan(a.analysis().inferredMinVramGb());
    assertThat(a.analysis().vramFloorSource()).isEqualTo("workflow");
    assertThat(b.analysis().workflow().family()).isEqualTo("sdxl");
    assertThat(b.analysis().runtimeSource()).isEqualTo("workflow");
  }

  @Test
  void aStatedFloorAboveTheInferredOneIsRespected() {
    Advice a =
        advise("{'workload': {'type': 'voice_synthesis', 'requirements': {'min_vram_gb': 70}}}")
            .advice();
    assertThat(a.analysis().minVramGb()).isEqualTo(70);
    assertThat(a.candidates())
        .filteredOn(Advice.Candidate::eligible)
        .allSatisfy(c -> assertThat(c.vramGb()).isGreaterThanOrEqualTo(70));
    assertThat(a.candidates())
        .filteredOn(c -> !c.eligible())
        .allSatisfy(c -> assertThat(c.why().get(0)).startsWith("too small"));
  }

  @Test
  void candidatesAreRankedByWeightedCostWithEligibleOnesFirst() {
    Advice a =
        advise(
                "{'max_candidates': 200, 'workload': {'type': 'cg_batch', 'requirements': {'min_vram_gb': 40, 'estimated_minutes': 5}}}")
            .advice();
    List<Advice.Candidate> c = a.candidates();
    assertThat(c).hasSize(a.catalog().considered());
    assertThat(c).extracting(Advice.Candidate::rank).isSorted();
    int firstRejected = 0;
    while (firstRejected < c.size() && c.get(firstRejected).eligible()) {
      firstRejected++;
    }
    assertThat(c.subList(firstRejected, c.size())).noneMatch(Advice.Candidate::eligible);
    assertThat(c.subList(0, firstRejected))
        .extracting(Advice.Candidate::score)
        .isSortedAccordingTo((x, y) -> Double.compare(y, x));
    assertThat(a.remoteCandidate().id()).isEqualTo(c.get(0).provider());
    assertThat(a.catalog().considered()).isGreaterThan(30);
  }

  @Test
  void speedModeTradesMoneyForTime() {
    String base =
        "{'workload': {'type': 'cg_batch', 'requirements': {'estimated_minutes': 30}, 'budget': {'mode': '%s'}}}";
    Advice saver = advise(base.formatted("cost_saver")).advice();
    Advice speed = advise(base.formatted("premium")).advice();
    assertThat(saver.remoteCandidate().costEstimate())
        .isLessThanOrEqualTo(speed.remoteCandidate().costEstimate());
    assertThat(speed.remoteCandidate().estimate().seconds())
        .isLessThanOrEqualTo(saver.remoteCandidate().estimate().seconds());
    assertThat(saver.analysis().costSensitivity()).isEqualTo("high");
    assertThat(speed.analysis().costSensitivity()).isEqualTo("low");
  }

  @Test
  void withAWorkflowPremiumBuysAFasterGpuAndCostSaverACheaperRun() {
    ObjectNode graph = txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 8);
    ((ObjectNode) graph.get("3").get("inputs")).put("steps", 40);
    ObjectNode saverBody = Json.mapper().createObjectNode();
    ObjectNode w = saverBody.putObject("workload");
    w.put("type", "cg_batch").set("workflow", graph);
    w.putObject("budget").put("mode", "cost_saver");
    ObjectNode premiumBody = saverBody.deepCopy();
    ((ObjectNode) premiumBody.get("workload").get("budget")).put("mode", "premium");
    Advice saver = advisor.advise(AdviceRequest.parse(saverBody), allDryRun()).advice();
    Advice premium = advisor.advise(AdviceRequest.parse(premiumBody), allDryRun()).advice();
    Offer cheap = saver.remoteCandidate().offer();
    Offer fast = premium.remoteCandidate().offer();
    assertThat(fast.relativeSpeed()).isGreaterThan(cheap.relativeSpeed());
    assertThat(premium.remoteCandidate().estimate().seconds())
        .isLessThan(saver.remoteCandidate().estimate().seconds() / 2);
    assertThat(saver.remoteCandidate().costEstimate())
        .isLessThanOrEqualTo(premium.remoteCandidate().costEstimate());
  }

  @Test
  void aBudgetNothingFitsGivesCpuWithTheReason() {
    Advice a =
        advise(
                "{'workload': {'type': 'cg_batch', 'requirements': {'estimated_minutes': 600}, 'budget': {'limit_usd': 0.01}}}")
            .advice();
    assertThat(a.choice()).isEqualTo("cpu");
    assertThat(a.remoteCandidate()).isNull();
    assertThat(a.reason())
        .contains("no remote offer fits")
        .contains("over the $0.01 budget")
        .contains("cheapest that fits");
    assertThat(a.candidates()).noneMatch(Advice.Candidate::eligible);
    assertThat(a.candidates().get(0).why()).anyMatch(w -> w.startsWith("over budget"));
  }

  @Test
  void aBudgetIsNeverExceededByTheChoice() {
    for (double limit : new double[] {0.05, 0.5, 2, 20}) {
      Advice a =
          advise(
                  "{'workload': {'type': 'cg_batch', 'requirements': {'estimated_minutes': 45}, 'budget': {'limit_usd': "
                      + limit
                      + "}}}")
              .advice();
      if (a.remoteCandidate() != null) {
        assertThat(a.remoteCandidate().costEstimate())
            .as("limit %s", limit)
            .isLessThanOrEqualTo(limit);
      }
    }
  }

  @Test
  void dryRunIsOnTheDecisionWhenThePickIsAPublicAdapterNotLive() {
    Advisor.Result dry = advise("{'provider': 'runpod', 'workload': {'type': 'voice_synthesis'}}");
    assertThat(dry.decision().dryRun()).isTrue();
    assertThat(dry.decision().mode()).isEqualTo("dry_run");
    assertThat(dry.decision().modeReasons()).containsExactly("feature flag is off");
    assertThat(dry.advice().remoteCandidate().dryRun()).isTrue();
    assertThat(dry.advice().candidates()).allMatch(Advice.Candidate::dryRun);

    Map<String, AdapterState> live = allDryRun();
    live.put("runpod", new AdapterState(Mode.LIVE, List.of()));
    Advisor.Result real =
        advise("{'provider': 'runpod', 'workload': {'type': 'voice_synthesis'}}", live);
    assertThat(real.decision().dryRun()).isFalse();
    assertThat(real.decision().mode()).isEqualTo("live");
    assertThat(real.decision().adapter()).isEqualTo("public:runpod");
  }

  @Test
  void legacyRunpodAndUnraidResolutionKeepsWorking() {
    Advisor.Result unraid = advise("{'workload': {'type': 'cg_batch', 'provider': 'lan'}}");
    assertThat(unraid.advice().remoteCandidate().id()).isEqualTo("unraid");
    assertThat(unraid.advice().remoteCandidate().service()).isEqualTo("lan");
    // an unRAID box runs ComfyUI: the comfyui adapter runs its jobs, in its current mode
    assertThat(unraid.decision().adapter()).isEqualTo("public:comfyui");
    assertThat(unraid.decision().mode()).isEqualTo("dry_run");
    assertThat(unraid.decision().dryRun()).isTrue();
    assertThat(unraid.advice().estimatedCost()).isEqualTo("$0.00");
    Map<String, AdapterState> live = allDryRun();
    live.put("comfyui", new AdapterState(Mode.LIVE, List.of()));
    Advisor.Result liveUnraid =
        advise("{'workload': {'type': 'cg_batch', 'provider': 'unraid'}}", live);
    assertThat(liveUnraid.decision().mode()).isEqualTo("live");
    assertThat(liveUnraid.decision().dryRun()).isFalse();

    Advisor.Result pods =
        advise(
            "{'provider': 'runpod_pods', 'workload': {'type': 'voice_synthesis', 'requirements': {'estimated_minutes': 10}}}");
    assertThat(pods.advice().remoteCandidate().service()).isEqualTo("runpod");
    assertThat(pods.advice().remoteCandidate().cost()).isEqualTo(new Advice.Cost(0.46, 1));
    assertThat(pods.decision().adapter()).isEqualTo("legacy:runpod");
  }

  @Test
  void aProviderFilterLimitsTheCandidates() {
    Advice a = advise("{'providers': ['modal', 'hf'], 'workload': {'type': 'cg_batch'}}").advice();
    assertThat(a.candidates())
        .extracting(Advice.Candidate::provider)
        .containsOnly("modal", "huggingface");
  }

  @Test
  void unknownProvidersAre404s() {
    assertThatThrownBy(() -> advise("{'provider': 'nope'}"))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.NOT_FOUND);
              assertThat(e.code()).isEqualTo("unknown_provider");
              assertThat(e.getMessage()).contains("runpod");
            });
  }

  @Test
  void translationWithoutAGpuRunsOnCpu() {
    Advice a = advise("{'workload': {'type': 'translation'}}").advice();
    assertThat(a.choice()).isEqualTo("cpu");
    assertThat(a.analysis().requiresGpu()).isFalse();
    Advice gpu =
        advise(
                "{'workload': {'type': 'translation', 'pipeline': {'translation': {'requires_gpu': true}}}}")
            .advice();
    assertThat(gpu.choice()).isEqualTo("remote");
    assertThat(gpu.analysis().inferredMinVramGb()).isEqualTo(12);
  }

  @Test
  void typeFloorsFollowComfyVn() {
    assertThat(Advisor.typeFloor("cg_batch", 100, false)).isEqualTo(16);
    assertThat(Advisor.typeFloor("render", 2000, false)).isEqualTo(24);
    assertThat(Advisor.typeFloor("tts", 0, false)).isEqualTo(12);
    assertThat(Advisor.typeFloor("translation", 600, false)).isEqualTo(12);
    assertThat(Advisor.typeFloor("translation", 0, false)).isEqualTo(8);
    assertThat(Advisor.typeFloor("translation", 0, true)).isEqualTo(12);
    assertThat(Advisor.typeFloor("generic", 0, false)).isEqualTo(0);
  }

  @Test
  void theSameRequestGivesTheSameBytes() throws Exception {
    String body =
        "{'workload': {'type': 'cg_batch', 'assets': [{'name': 'a', 'size_mb': 2400}], 'budget': {'limit_usd': 20}}}";
    String one = Json.mapper().writeValueAsString(advise(body).advice());
    Advisor fresh =
        new Advisor(
            PricingCatalog.load(AdvisorSettings.DEFAULTS),
            new WorkflowAnalyzer(VramRules.load()),
            SimProfiles.load(),
            null);
    String two =
        Json.mapper()
            .writeValueAsString(
                fresh.advise(AdviceRequest.parse((ObjectNode) json(body)), allDryRun()).advice());
    assertThat(two).isEqualTo(one);
    assertThat(advise(body).advice().analysis().inferredMinVramGb()).isEqualTo(24);
  }
}

package io.comfyvn.compute.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.CostModel;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.advisor.Offer;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.Timing;
import io.comfyvn.compute.advisor.WorkflowAnalysis;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.Optional;

/**
 * Sim mode and submit estimates for the public providers: resolves the provider, the GPU offer (the
 * job's {@code hardware}, else the configured {@code providers_gpu.<slug>.hardware}, else the
 * provider's first offer) and the job's size (its ComfyUI workflow), then runs {@link SimEngine} or
 * {@link CostModel}. No I/O: config and catalog are data handed in at construction.
 */
public final class SimService {
  /** The longest run a job may state. */
  static final double MAX_ESTIMATED_SECONDS = 86_400;

  private final GpuProviders providers;
  private final AppConfig config;
  private final PricingCatalog catalog;
  private final SimProfiles profiles;
  private final WorkflowAnalyzer analyzer;

  public SimService(
      GpuProviders providers,
      AppConfig config,
      PricingCatalog catalog,
      SimProfiles profiles,
      WorkflowAnalyzer analyzer) {
    this.providers = providers;
    this.config = config;
    this.catalog = catalog;
    this.profiles = profiles;
    this.analyzer = analyzer;
    check(providers, catalog, profiles);
  }

  /**
   * Checks at start-up that every provider has what a submit will need, a price row and a Sim
   * profile, so a gap in the shipped data stops the service with one clear message naming the file
   * and the row, instead of failing every submit to that provider.
   *
   * @throws ConfigException listing every gap
   */
  static void check(GpuProviders providers, PricingCatalog catalog, SimProfiles profiles) {
    java.util.List<String> gaps = new java.util.ArrayList<>();
    for (String slug : providers.slugs()) {
      Optional<CatalogProvider> row = catalog.find(slug);
      if (row.isEmpty()) {
        gaps.add(CATALOG + ": no provider '" + slug + "' (its prices)");
      } else if (row.get().offers().isEmpty()) {
        gaps.add(CATALOG + ": provider '" + slug + "' has no offers (prices)");
      }
      if (profiles.find(slug).isEmpty()) {
        gaps.add(PROFILES + ": no profile for provider '" + slug + "'");
      }
    }
    if (!gaps.isEmpty()) {
      throw new ConfigException("provider data is incomplete: " + String.join("; ", gaps));
    }
  }

  private static final String CATALOG = "io/comfyvn/compute/advisor/catalog.json";
  private static final String PROFILES = "io/comfyvn/compute/sim/profiles.json";

  /**
   * Everything resolved for one job on one provider.
   *
   * @param slug canonical slug
   * @param name display name
   * @param profile sim profile
   * @param provider catalog profile
   * @param offer the GPU offer
   * @param hardwareSource {@code job}, {@code config} or {@code default}
   * @param job the simulator's view of the job
   * @param workflow the workflow analysis, or null
   */
  public record Plan(
      String slug,
      String name,
      SimProfile profile,
      CatalogProvider provider,
      Offer offer,
      String hardwareSource,
      SimJob job,
      WorkflowAnalysis workflow) {}

  /**
   * Resolves a provider and job; malformed jobs are 400s.
   *
   * @param providerName slug or alias
   * @param job the job payload
   */
  public Plan plan(String providerName, ObjectNode job) {
    ProviderDescriptor d = providers.require(providerName).descriptor();
    String slug = d.slug();
    SimProfile profile =
        profiles
            .find(slug)
            .orElseThrow(() -> new IllegalStateException("no sim profile for provider " + slug));
    CatalogProvider provider =
        catalog
            .find(slug)
            .orElseThrow(() -> new IllegalStateException("no catalog entry for " + slug));
    String source;
    Offer offer;
    JsonNode hw = job.get("hardware");
    if (hw != null && !hw.isNull()) {
      if (!hw.isTextual()) {
        throw ComputeException.badRequest("invalid_type", "'job.hardware' must be a string");
      }
      offer =
          catalog
              .offer(slug, hw.asText())
              .orElseThrow(() -> unknownHardware(provider, hw.asText()));
      source = "job";
    } else {
      Optional<Offer> configured =
          config.provider(slug).text("hardware").flatMap(h -> catalog.offer(slug, h));
      offer = configured.orElse(provider.offers().get(0));
      source = configured.isPresent() ? "config" : "default";
    }
    WorkflowAnalysis wf = workflowOf(job).map(analyzer::analyze).orElse(null);
    Long stated = null;
    JsonNode es = job.get("estimated_seconds");
    if (es != null && !es.isNull()) {
      if (!es.isNumber() || !(es.asDouble() > 0) || es.asDouble() > MAX_ESTIMATED_SECONDS) {
        throw ComputeException.badRequest(
            "invalid_value", "'job.estimated_seconds' must be a number above 0 and at most 86400");
      }
      stated = Math.round(es.asDouble() * 1000);
    }
    SimJob simJob =
        new SimJob(
            wf == null ? analyzer.defaultWorkUnits() : wf.workUnits(),
            wf == null ? 0 : wf.floorGb(),
            wf == null ? 1 : wf.batchSize(),
            wf != null && analyzer.rules().family(wf.family()).video() ? "video/mp4" : "image/png",
            stated);
    return new Plan(slug, d.name(), profile, provider, offer, source, simJob, wf);
  }

  /** Simulates a job on a provider with a seed. */
  public SimRun simulate(Plan plan, long seed) {
    return SimEngine.simulate(
        plan.slug(), plan.name(), plan.profile(), plan.job(), seed, plan.provider(), plan.offer());
  }

  /** The expected cost and time of a plan (means of the profile's distributions). */
  public Estimate estimate(Plan plan) {
    Timing t = profiles.expected(plan.slug(), plan.job().workUnits(), plan.offer().relativeSpeed());
    if (plan.job().runMedianMs() != null) {
      t =
          new Timing(
              t.queueS(),
              t.coldStartProbability(),
              t.coldStartS(),
              plan.job().runMedianMs() / 1000.0);
    }
    return CostModel.estimate(plan.provider(), plan.offer(), t);
  }

  /**
   * Submit answers carry an estimate even for jobs the simulator could not read: a job whose
   * workflow or hardware is unusable is priced as a default job on the configured hardware, and the
   * basis says so. Dry-run submit accepts any job object, and pricing must not change that.
   */
  public Estimate estimate(String slug, ObjectNode job) {
    try {
      return estimate(plan(slug, job));
    } catch (ComputeException e) {
      ObjectNode plain = job.objectNode();
      Estimate fallback = estimate(plan(slug, plain));
      return new Estimate(
          fallback.usd(),
          fallback.seconds(),
          fallback.gpu(),
          fallback.basis() + " (job not sized: " + e.getMessage() + ")",
          fallback.priceAsOf(),
          fallback.provider(),
          fallback.sku(),
          fallback.billedSeconds(),
          fallback.usdPerSecond(),
          fallback.source());
    }
  }

  /**
   * The ComfyUI graph of a job: {@code workflow}, {@code prompt} (ComfyUI's /prompt) or {@code
   * input.workflow} (RunPod's worker-comfyui).
   */
  private static Optional<JsonNode> workflowOf(ObjectNode job) {
    for (JsonNode n :
        new JsonNode[] {
          job.get("workflow"), job.get("prompt"), job.path("input").get("workflow")
        }) {
      if (n != null && !n.isNull() && !(n.isTextual())) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  private static ComputeException unknownHardware(CatalogProvider p, String asked) {
    return ComputeException.badRequest(
        "unknown_hardware",
        "'"
            + (asked.length() > 64 ? asked.substring(0, 64) + "..." : asked)
            + "' is not a "
            + p.id()
            + " offer; known: "
            + String.join(", ", p.offers().stream().map(Offer::sku).toList()));
  }
}

package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.AdapterState;
import io.comfyvn.compute.advisor.Advice;
import io.comfyvn.compute.advisor.AdviceRequest;
import io.comfyvn.compute.advisor.Advisor;
import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.jobs.GpuService;
import io.comfyvn.compute.jobs.Results;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /api/gpu}: the compute advisor ({@code POST /advise}, ComfyVN's contract) and the pricing
 * catalog it reads ({@code GET /catalog}).
 */
final class AdvisorRoutes {
  static final String PREFIX = "/api/gpu";

  private final Advisor advisor;
  private final PricingCatalog catalog;
  private final GpuService gpu;
  private final Bodies bodies;

  AdvisorRoutes(Advisor advisor, PricingCatalog catalog, GpuService gpu, Bodies bodies) {
    this.advisor = advisor;
    this.catalog = catalog;
    this.gpu = gpu;
    this.bodies = bodies;
  }

  void register(RoutesConfig routes) {
    routes.post(PREFIX + "/advise", this::advise);
    routes.get(
        PREFIX + "/catalog",
        ctx -> ctx.json(new CatalogAnswer(true, catalog.offerCount(), catalog.providers())));
  }

  /** {@code POST /api/gpu/advise}: {@code {ok, advice, decision, feature}}. */
  record AdviseAnswer(
      boolean ok, Advice advice, Advice.Decision decision, Results.FeatureState feature) {}

  /** {@code GET /api/gpu/catalog}. */
  record CatalogAnswer(boolean ok, int offers, List<CatalogProvider> providers) {}

  private void advise(Context ctx) {
    ObjectNode body = bodies.object(ctx, true);
    if (body.get("job") instanceof ObjectNode job) {
      // a workflow job is refused here exactly as /submit would refuse it
      WorkflowJobs.read(job, 0, Limits.DEFAULT);
    }
    AdviceRequest req = AdviceRequest.parse(body);
    // The advisor reads the one mode decision GpuService makes; it never decides modes itself.
    Map<String, AdapterState> adapters = new TreeMap<>();
    for (Results.ProviderStatus p : gpu.providers().providers()) {
      adapters.put(p.slug(), new AdapterState(p.mode(), p.modeReasons()));
    }
    Advisor.Result r = advisor.advise(req, adapters);
    ctx.json(new AdviseAnswer(true, r.advice(), r.decision(), gpu.feature()));
  }
}

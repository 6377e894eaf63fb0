package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.advisor.WorkflowAnalysis;
import io.comfyvn.compute.config.ConfigProblem;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.gpu.Seeds;
import io.comfyvn.compute.jobs.GpuRequest;
import io.comfyvn.compute.jobs.GpuService;
import io.comfyvn.compute.jobs.ProviderWebhooks;
import io.comfyvn.compute.jobs.Results;
import io.comfyvn.compute.sim.SimEvent;
import io.comfyvn.compute.sim.SimRun;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** {@code /api/providers/gpu}: the public GPU adapters' routes, the work order's names. */
final class GpuRoutes {
  static final String PREFIX = "/api/providers/gpu";

  private final GpuService service;
  private final SimService sim;
  private final ProviderWebhooks webhooks;
  private final Bodies bodies;
  private final Supplier<List<ConfigProblem>> settingsProblems;

  /**
   * @param settingsProblems the settings files' problems now (re-read when they change)
   */
  GpuRoutes(
      GpuService service,
      SimService sim,
      ProviderWebhooks webhooks,
      Bodies bodies,
      Supplier<List<ConfigProblem>> settingsProblems) {
    this.webhooks = webhooks;
    this.service = service;
    this.sim = sim;
    this.bodies = bodies;
    this.settingsProblems = settingsProblems;
  }

  void register(RoutesConfig routes) {
    routes.get(PREFIX + "/providers", this::providers);
    routes.post(PREFIX + "/health", this::health);
    routes.post(PREFIX + "/submit", this::submit);
    routes.get(
        PREFIX + "/poll/{id}",
        ctx -> ctx.json(service.poll(ctx.pathParam("id"), ctx.queryParam("provider"))));
    routes.post(PREFIX + "/cancel/{id}", this::cancel);
    routes.post(PREFIX + "/webhooks/{provider}", this::webhook);
    routes.post(PREFIX + "/simulate", this::simulate);
  }

  /** Extra fields for error answers under this prefix: the feature flag, as on every answer. */
  Map<String, Object> errorExtras() {
    return Map.of("feature", service.feature());
  }

  /** The providers answer with every problem of the settings files ({@code config_problems}). */
  private void providers(Context ctx) {
    ObjectNode answer = bodies.tree(service.providers());
    answer.set(
        "config_problems",
        bodies.tree(settingsProblems.get().stream().map(ConfigProblem::view).toList()));
    ctx.json(answer);
  }

  private void health(Context ctx) {
    ObjectNode body = bodies.object(ctx, true);
    ModeDecision.Requested requested = Bodies.requestedMode(body);
    Bodies.optionalObject(body, "config", "cfg");
    if (!body.hasNonNull("provider")) {
      List<Results.Health> all = service.healthAll();
      boolean ok = all.stream().anyMatch(Results.Health::ok);
      ctx.json(new AllHealth(ok, all, service.feature()));
      return;
    }
    ctx.json(service.health(Bodies.requiredText(body, "provider"), requested));
  }

  /** Health of every provider when the request names none. */
  record AllHealth(boolean ok, List<Results.Health> providers, Results.FeatureState feature) {}

  private void submit(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String provider = Bodies.requiredText(body, "provider");
    ObjectNode job = Bodies.optionalObject(body, "job", "payload");
    if (job == null) {
      throw ComputeException.badRequest("missing_field", "'job' (or 'payload') object is required");
    }
    ObjectNode config = Bodies.optionalObject(body, "config", "cfg");
    GpuRequest req =
        new GpuRequest(
            provider,
            job,
            config == null ? JsonNodeFactory.instance.objectNode() : config,
            body.get("seed"),
            Bodies.requestedMode(body),
            idempotencyKey(ctx, job));
    ctx.json(service.submit(req));
  }

  private void cancel(Context ctx) {
    ObjectNode body = bodies.object(ctx, true);
    String provider = ctx.queryParam("provider");
    if (body.hasNonNull("provider")) {
      provider = Bodies.requiredText(body, "provider");
    }
    ctx.json(service.cancel(ctx.pathParam("id"), provider));
  }

  private void webhook(Context ctx) {
    Map<String, String> headers = new java.util.TreeMap<>();
    ctx.headerMap().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
    ctx.json(
        webhooks.receive(
            ctx.pathParam("provider"),
            ctx.queryParam("task"),
            ctx.queryParam("token"),
            headers,
            ctx.bodyAsBytes()));
  }

  /**
   * {@code POST /simulate}: the whole seeded handshake of {@code {provider, job, seed}}, at once.
   */
  private void simulate(Context ctx) {
    long start = System.nanoTime();
    ObjectNode body = bodies.object(ctx, false);
    String provider = Bodies.requiredText(body, "provider");
    ObjectNode job = Bodies.optionalObject(body, "job", "payload");
    if (job == null) {
      job = JsonNodeFactory.instance.objectNode();
    }
    long seed = Seeds.resolve(body.get("seed"), job);
    // the same checks as a submit: a workflow a submit would refuse is not simulated either
    WorkflowJobs.read(job, seed, Limits.DEFAULT);
    SimService.Plan plan = sim.plan(provider, job);
    SimRun run = sim.simulate(plan, seed);
    Results.ProviderStatus live =
        service.providers().providers().stream()
            .filter(p -> p.slug().equals(plan.slug()))
            .findFirst()
            .orElseThrow();
    SimDecision decision =
        new SimDecision(
            "sim",
            true,
            plan.slug(),
            plan.provider().adapter(),
            plan.offer().sku(),
            plan.offer().gpu(),
            plan.offer().vramGb(),
            plan.hardwareSource(),
            live.mode(),
            live.modeReasons());
    service.logSimulation(
        plan.slug(),
        "sim-" + plan.slug() + "-" + seed,
        run.outcome(),
        run.durationMs(),
        start,
        job);
    ctx.json(
        new SimulateAnswer(
            true,
            true,
            plan.slug(),
            seed,
            run.outcome(),
            run.coldStart(),
            run.retries(),
            run.durationMs(),
            run.transcript(),
            run.events(),
            decision,
            run.artifacts(),
            run.cost(),
            sim.estimate(plan),
            plan.workflow(),
            service.feature()));
  }

  /**
   * Where a simulated job would have gone.
   *
   * @param mode always {@code sim}
   * @param dryRun always true: nothing is sent
   * @param provider provider slug
   * @param adapter the public adapter
   * @param sku the GPU offer simulated
   * @param gpu its GPU
   * @param vramGb its memory
   * @param hardwareSource {@code job}, {@code config} or {@code default}
   * @param liveMode what a real submit would run as now ({@code dry_run} or {@code live})
   * @param liveReasons why it would not be live
   */
  record SimDecision(
      String mode,
      boolean dryRun,
      String provider,
      String adapter,
      String sku,
      String gpu,
      double vramGb,
      String hardwareSource,
      io.comfyvn.compute.status.Mode liveMode,
      List<String> liveReasons) {}

  /** The answer of {@code POST /simulate}. */
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  record SimulateAnswer(
      boolean ok,
      boolean dryRun,
      String provider,
      long seed,
      String outcome,
      boolean coldStart,
      int retries,
      long durationMs,
      List<String> transcript,
      List<SimEvent> events,
      SimDecision decision,
      List<SimRun.Artifact> artifacts,
      SimRun.Cost cost,
      Estimate estimate,
      WorkflowAnalysis workflow,
      Results.FeatureState feature) {}

  /** The {@code Idempotency-Key} header, else {@code job.id}, else null. */
  private static String idempotencyKey(Context ctx, ObjectNode job) {
    String header = ctx.header("Idempotency-Key");
    String key = header;
    if (key == null || key.isBlank()) {
      JsonNode id = job.get("id");
      key = id != null && (id.isTextual() || id.isIntegralNumber()) ? id.asText() : null;
    }
    if (key == null || key.isBlank()) {
      return null;
    }
    if (key.length() > 200) {
      throw ComputeException.badRequest(
          "invalid_value", "an idempotency key is at most 200 characters");
    }
    return key.trim();
  }
}

package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuRequest;
import io.comfyvn.compute.gpu.GpuService;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.gpu.Results;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/** {@code /api/providers/gpu}: the public GPU adapters' routes, the work order's names. */
final class GpuRoutes {
  static final String PREFIX = "/api/providers/gpu";

  private final GpuService service;
  private final Bodies bodies;

  GpuRoutes(GpuService service, Bodies bodies) {
    this.service = service;
    this.bodies = bodies;
  }

  void register(RoutesConfig routes) {
    routes.get(PREFIX + "/providers", ctx -> ctx.json(service.providers()));
    routes.post(PREFIX + "/health", this::health);
    routes.post(PREFIX + "/submit", this::submit);
    routes.get(
        PREFIX + "/poll/{id}",
        ctx -> ctx.json(service.poll(ctx.pathParam("id"), ctx.queryParam("provider"))));
    routes.post(PREFIX + "/cancel/{id}", this::cancel);
    routes.post(PREFIX + "/webhooks/{provider}", this::webhook);
  }

  /** Extra fields for error answers under this prefix: the feature flag, as on every answer. */
  Map<String, Object> errorExtras() {
    return Map.of("feature", service.feature());
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
        service.webhook(
            ctx.pathParam("provider"),
            ctx.queryParam("task"),
            ctx.queryParam("token"),
            headers,
            ctx.bodyAsBytes()));
  }

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

package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.registry.ComputeProvider;
import io.comfyvn.compute.registry.ComputeProviderRegistry;
import io.comfyvn.compute.registry.Entries;
import io.comfyvn.compute.registry.ProviderRegistryService;
import io.comfyvn.compute.registry.ProviderTemplates;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/providers/*}: ComfyVN's compute provider registry, with its request and response
 * shapes. Every path is fixed except {@code /remove/{id}}, so nothing here can match a path under
 * {@code /api/providers/gpu/}.
 */
final class ProvidersRoutes {
  static final String PREFIX = "/api/providers";

  /** More entries than this in one import is refused. */
  static final int MAX_IMPORT = 500;

  private final ProviderRegistryService service;
  private final Bodies bodies;
  private final Clock clock;

  ProvidersRoutes(ProviderRegistryService service, Bodies bodies, Clock clock) {
    this.service = service;
    this.bodies = bodies;
    this.clock = clock;
  }

  void register(RoutesConfig routes) {
    routes.get(PREFIX, this::list);
    routes.get(PREFIX + "/list", this::list);
    routes.post(PREFIX + "/register", this::registerProvider);
    routes.post(PREFIX + "/create", this::create);
    routes.post(PREFIX + "/activate", this::activate);
    routes.post(PREFIX + "/order", this::order);
    routes.get(PREFIX + "/health", ctx -> health(ctx, ctx.queryParam("id")));
    routes.post(PREFIX + "/health", ctx -> health(ctx, optionalId(bodies.object(ctx, true))));
    routes.delete(PREFIX + "/remove/{id}", this::remove);
    routes.get(PREFIX + "/export", this::export);
    routes.post(PREFIX + "/import", this::importAll);
    routes.get(PREFIX + "/quota", ctx -> ctx.json(service.checks().quota(find(ctx))));
    routes.get(PREFIX + "/templates", this::templates);
    routes.post(PREFIX + "/bootstrap", this::bootstrap);
  }

  private void list(Context ctx) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ok", true);
    out.put("providers", masked(registry().list()));
    out.put("templates", service.templates().all());
    registry().problem().ifPresent(p -> out.put("problem", p));
    ctx.json(out);
  }

  private void registerProvider(Context ctx) {
    ComputeProvider p = registry().register(bodies.object(ctx, false));
    ctx.json(Map.of("ok", true, "provider", masked(p)));
  }

  private void create(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String templateId = Bodies.requiredText(body, "template_id");
    ProviderTemplates.Template t = service.templates().require(templateId);
    ComputeProvider p = registry().create(service.templates().payload(t, body));
    ctx.json(Map.of("ok", true, "provider", masked(p)));
  }

  private void activate(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String id = Bodies.requiredText(body, "id");
    JsonNode active = body.get("active");
    if (active == null || !active.isBoolean()) {
      throw ComputeException.badRequest("invalid_type", "'active' must be true or false");
    }
    ComputeProvider p = registry().setActive(id, active.booleanValue());
    ctx.json(Map.of("ok", true, "provider", masked(p)));
  }

  private void order(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    JsonNode order = body.get("order");
    if (order == null || !order.isArray()) {
      throw ComputeException.badRequest("invalid_type", "'order' must be an array of ids");
    }
    List<String> ids = new ArrayList<>();
    for (JsonNode id : order) {
      if (!id.isTextual()) {
        throw ComputeException.badRequest("invalid_type", "'order' must hold only id strings");
      }
      ids.add(id.asText());
    }
    ctx.json(Map.of("ok", true, "providers", masked(registry().order(ids))));
  }

  /** One provider ({@code {ok:true, status}}) or every active one ({@code {ok, results}}). */
  private void health(Context ctx, String id) {
    if (id != null && !id.isBlank()) {
      ComputeProvider p = existing(id);
      ObjectNode status = service.checks().health(p);
      registry().recordHealth(p.id(), status);
      ctx.json(Map.of("ok", true, "status", status));
      return;
    }
    List<ObjectNode> results = new ArrayList<>();
    for (ComputeProvider p : registry().list()) {
      if (p.active()) {
        ObjectNode status = service.checks().healthInList(p);
        registry().recordHealth(p.id(), status);
        status.put("provider_name", p.name());
        results.add(status);
      }
    }
    ctx.json(Map.of("ok", true, "results", results));
  }

  private void remove(Context ctx) {
    ComputeProvider p = registry().remove(ctx.pathParam("id"));
    ctx.json(Map.of("ok", true, "removed", p.id()));
  }

  private void export(Context ctx) {
    Map<String, Object> export = new LinkedHashMap<>();
    export.put("version", 1);
    export.put("exported_at", clock.instant().toString());
    export.put("providers", masked(registry().list()));
    // ComfyVN could export secrets on request; here there are none to export.
    export.put("secrets", "never exported: they live only in config/comfyvn.secrets.json");
    ctx.json(Map.of("ok", true, "export", export));
  }

  private void importAll(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    JsonNode list = body.get("providers");
    if (list == null && body.path("export").isObject()) {
      list = body.get("export").get("providers"); // an export's answer as it was saved
    }
    if (list == null || !list.isArray()) {
      throw ComputeException.badRequest(
          "invalid_type", "'providers' must be an array of provider objects");
    }
    if (list.size() > MAX_IMPORT) {
      throw ComputeException.badRequest(
          "invalid_value", "at most " + MAX_IMPORT + " providers can be imported at once");
    }
    List<ObjectNode> payloads = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!list.get(i).isObject()) {
        throw ComputeException.badRequest(
            "invalid_type", "providers[" + i + "] must be a JSON object");
      }
      payloads.add((ObjectNode) list.get(i));
    }
    ComputeProviderRegistry.ImportResult r =
        registry().importAll(payloads, flag(body, "replace"), flag(body, "overwrite"));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ok", true);
    out.put("imported", r.imported());
    out.put("skipped", r.skipped());
    out.put("providers", masked(registry().list()));
    ctx.json(out);
  }

  private void templates(Context ctx) {
    ctx.json(service.checks().templates(find(ctx)));
  }

  private void bootstrap(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String id = optionalId(body);
    if (id == null) {
      throw ComputeException.badRequest("missing_field", "'id' (or 'provider_id') is required");
    }
    ctx.json(service.bootstrap().run(existing(id)));
  }

  private ComputeProvider find(Context ctx) {
    String id = ctx.queryParam("id");
    if (id == null || id.isBlank()) {
      throw ComputeException.badRequest("missing_field", "query parameter 'id' is required");
    }
    return existing(id);
  }

  private ComputeProvider existing(String id) {
    return registry()
        .get(id)
        .orElseThrow(
            () ->
                ComputeException.notFound("unknown_provider", "no provider with id '" + id + "'"));
  }

  private static String optionalId(ObjectNode body) {
    for (String f : new String[] {"id", "provider_id"}) {
      if (body.hasNonNull(f)) {
        return Bodies.requiredText(body, f);
      }
    }
    return null;
  }

  private static boolean flag(ObjectNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw ComputeException.badRequest("invalid_type", "'" + field + "' must be true or false");
    }
    return v.booleanValue();
  }

  private ComputeProviderRegistry registry() {
    return service.registry();
  }

  private static List<ObjectNode> masked(List<ComputeProvider> list) {
    return list.stream().map(ProvidersRoutes::masked).toList();
  }

  private static ObjectNode masked(ComputeProvider p) {
    return Entries.masked(p);
  }
}

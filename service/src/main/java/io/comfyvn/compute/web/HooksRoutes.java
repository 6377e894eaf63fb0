package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.hooks.HookBus;
import io.comfyvn.compute.hooks.HookEvent;
import io.comfyvn.compute.hooks.HookSpec;
import io.comfyvn.compute.hooks.HookWebhooks;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/modder/hooks}: ComfyVN's modder hook surface for GPU jobs. {@code GET} lists the
 * hooks, registered webhooks and recent history; webhooks are added and removed with {@code
 * POST}/{@code DELETE /webhooks}; {@code POST /test} emits an event; {@code WS /ws} streams the
 * topics a client subscribes to with {@code {"topics": [...]}}.
 */
final class HooksRoutes {
  private static final String PREFIX = "/api/modder/hooks";

  private final HookBus bus;
  private final HookWebhooks webhooks;
  private final Bodies bodies;
  private final ObjectMapper mapper;
  private final Sockets<Set<String>> sockets;

  HooksRoutes(HookBus bus, HookWebhooks webhooks, Bodies bodies, ObjectMapper mapper) {
    this.bus = bus;
    this.webhooks = webhooks;
    this.bodies = bodies;
    this.mapper = mapper;
    this.sockets = new Sockets<>(mapper);
    bus.subscribe(this::stream);
  }

  void register(RoutesConfig routes) {
    routes.get(PREFIX, this::list);
    routes.get(PREFIX + "/history", this::history);
    routes.post(PREFIX + "/webhooks", this::addWebhook);
    routes.delete(PREFIX + "/webhooks", this::removeWebhook);
    routes.post(PREFIX + "/test", this::test);
    routes.ws(
        PREFIX + "/ws",
        ws -> {
          ws.onConnect(ctx -> sockets.put(ctx, Set.of()));
          ws.onMessage(ctx -> subscribe(ctx, ctx.message()));
          ws.onClose(sockets::remove);
          ws.onError(sockets::remove);
        });
  }

  /** {@code GET /api/modder/hooks}. */
  record Listing(
      boolean ok,
      List<HookSpec> hooks,
      List<HookWebhooks.View> webhooks,
      List<HookEvent> history) {}

  /** {@code GET /api/modder/hooks/history}. */
  record History(boolean ok, List<HookEvent> items) {}

  private void list(Context ctx) {
    ctx.json(new Listing(true, HookSpec.ALL, webhooks.list(), bus.history(25)));
  }

  private void history(Context ctx) {
    int limit = 25;
    String q = ctx.queryParam("limit");
    if (q != null) {
      try {
        limit = Integer.parseInt(q.trim());
      } catch (NumberFormatException e) {
        throw ComputeException.badRequest("invalid_value", "'limit' must be a whole number");
      }
      if (limit < 1 || limit > HookBus.HISTORY) {
        throw ComputeException.badRequest(
            "invalid_value", "'limit' must be 1 to " + HookBus.HISTORY);
      }
    }
    ctx.json(new History(true, bus.history(limit)));
  }

  private void addWebhook(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String event = Bodies.requiredText(body, "event");
    JsonNode url = body.get("url");
    if (url == null || !url.isTextual() || url.asText().isBlank() || url.asText().length() > 2000) {
      throw ComputeException.badRequest("invalid_type", "'url' must be a non-empty string");
    }
    JsonNode secret = body.get("secret");
    if (secret != null && !secret.isNull() && !secret.isTextual()) {
      throw ComputeException.badRequest("invalid_type", "'secret' must be a string");
    }
    HookWebhooks.View v =
        webhooks.add(
            event, url.asText(), secret == null || secret.isNull() ? null : secret.asText());
    ctx.json(Map.of("ok", true, "webhook", v));
  }

  private void removeWebhook(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String event = Bodies.requiredText(body, "event");
    JsonNode url = body.get("url");
    if (url == null || !url.isTextual()) {
      throw ComputeException.badRequest("invalid_type", "'url' must be a string");
    }
    ctx.json(Map.of("ok", true, "removed", webhooks.remove(event, url.asText())));
  }

  private void test(Context ctx) {
    ObjectNode body = bodies.object(ctx, true);
    String event =
        body.hasNonNull("event") ? Bodies.requiredText(body, "event") : "on_gpu_job_updated";
    if (HookSpec.find(event).isEmpty()) {
      throw ComputeException.badRequest("unknown_event", "no hook named '" + event + "'");
    }
    ObjectNode payload = Bodies.optionalObject(body, "payload");
    HookEvent e =
        bus.publish(event, payload == null ? mapper.createObjectNode().put("test", true) : payload);
    ctx.json(Map.of("ok", true, "event", e));
  }

  private void subscribe(WsContext ctx, String message) {
    Set<String> topics = new HashSet<>();
    try {
      JsonNode j = mapper.readTree(message);
      j.path("topics").forEach(t -> topics.add(t.asText()));
    } catch (Exception e) {
      ctx.send(
          "{\"ok\":false,\"code\":\"invalid_json\",\"message\":\"send {\\\"topics\\\":[...]}\"}");
      return;
    }
    sockets.put(ctx, Set.copyOf(topics));
    sockets.send(ctx, Map.of("ok", true, "subscribed", topics.stream().sorted().toList()));
  }

  private void stream(HookEvent e) {
    String topic = "modder." + e.event();
    sockets.broadcast(
        e, topics -> topics.contains(topic) || topics.contains(e.event()) || topics.contains("*"));
  }
}

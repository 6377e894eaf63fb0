package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.provenance.TaskLogs;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.regex.Pattern;

/**
 * ComfyVN's other {@code /jobs} routes: {@code POST /jobs/enqueue} (a tool records a task of its
 * own in the registry: {@code {kind, payload, message?, meta?}} -> {@code {ok, id}}) and {@code GET
 * /jobs/logs/{id}} (a task's log as text). An enqueued task is a record for the caller's own
 * worker: nothing here runs it, and the service's own kinds are refused, so an enqueue can never
 * look like a GPU submit or a bootstrap the service would act on.
 */
final class JobsCompatRoutes {
  private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
  private static final int MAX_MESSAGE = 500;

  private final TaskRegistry tasks;
  private final TaskLogs logs;
  private final Bodies bodies;

  JobsCompatRoutes(TaskRegistry tasks, TaskLogs logs, Bodies bodies) {
    this.tasks = tasks;
    this.logs = logs;
    this.bodies = bodies;
  }

  void register(RoutesConfig routes) {
    routes.post("/jobs/enqueue", this::enqueue);
    routes.get("/jobs/logs/{id}", this::logs);
  }

  /** The answer of {@code POST /jobs/enqueue}. */
  record Enqueued(boolean ok, String id) {}

  private void enqueue(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    String kind = Bodies.requiredText(body, "kind");
    if (!KIND.matcher(kind).matches()) {
      throw ComputeException.badRequest(
          "invalid_value",
          "'kind' must be 1 to 64 letters, digits and . _ : - (e.g. render.batch)");
    }
    String lower = kind.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("public.gpu") || lower.startsWith("provider.")) {
      throw ComputeException.badRequest(
          "reserved_kind",
          "'" + kind + "' is a kind the service runs itself; use a kind of your own");
    }
    JsonNode payload = body.get("payload");
    if (payload != null && !payload.isNull() && !payload.isObject()) {
      throw ComputeException.badRequest("invalid_type", "'payload' must be an object");
    }
    JsonNode message = body.get("message");
    if (message != null && !message.isNull() && !message.isTextual()) {
      throw ComputeException.badRequest("invalid_type", "'message' must be text");
    }
    String text = message == null || message.isNull() ? "queued" : message.asText();
    if (text.length() > MAX_MESSAGE) {
      throw ComputeException.badRequest(
          "invalid_value", "'message' is at most " + MAX_MESSAGE + " characters");
    }
    ObjectNode meta = Bodies.optionalObject(body, "meta");
    ObjectNode details = TaskRegistry.newDetails();
    if (meta != null) {
      details.setAll(meta);
    }
    details.set("payload", payload == null || payload.isNull() ? details.objectNode() : payload);
    details.put("enqueued", true);
    Task t =
        tasks
            .register(new TaskRegistry.Draft(null, kind, TaskStatus.QUEUED, 0, text, null, details))
            .task();
    ctx.json(new Enqueued(true, t.id()));
  }

  private void logs(Context ctx) {
    Task t =
        tasks
            .get(ctx.pathParam("id"))
            .orElseThrow(() -> ComputeException.notFound("unknown_job", "no task with that id"));
    // a known task always has a log, if only an empty one: 404 is for an unknown id alone
    String text = logs.text(t.details()).orElse("");
    ctx.contentType("text/plain; charset=utf-8").result(text);
  }
}

package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.tasks.TaskView;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code /jobs}: ComfyVN's task registry routes ({@code /jobs/all}, {@code /jobs/status/{id}}) and
 * the {@code /jobs/ws} stream: a snapshot on connect, then {@code job.update} events, with a ping
 * every 15 s.
 */
final class JobsRoutes implements AutoCloseable {
  private static final int MAX_LIMIT = 1000;

  private final TaskRegistry tasks;
  private final ObjectMapper mapper;
  private final java.util.function.Consumer<TaskEvent> listener = this::broadcast;
  private final Sockets<Boolean> sessions;
  private final ScheduledExecutorService pinger =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "jobs-ws-ping");
            t.setDaemon(true);
            return t;
          });

  JobsRoutes(TaskRegistry tasks, ObjectMapper mapper) {
    this.tasks = tasks;
    this.mapper = mapper;
    this.sessions = new Sockets<>(mapper);
    tasks.subscribe(listener);
    pinger.scheduleAtFixedRate(() -> send(Map.of("type", "ping")), 15, 15, TimeUnit.SECONDS);
  }

  void register(RoutesConfig routes) {
    routes.get("/jobs/all", this::all);
    routes.get("/jobs/status/{id}", this::status);
    routes.ws(
        "/jobs/ws",
        ws -> {
          ws.onConnect(
              ctx -> {
                sessions.put(ctx, true);
                sessions.send(ctx, Map.of("type", "snapshot", "jobs", views(tasks.list(100))));
              });
          ws.onClose(sessions::remove);
          ws.onError(sessions::remove);
        });
  }

  private void all(Context ctx) {
    int limit = 200;
    String q = ctx.queryParam("limit");
    if (q != null) {
      try {
        limit = Integer.parseInt(q.trim());
      } catch (NumberFormatException e) {
        throw ComputeException.badRequest("invalid_value", "'limit' must be a whole number");
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ComputeException.badRequest("invalid_value", "'limit' must be 1 to " + MAX_LIMIT);
      }
    }
    ctx.json(new JobList(true, views(tasks.list(limit))));
  }

  private void status(Context ctx) {
    String id = ctx.pathParam("id");
    TaskView task =
        tasks
            .get(id)
            .map(TaskView::of)
            .orElseThrow(() -> ComputeException.notFound("unknown_job", "no task with that id"));
    ctx.json(new JobStatus(true, task));
  }

  /** Answers carry tasks' public views, never the stored records. */
  private static List<TaskView> views(List<io.comfyvn.compute.tasks.Task> stored) {
    return stored.stream().map(TaskView::of).toList();
  }

  /** {@code GET /jobs/all}. */
  record JobList(boolean ok, List<TaskView> jobs) {}

  /** {@code GET /jobs/status/{id}}. */
  record JobStatus(boolean ok, TaskView job) {}

  private void broadcast(TaskEvent event) {
    send(Map.of("type", "job.update", "event", event.type(), "job", event.task()));
  }

  private void send(Object message) {
    sessions.broadcast(message, everyone -> true);
  }

  @Override
  public void close() {
    tasks.unsubscribe(listener);
    pinger.shutdownNow();
  }
}

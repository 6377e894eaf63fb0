package io.comfyvn.compute.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.SimTasks;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.tasks.TaskStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The impure half of Sim mode: registers a sim task with its whole simulated run in the task's meta
 * ({@code sim_events}), then plays the events into the task registry one at a time, each after the
 * simulated gap times the config's {@code advisor.sim.time_scale}. Poll, {@code /jobs/all} and
 * {@code /jobs/ws} see the task move because they read the registry.
 *
 * <p>Cancel needs nothing here: a canceled task is terminal, the registry refuses further changes,
 * and the next step sees that and stops. After a restart {@link #resumeAll()} picks up every
 * unfinished sim task at its next event (the time the service was down is not replayed).
 */
public final class SimTaskRunner implements SimTasks {
  private static final Logger log = LoggerFactory.getLogger(SimTaskRunner.class);

  /** How many unfinished tasks a restart looks at. */
  static final int RESUME_LIMIT = 10_000;

  private final SimService sim;
  private final TaskRegistry tasks;
  private final SimScheduler scheduler;
  private final double timeScale;

  public SimTaskRunner(
      SimService sim, TaskRegistry tasks, SimScheduler scheduler, double timeScale) {
    this.sim = sim;
    this.tasks = tasks;
    this.scheduler = scheduler;
    this.timeScale = timeScale;
  }

  @Override
  public Task start(Start s) {
    SimService.Plan plan = sim.plan(s.slug(), s.job());
    SimRun run = sim.simulate(plan, s.seed());
    ObjectNode meta = s.meta().deepCopy();
    meta.put("provider_job_id", "sim-" + run.provider() + "-" + run.seed());
    meta.put("sim_outcome", run.outcome());
    meta.put("sim_step", 0);
    meta.put("sim_time_scale", timeScale);
    ArrayNode events = meta.putArray("sim_events");
    for (SimEvent e : run.events()) {
      ObjectNode n = events.addObject();
      n.put("t_ms", e.tMs());
      n.put("status", e.status());
      n.put("phase", e.phase());
      n.put("provider_status", e.providerStatus());
      n.put("progress", e.progress());
      n.put("message", e.message());
    }
    ArrayNode artifacts = meta.putArray("sim_artifacts");
    run.artifacts().forEach(a -> artifacts.addObject().put("name", a.name()).put("mime", a.mime()));
    meta.putArray("artifacts");
    SimEvent first = run.events().get(0);
    meta.put("provider_status", first.providerStatus());
    meta.putArray("logs").add(first.message());
    TaskRegistry.Registered reg =
        tasks.register(
            new TaskRegistry.Draft(
                s.taskId(),
                s.kind(),
                TaskStatus.parse(first.status()),
                first.progress(),
                first.message(),
                meta,
                s.idempotencyKey()));
    if (reg.created()) {
      scheduleAfter(reg.task().id(), meta.path("sim_events"), 0);
    }
    return reg.task();
  }

  /** Resumes every unfinished sim task at its next event; returns how many. */
  public int resumeAll() {
    int resumed = 0;
    for (Task t : tasks.unfinished(RESUME_LIMIT)) {
      if (!"sim".equals(t.meta().path("mode").asText()) || !t.meta().has("sim_events")) {
        continue;
      }
      int next = t.meta().path("sim_step").asInt(0) + 1;
      scheduler.schedule(() -> step(t.id(), next), 0);
      resumed++;
    }
    return resumed;
  }

  /** Schedules event {@code current + 1}, the simulated gap times the time scale from now. */
  private void scheduleAfter(String taskId, JsonNode events, int current) {
    if (current + 1 >= events.size()) {
      return;
    }
    long gap =
        events.get(current + 1).path("t_ms").asLong() - events.get(current).path("t_ms").asLong();
    scheduler.schedule(() -> step(taskId, current + 1), Math.round(gap * timeScale));
  }

  /** Plays event {@code index} of a task, then schedules the next one. */
  void step(String taskId, int index) {
    try {
      Task t = tasks.get(taskId).orElse(null);
      if (t == null || t.status().terminal()) {
        return;
      }
      JsonNode events = t.meta().path("sim_events");
      if (index >= events.size()) {
        return;
      }
      JsonNode e = events.get(index);
      ObjectNode patch = t.meta().objectNode();
      patch.put("sim_step", index);
      patch.put("provider_status", e.path("provider_status").asText());
      ArrayNode logs = patch.putArray("logs");
      t.meta().path("logs").forEach(logs::add);
      logs.add(e.path("message").asText());
      TaskStatus status = TaskStatus.parse(e.path("status").asText());
      if (status == TaskStatus.DONE) {
        patch.set("artifacts", t.meta().path("sim_artifacts").deepCopy());
      }
      tasks.update(
          taskId, status, e.path("progress").asDouble(), e.path("message").asText(), patch);
      if (index + 1 < events.size()) {
        long gap = events.get(index + 1).path("t_ms").asLong() - e.path("t_ms").asLong();
        scheduler.schedule(() -> step(taskId, index + 1), Math.round(gap * timeScale));
      }
    } catch (RuntimeException ex) {
      // A step runs on the scheduler's thread: a failure must not kill the thread or go unseen.
      log.atWarn()
          .addKeyValue("task_id", taskId)
          .addKeyValue("step", index)
          .log("sim step failed: {}", ex.getClass().getSimpleName());
    }
  }
}

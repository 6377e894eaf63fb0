package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.sim.SimEvent;
import io.comfyvn.compute.sim.SimRun;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Artifact;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The impure half of Sim mode (the simulator itself, {@code sim/}, is pure): registers a sim task
 * with its whole simulated run recorded in the task's details ({@code sim_events}), then plays the
 * events into the task registry one at a time, each after the simulated gap times the config's
 * {@code advisor.sim.time_scale}. Poll, {@code /jobs/all} and {@code /jobs/ws} see the task move
 * because they read the registry.
 *
 * <p>Cancel needs nothing here: a canceled task is terminal, the registry refuses further changes,
 * and the next step sees that and stops. After a restart {@link #resumeAll()} picks up every
 * unfinished sim task at its next event (the time the service was down is not replayed).
 */
public final class SimTaskRunner {
  private static final Logger log = LoggerFactory.getLogger(SimTaskRunner.class);

  /** How many unfinished tasks a restart looks at. */
  static final int RESUME_LIMIT = 10_000;

  private final SimService sim;
  private final TaskRegistry tasks;
  private final Scheduler scheduler;
  private final double timeScale;

  public SimTaskRunner(SimService sim, TaskRegistry tasks, Scheduler scheduler, double timeScale) {
    this.sim = sim;
    this.tasks = tasks;
    this.scheduler = scheduler;
    this.timeScale = timeScale;
  }

  /**
   * Registers a sim task (or finds the earlier one) and schedules its events; returns it as stored.
   *
   * @param taskId the task id, or null for a random one
   * @param submission the submit's facts (mode sim; provider and seed say what to simulate)
   * @param job the job payload
   * @param details the display data so far (payload, config, logs)
   */
  public TaskRegistry.Registered start(
      String taskId, Submission submission, ObjectNode job, ObjectNode details) {
    SimService.Plan plan = sim.plan(submission.provider(), job);
    SimRun run = sim.simulate(plan, submission.seed());
    ObjectNode d = details.deepCopy();
    d.put("sim_outcome", run.outcome());
    d.put("sim_step", 0);
    d.put("sim_time_scale", timeScale);
    ArrayNode events = d.putArray("sim_events");
    for (SimEvent e : run.events()) {
      ObjectNode n = events.addObject();
      n.put("t_ms", e.tMs());
      n.put("status", e.status());
      n.put("phase", e.phase());
      n.put("provider_status", e.providerStatus());
      n.put("progress", e.progress());
      n.put("message", e.message());
    }
    ArrayNode artifacts = d.putArray("sim_artifacts");
    run.artifacts().forEach(a -> artifacts.addObject().put("name", a.name()).put("mime", a.mime()));
    SimEvent first = run.events().get(0);
    d.put("provider_status", first.providerStatus());
    d.putArray("logs").add(first.message());
    TaskRegistry.Registered reg =
        tasks.register(
            new TaskRegistry.Draft(
                taskId,
                GpuService.TASK_KIND,
                TaskStatus.parse(first.status()),
                first.progress(),
                first.message(),
                // the simulator always takes the job: its id is known at once
                submission.accepted("sim-" + run.provider() + "-" + run.seed()),
                d));
    if (reg.created()) {
      scheduleAfter(reg.task().id(), d.path("sim_events"), 0);
    }
    return reg;
  }

  /** Resumes every unfinished sim task at its next event; returns how many. */
  public int resumeAll() {
    int resumed = 0;
    for (Task t : tasks.unfinished(RESUME_LIMIT)) {
      if (t.mode() != Mode.SIM || !t.details().has("sim_events")) {
        continue;
      }
      int next = t.details().path("sim_step").asInt(0) + 1;
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
      JsonNode events = t.details().path("sim_events");
      if (index >= events.size()) {
        return;
      }
      JsonNode e = events.get(index);
      TaskStatus status = TaskStatus.parse(e.path("status").asText());
      Task after =
          tasks
              .update(
                  taskId,
                  current -> {
                    ObjectNode patch = TaskRegistry.newDetails();
                    patch.put("sim_step", index);
                    patch.put("provider_status", e.path("provider_status").asText());
                    ArrayNode logs = patch.putArray("logs");
                    current.details().path("logs").forEach(logs::add);
                    logs.add(e.path("message").asText());
                    Task next =
                        current
                            .withState(
                                status, e.path("progress").asDouble(), e.path("message").asText())
                            .withDetails(patch);
                    return status == TaskStatus.DONE
                        ? next.withArtifacts(simArtifacts(current))
                        : next;
                  })
              .orElse(null);
      if (after == null || after.status().terminal()) {
        return;
      }
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

  /** The outputs a sim run names (nothing is stored: sim sends and fetches nothing). */
  private static List<Artifact> simArtifacts(Task t) {
    List<Artifact> out = new ArrayList<>();
    t.details()
        .path("sim_artifacts")
        .forEach(a -> out.add(Artifact.named(a.path("name").asText(), a.path("mime").asText())));
    return out;
  }
}

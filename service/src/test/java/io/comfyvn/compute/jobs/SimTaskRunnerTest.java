package io.comfyvn.compute.jobs;

import static io.comfyvn.compute.advisor.Workflows.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.sim.SimProfiles;
import io.comfyvn.compute.sim.SimRun;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimTaskRunnerTest {
  private static final double SCALE = 0.05;

  @TempDir Path home;
  private TaskRegistry tasks;
  private SimService sim;
  private ManualScheduler scheduler;
  private SimTaskRunner runner;
  private final List<TaskEvent> seen = new ArrayList<>();

  @BeforeEach
  void setUp() {
    tasks =
        new TaskRegistry(
            new MemoryTaskStore(),
            Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC));
    tasks.subscribe(seen::add);
    sim =
        new SimService(
            GpuProviders.discover(),
            new ConfigLoader(Json.mapper()).load(home),
            PricingCatalog.load(AdvisorSettings.DEFAULTS),
            SimProfiles.load(),
            new WorkflowAnalyzer(VramRules.load()));
    scheduler = new ManualScheduler();
    runner = new SimTaskRunner(sim, tasks, scheduler, SCALE);
  }

  /** A seed whose run on the provider ends as wanted. */
  private long seedWithOutcome(String slug, String outcome, boolean retried) {
    for (long seed = 0; seed < 100_000; seed++) {
      SimRun r = sim.simulate(sim.plan(slug, (ObjectNode) json("{}")), seed);
      if (r.outcome().equals(outcome) && (r.retries() > 0) == retried) {
        return seed;
      }
    }
    throw new AssertionError("no seed found");
  }

  private Task start(String slug, long seed) {
    Submission submission =
        new Submission(
            Mode.SIM, slug, null, SubmitState.ACCEPTED, seed, "fp", null, null, null, null);
    return runner
        .start(
            "task-" + slug + "-" + seed,
            submission,
            (ObjectNode) json("{}"),
            TaskRegistry.newDetails())
        .task();
  }

  @Test
  void aSimTaskAdvancesThroughItsEventsOnScaledTime() {
    long seed = seedWithOutcome("runpod", "done", true);
    SimRun expected = sim.simulate(sim.plan("runpod", (ObjectNode) json("{}")), seed);
    Task t = start("runpod", seed);
    assertThat(t.status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(t.details().path("sim_events")).hasSize(expected.events().size());
    assertThat(t.providerJobId()).isEqualTo("sim-runpod-" + seed);
    assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);

    List<TaskStatus> statuses = new ArrayList<>();
    List<Double> progress = new ArrayList<>();
    long scaledEnd = Math.round(expected.durationMs() * SCALE);
    // Step through virtual time in 10 ms ticks, as a poller would see it.
    for (long ms = 0; ms < scaledEnd + 20; ms += 10) {
      scheduler.advance(10);
      Task now = tasks.get(t.id()).orElseThrow();
      if (statuses.isEmpty() || statuses.get(statuses.size() - 1) != now.status()) {
        statuses.add(now.status());
      }
      progress.add(now.progress());
    }
    assertThat(statuses)
        .startsWith(TaskStatus.QUEUED)
        .contains(TaskStatus.RUNNING)
        .endsWith(TaskStatus.DONE);
    Task done = tasks.get(t.id()).orElseThrow();
    assertThat(done.artifacts()).hasSize(1);
    assertThat(done.details().path("logs")).hasSize(expected.events().size());
    assertThat(done.details().path("provider_status").asText()).isEqualTo("COMPLETED");
    assertThat(done.message())
        .isEqualTo(expected.events().get(expected.events().size() - 1).message());
    assertThat(scheduler.pending()).isZero();
    assertThat(seen)
        .filteredOn(e -> e.task().id().equals(t.id()))
        .hasSize(expected.events().size());
  }

  @Test
  void itIsNotDoneBeforeItsScaledDuration() {
    long seed = seedWithOutcome("modal", "done", false);
    SimRun expected = sim.simulate(sim.plan("modal", (ObjectNode) json("{}")), seed);
    Task t = start("modal", seed);
    scheduler.advance(Math.round(expected.durationMs() * SCALE) - 2);
    assertThat(tasks.get(t.id()).orElseThrow().status().terminal()).isFalse();
    scheduler.advance(4);
    assertThat(tasks.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.DONE);
  }

  @Test
  void failedRunsEndAsErrorsWithoutArtifacts() {
    long seed = seedWithOutcome("huggingface", "timeout", false);
    Task t = start("huggingface", seed);
    scheduler.runAll();
    Task end = tasks.get(t.id()).orElseThrow();
    assertThat(end.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(end.message()).contains("Timed out");
    assertThat(end.artifacts()).isEmpty();
  }

  @Test
  void cancelStopsTheRun() {
    long seed = seedWithOutcome("runpod", "done", false);
    Task t = start("runpod", seed);
    scheduler.advance(1);
    tasks.update(t.id(), TaskStatus.CANCELED, 0.1, "Canceled by request", null);
    int before = seen.size();
    scheduler.runAll();
    Task end = tasks.get(t.id()).orElseThrow();
    assertThat(end.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(end.artifacts()).isEmpty();
    assertThat(seen).hasSize(before);
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void startingTheSameTaskTwiceSchedulesItOnce() {
    start("replicate", 5);
    int scheduled = scheduler.scheduled();
    Task again = start("replicate", 5);
    assertThat(scheduler.scheduled()).isEqualTo(scheduled);
    assertThat(again.id()).isEqualTo("task-replicate-5");
  }

  @Test
  void unfinishedSimTasksResumeAfterARestart() {
    Task t = start("runpod", seedWithOutcome("runpod", "done", false));
    scheduler.advance(1);
    JsonNode stepBefore = tasks.get(t.id()).orElseThrow().details().path("sim_step");
    // The old scheduler dies with the old process; a new runner resumes from the registry.
    ManualScheduler after = new ManualScheduler();
    SimTaskRunner restarted = new SimTaskRunner(sim, tasks, after, SCALE);
    assertThat(restarted.resumeAll()).isEqualTo(1);
    after.runAll();
    Task end = tasks.get(t.id()).orElseThrow();
    assertThat(end.status()).isEqualTo(TaskStatus.DONE);
    assertThat(end.details().path("sim_step").asInt()).isGreaterThan(stepBefore.asInt());
    assertThat(restarted.resumeAll()).isZero();
  }
}

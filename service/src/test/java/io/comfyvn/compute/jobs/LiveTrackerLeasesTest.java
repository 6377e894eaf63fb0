package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.cluster.TaskLeases;
import io.comfyvn.compute.provenance.ArtifactStore;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.workflow.InputSources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tracker polls a live task only while this instance holds the task's lease. */
class LiveTrackerLeasesTest {
  @TempDir Path dir;

  /** Leases as a test decides them: {@code others} are held by another instance. */
  static final class Leases implements TaskLeases {
    final Set<String> others = new HashSet<>();
    final Set<String> mine = new HashSet<>();
    final List<String> released = new ArrayList<>();

    @Override
    public boolean claim(String taskId) {
      if (others.contains(taskId)) {
        return false;
      }
      mine.add(taskId);
      return true;
    }

    @Override
    public boolean holds(String taskId) {
      return mine.contains(taskId);
    }

    @Override
    public void release(String taskId) {
      mine.remove(taskId);
      released.add(taskId);
    }
  }

  private static void live(JobsWorld w, String id, String jobId) {
    w.tasks.register(
        new TaskRegistry.Draft(
            id,
            GpuService.TASK_KIND,
            TaskStatus.QUEUED,
            0,
            "q",
            new Submission(
                Mode.LIVE,
                "runpod",
                jobId,
                SubmitState.ACCEPTED,
                7,
                "fp",
                null,
                List.of(),
                null,
                null),
            TaskRegistry.newDetails()));
  }

  private static String status(String id, String s) {
    return "{\"id\":\"" + id + "\",\"status\":\"" + s + "\"}";
  }

  @Test
  void aTaskHeldElsewhereIsNotPolledAndALostLeaseStopsPolling() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Leases leases = new Leases();
      ManualScheduler scheduler = new ManualScheduler();
      LiveTracker tracker =
          new LiveTracker(
              w.tasks,
              w.providers,
              w.clients,
              new ArtifactStore(dir, Json.mapper(), w.clock, "test"),
              w.clock,
              LiveTracker.Settings.of(w.config),
              scheduler,
              Runnable::run,
              leases,
              InputSources.inlineOnly());
      live(w, "held-elsewhere", "rp-1");
      live(w, "mine", "rp-2");
      leases.others.add("held-elsewhere");
      assertThat(tracker.resume()).isEqualTo(2);
      assertThat(tracker.following()).isEqualTo(1);
      w.transport.json(200, status("rp-2", "IN_PROGRESS"));
      scheduler.advance(100); // the first poll (tracker.initial_poll_ms)
      assertThat(w.transport.calls()).hasSize(1);
      assertThat(w.transport.call(0).uri().toString()).endsWith("/status/rp-2");
      // another instance took "mine" over (this one stalled): no poll, and it stops following
      leases.mine.remove("mine");
      scheduler.advance(60_000);
      assertThat(w.transport.calls()).hasSize(1);
      assertThat(tracker.following()).isZero();
      assertThat(w.tasks.get("mine").orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
    }
  }

  @Test
  void aFinishedTaskGivesItsLeaseUp() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Leases leases = new Leases();
      ManualScheduler scheduler = new ManualScheduler();
      LiveTracker tracker =
          new LiveTracker(
              w.tasks,
              w.providers,
              w.clients,
              new ArtifactStore(dir, Json.mapper(), w.clock, "test"),
              w.clock,
              LiveTracker.Settings.of(w.config),
              scheduler,
              Runnable::run,
              leases,
              InputSources.inlineOnly());
      live(w, "t1", "rp-9");
      tracker.follow("t1");
      w.transport.json(200, "{\"id\":\"rp-9\",\"status\":\"FAILED\",\"error\":\"boom\"}");
      scheduler.advance(100);
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.ERROR);
      assertThat(leases.released).containsExactly("t1");
      assertThat(tracker.following()).isZero();
    }
  }
}

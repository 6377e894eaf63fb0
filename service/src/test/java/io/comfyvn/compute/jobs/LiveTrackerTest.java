package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveClient.Progress;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tracker on a manual scheduler and a clock the test moves: when it polls, what a poll changes,
 * and that outputs are fetched once however many "done"s arrive together.
 */
class LiveTrackerTest {
  @TempDir Path dir;

  private static Task live(JobsWorld w, String id, String jobId, TaskStatus status) {
    Submission s =
        new Submission(
            Mode.LIVE,
            "runpod",
            jobId,
            jobId == null ? SubmitState.AMBIGUOUS : SubmitState.ACCEPTED,
            7,
            "fp",
            null,
            List.of(),
            null,
            WebhookTokens.hash("tok"));
    return w.tasks
        .register(
            new TaskRegistry.Draft(
                id, GpuService.TASK_KIND, status, 0, "m", s, TaskRegistry.newDetails()))
        .task();
  }

  private static String status(String id, String word) {
    return "{\"id\":\"" + id + "\",\"status\":\"" + word + "\"}";
  }

  /** The virtual times (ms) at which polls went out while {@code ms} passed, one ms at a time. */
  private static List<Long> pollTimes(JobsWorld w, long ms) {
    List<Long> at = new ArrayList<>();
    int seen = w.transport.calls().size();
    for (long t = 1; t <= ms; t++) {
      w.advance(Duration.ofMillis(1));
      if (w.transport.calls().size() > seen) {
        seen = w.transport.calls().size();
        at.add(t);
      }
    }
    return at;
  }

  @Test
  void pollsBackOffWhileNothingChangesAndComeBackWhenSomethingDoes() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.QUEUED);
      Stream.of(
              "IN_QUEUE",
              "IN_QUEUE",
              "IN_QUEUE",
              "IN_QUEUE",
              "IN_QUEUE",
              "IN_PROGRESS",
              "COMPLETED")
          .forEach(s -> w.transport.json(200, status("rp-1", s)));
      w.tracker.follow("t1");
      w.tracker.follow("t1"); // idempotent: still one schedule
      // initial 100 ms; x1.5 while nothing changes, capped at 400; back to 100 on a change
      assertThat(pollTimes(w, 2000)).containsExactly(100L, 200L, 350L, 575L, 913L, 1313L, 1413L);
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.DONE);
      assertThat(w.tracker.following()).isZero();
      assertThat(w.scheduler.pending()).isZero();
      assertThat(w.transport.calls())
          .allSatisfy(c -> assertThat(c.uri().getPath()).endsWith("/ep/status/rp-1"));
    }
  }

  @Test
  void retryAfterDelaysThePollAndGrowsTheIntervalOnce() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.QUEUED);
      w.transport.json(200, status("rp-1", "IN_QUEUE"));
      w.transport.json(429, "{\"error\":\"slow down\"}", "Retry-After", "1");
      w.transport.json(200, status("rp-1", "IN_QUEUE"));
      w.transport.json(200, status("rp-1", "IN_QUEUE"));
      w.tracker.follow("t1");
      // 100 (changed: back to 100), 200 (429, Retry-After 1 s; interval grown once to 150),
      // 1200, then 1200 + 225 (not + 338, as when a Retry-After grew it twice)
      assertThat(pollTimes(w, 1500)).containsExactly(100L, 200L, 1200L, 1425L);
    }
  }

  @Test
  void aJobTheProviderForgotEndsTheTask() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.RUNNING);
      w.transport.json(404, "{\"error\":\"request does not exist\"}");
      w.tracker.follow("t1");
      w.advance(Duration.ofMillis(100));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.ERROR);
      assertThat(t.message()).contains("no longer knows");
      assertThat(w.tracker.following()).isZero();
    }
  }

  @Test
  void anUnknownCreateOutcomeIsNeverResentAndEndsLostAtTheDeadline() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "amb", null, TaskStatus.QUEUED);
      w.tracker.follow("amb");
      for (int i = 0; i < 20; i++) {
        w.advance(Duration.ofMinutes(1));
      }
      assertThat(w.tasks.get("amb").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      for (int i = 0; i < 15; i++) {
        w.advance(Duration.ofMinutes(1));
      }
      Task t = w.tasks.get("amb").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.message()).contains("a job may exist at RunPod").contains("not resubmitted");
      assertThat(t.submission().state()).isEqualTo(SubmitState.AMBIGUOUS);
      assertThat(w.transport.calls()).isEmpty();
    }
  }

  @Test
  void aFinishedTaskNeverChanges() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Task done = live(w, "t1", "rp-1", TaskStatus.DONE);
      Task after =
          w.tracker
              .apply(
                  "t1",
                  null,
                  new JobState(
                      TaskStatus.RUNNING, "IN_PROGRESS", 0.5, null, List.of("l"), null, Map.of()))
              .orElseThrow();
      assertThat(after).isEqualTo(done);
      assertThat(w.tasks.get("t1").orElseThrow().version()).isZero();
    }
  }

  @Test
  void resumeFollowsUnfinishedLiveTasksOnly() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "a", "rp-1", TaskStatus.QUEUED);
      live(w, "b", "rp-2", TaskStatus.RUNNING);
      live(w, "c", "rp-3", TaskStatus.DONE);
      w.tasks.register(
          new TaskRegistry.Draft(
              "d",
              GpuService.TASK_KIND,
              TaskStatus.RUNNING,
              0,
              "m",
              new Submission(
                  Mode.SIM,
                  "runpod",
                  "sim-runpod-1",
                  SubmitState.ACCEPTED,
                  1,
                  "f",
                  null,
                  null,
                  null,
                  null),
              null));
      assertThat(w.tracker.resume()).isEqualTo(2);
      assertThat(w.tracker.following()).isEqualTo(2);
    }
  }

  @Test
  void outputsAreFetchedOnceWhenAPollAndAWebhookBringDoneTogether() throws Exception {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.RUNNING);
      JobState done =
          new JobState(
              TaskStatus.DONE,
              "COMPLETED",
              1.0,
              List.of(new Output("a.png", "http://127.0.0.1:9/files/a.png", null, "image/png")),
              List.of(),
              null,
              Map.of());
      w.fetcher.hold();
      AtomicReference<Task> fromPoll = new AtomicReference<>();
      Thread poll = new Thread(() -> fromPoll.set(w.tracker.apply("t1", null, done).orElseThrow()));
      poll.start();
      w.fetcher.awaitEntered();
      AtomicReference<Object> fromWebhook = new AtomicReference<>();
      Thread hook =
          new Thread(
              () ->
                  fromWebhook.set(
                      w.webhooks.receive(
                          "runpod",
                          "t1",
                          "tok",
                          Map.of(),
                          ("{\"id\":\"rp-1\",\"status\":\"COMPLETED\",\"output\":"
                                  + "{\"images\":[\"http://127.0.0.1:9/files/a.png\"]}}")
                              .getBytes(StandardCharsets.UTF_8))));
      hook.start();
      // the webhook's apply is now waiting: on the poll's download (right) or in a second one
      while (hook.getState() != Thread.State.WAITING
          && hook.getState() != Thread.State.TIMED_WAITING
          && hook.isAlive()) {
        Thread.onSpinWait();
      }
      w.fetcher.release();
      poll.join();
      hook.join();

      assertThat(w.fetcher.fetches()).isEqualTo(1);
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.DONE);
      assertThat(t.artifacts()).hasSize(1);
      assertThat(fromPoll.get().status()).isEqualTo(TaskStatus.DONE);
      assertThat(fromWebhook.get()).isInstanceOf(ProviderWebhooks.Result.class);
      Path folder = dir.resolve("data/artifacts/t1");
      try (var files = Files.list(folder)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("a.png", "a.png.prov.json");
      }
    }
  }

  @Test
  void aPollAWebhookAndACancelAtOnceEndInOneTerminalState() throws Exception {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.RUNNING);
      List<io.comfyvn.compute.tasks.TaskEvent> events =
          java.util.Collections.synchronizedList(new ArrayList<>());
      w.tasks.subscribe(events::add);
      JobState done =
          new JobState(
              TaskStatus.DONE,
              "COMPLETED",
              1.0,
              List.of(new Output("a.png", "http://127.0.0.1:9/files/a.png", null, "image/png")),
              List.of(),
              null,
              Map.of());
      w.fetcher.hold();
      Thread poll = new Thread(() -> w.tracker.apply("t1", null, done));
      poll.start();
      w.fetcher.awaitEntered();
      Thread hook =
          new Thread(
              () ->
                  w.webhooks.receive(
                      "runpod",
                      "t1",
                      "tok",
                      Map.of(),
                      status("rp-1", "COMPLETED").getBytes(StandardCharsets.UTF_8)));
      hook.start();
      while (hook.getState() != Thread.State.WAITING && hook.isAlive()) {
        Thread.onSpinWait();
      }
      // the cancel lands while the outputs are still being fetched: it is the first terminal state
      w.transport.json(200, status("rp-1", "CANCELLED"));
      Results.Cancel c = w.gpu.cancel("t1", null);
      assertThat(c.canceled()).isTrue();
      w.fetcher.release();
      poll.join();
      hook.join();

      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.CANCELED);
      assertThat(t.artifacts()).isEmpty();
      assertThat(w.fetcher.fetches()).isEqualTo(1);
      assertThat(events)
          .filteredOn(e -> e.task().status().terminal())
          .extracting(e -> e.task().status())
          .containsExactly(TaskStatus.CANCELED);
      assertThat(t.version()).isEqualTo(1);
    }
  }

  private static JobState running(Progress p) {
    return new JobState(
        TaskStatus.RUNNING, "running", p.fraction(), null, null, null, null, p, null);
  }

  private static JsonNode place(JobsWorld w, String id) {
    return w.tasks.get(id).orElseThrow().details().path(LiveTracker.PROGRESS_DETAIL);
  }

  @Test
  void aRunThatEndsDoneReadsCompleteNotItsLastReportedPlace() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "t1", "rp-1", TaskStatus.RUNNING);
      // ComfyUI's socket last said node 6 of 9, sampler step 12 of 20; the done answer says none
      w.tracker.apply("t1", null, running(new Progress(6, 9, 12, 20, "7", "KSampler")));
      assertThat(place(w, "t1").path("nodes_done").asInt()).isEqualTo(6);
      w.tracker.apply(
          "t1", null, new JobState(TaskStatus.DONE, "success", null, null, null, null, null));

      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.DONE);
      assertThat(t.progress()).isEqualTo(1.0);
      assertThat(place(w, "t1").toString())
          .isEqualTo("{\"nodes_done\":9,\"nodes_total\":9,\"step\":20,\"steps\":20}");
    }
  }

  @Test
  void aRunThatFailsKeepsWhereItStoppedAndOneNeverPlacedGetsNoPlace() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      live(w, "failed", "rp-1", TaskStatus.RUNNING);
      w.tracker.apply("failed", null, running(new Progress(6, 9, null, null, "8", "VAEDecode")));
      w.tracker.apply(
          "failed",
          null,
          new JobState(TaskStatus.ERROR, "error", null, null, null, "out of memory", null));
      assertThat(place(w, "failed").path("nodes_done").asInt()).isEqualTo(6);
      assertThat(place(w, "failed").path("node_id").asText()).isEqualTo("8");

      live(w, "plain", "rp-2", TaskStatus.RUNNING);
      w.tracker.apply(
          "plain", null, new JobState(TaskStatus.DONE, "COMPLETED", null, null, null, null, null));
      assertThat(w.tasks.get("plain").orElseThrow().status()).isEqualTo(TaskStatus.DONE);
      assertThat(place(w, "plain").isMissingNode()).isTrue();
    }
  }
}

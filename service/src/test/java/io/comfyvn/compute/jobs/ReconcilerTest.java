package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks whose create answer was never read ({@code sent} after a crash, {@code ambiguous}) on a
 * manual scheduler and a clock the test moves: found in Replicate's prediction list, not there, two
 * tasks with one input, RunPod's webhook-only wait and its deadline, and {@code lost} staying lost.
 */
class ReconcilerTest {
  @TempDir Path dir;

  private static Task pending(
      JobsWorld w, String id, String provider, SubmitState state, String prompt) {
    Submission s =
        new Submission(
            Mode.LIVE,
            provider,
            null,
            state,
            7,
            "fp",
            null,
            List.of(),
            null,
            WebhookTokens.hash("tok"));
    ObjectNode details = TaskRegistry.newDetails();
    details.putObject("payload").putObject("input").put("prompt", prompt);
    return w.tasks
        .register(
            new TaskRegistry.Draft(
                id, GpuService.TASK_KIND, TaskStatus.QUEUED, 0, "Submitting", s, details))
        .task();
  }

  /** One prediction as Replicate's list shows it, created at {@code at}. */
  private static String prediction(String id, String prompt, Instant at, String status) {
    return "{\"id\":\""
        + id
        + "\",\"model\":\"o/m\",\"input\":{\"prompt\":\""
        + prompt
        + "\"},\"status\":\""
        + status
        + "\",\"created_at\":\""
        + at
        + "\",\"logs\":\"\",\"output\":null,\"error\":null,\"metrics\":{}}";
  }

  private static String page(String next, String... predictions) {
    return "{\"next\":"
        + (next == null ? "null" : "\"" + next + "\"")
        + ",\"previous\":null,\"results\":["
        + String.join(",", predictions)
        + "]}";
  }

  @Test
  void aReplicateCreateWhoseAnswerWasLostIsFoundInTheListByItsInputAndFollowed() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Instant sent = w.clock.instant();
      pending(w, "t1", "replicate", SubmitState.SENT, "castle");
      // newest first: someone else's newer prediction, ours, then one from before our create
      w.transport.json(
          200,
          page(
              null,
              prediction("p-other", "lighthouse", sent.plusSeconds(2), "starting"),
              prediction("p-ours", "castle", sent.plusSeconds(1), "processing"),
              prediction("p-old", "castle", sent.minus(Duration.ofHours(1)), "succeeded")));
      w.transport.json(200, prediction("p-ours", "castle", sent.plusSeconds(1), "processing"));
      w.tracker.follow("t1");
      w.advance(Duration.ofMillis(100));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.providerJobId()).isEqualTo("p-ours");
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
      assertThat(t.status()).isEqualTo(TaskStatus.RUNNING);
      assertThat(t.details().path("reconcile").path("outcome").asText()).isEqualTo("found");
      assertThat(w.transport.call(0).uri().getPath()).endsWith("/replicate/v1/predictions");
      assertThat(w.transport.call(0).method()).isEqualTo("GET");
      // from here on it is an ordinary poll of that prediction; nothing was created
      w.advance(Duration.ofMillis(100));
      assertThat(w.transport.call(1).uri().getPath()).endsWith("/predictions/p-ours");
      assertThat(w.transport.count("POST", "/predictions")).isZero();
    }
  }

  @Test
  void theListIsReadPageByPageUntilItIsOlderThanTheCreate() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Instant sent = w.clock.instant();
      pending(w, "t1", "replicate", SubmitState.AMBIGUOUS, "castle");
      String next = "http://127.0.0.1:9/replicate/v1/predictions?cursor=abc";
      w.transport.json(
          200, page(next, prediction("p-3", "other", sent.plusSeconds(3), "starting")));
      w.transport.json(
          200, page(null, prediction("p-2", "castle", sent.plusSeconds(1), "starting")));
      w.tracker.follow("t1");
      w.advance(Duration.ofMillis(100));
      assertThat(w.tasks.get("t1").orElseThrow().providerJobId()).isEqualTo("p-2");
      assertThat(w.transport.call(1).uri().getQuery()).isEqualTo("cursor=abc");
    }
  }

  @Test
  void noMatchingPredictionEndsTheTaskNotSentOnlyOnceTheCreateHadTimeToArrive() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Instant sent = w.clock.instant();
      pending(w, "t1", "replicate", SubmitState.SENT, "castle");
      String none = page(null, prediction("p-x", "other", sent.plusSeconds(1), "starting"));
      w.transport.json(200, none);
      w.tracker.follow("t1");
      w.advance(Duration.ofMillis(100));
      // younger than the settle time (10 s): a create still on its way may yet show up
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      w.clock.advance(Duration.ofSeconds(10));
      w.transport.json(200, none);
      w.advance(Duration.ofMillis(150));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.ERROR);
      assertThat(t.submission().state()).isEqualTo(SubmitState.NOT_SENT);
      assertThat(t.message()).startsWith("Not created at Replicate").contains("nothing runs");
      assertThat(w.tracker.following()).isZero();
      assertThat(w.transport.count("POST", "/predictions")).isZero();
    }
  }

  @Test
  void twoTasksWithOneInputTakeTwoPredictionsNotOne() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Instant sent = w.clock.instant();
      pending(w, "t1", "replicate", SubmitState.SENT, "same");
      pending(w, "t2", "replicate", SubmitState.SENT, "same");
      String list =
          page(
              null,
              prediction("p-b", "same", sent.plusSeconds(2), "starting"),
              prediction("p-a", "same", sent.plusSeconds(1), "starting"));
      w.transport.json(200, list);
      w.transport.json(200, list);
      w.tracker.follow("t1");
      w.tracker.follow("t2");
      w.advance(Duration.ofMillis(100));
      assertThat(List.of(w.tasks.get("t1").orElseThrow(), w.tasks.get("t2").orElseThrow()))
          .extracting(Task::providerJobId)
          .containsExactly("p-a", "p-b");
    }
  }

  @Test
  void aFailedLookupIsAskedAgainAndTheTaskIsLostAtItsDeadline() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      pending(w, "t1", "replicate", SubmitState.SENT, "castle");
      w.transport.json(500, "{\"detail\":\"internal\"}");
      w.tracker.follow("t1");
      w.advance(Duration.ofMillis(100));
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      w.clock.advance(Duration.ofSeconds(121)); // past reconcile_after_restart_ms (120 s)
      w.transport.json(500, "{\"detail\":\"internal\"}");
      w.advance(Duration.ofMillis(400));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.message())
          .startsWith("Lost: a job may exist at Replicate (its job id is unknown)")
          .contains("not resubmitted");
      assertThat(w.tracker.following()).isZero();
    }
  }

  @Test
  void runpodWaitsForItsWebhookShortlyAfterARestartAndLongAfterAnAmbiguousCreate() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      pending(w, "restart", "runpod", SubmitState.SENT, "a");
      pending(w, "ambiguous", "runpod", SubmitState.AMBIGUOUS, "b");
      w.tracker.follow("restart");
      w.tracker.follow("ambiguous");
      w.advance(Duration.ofSeconds(119));
      assertThat(w.tasks.get("restart").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      w.advance(Duration.ofSeconds(2));
      assertThat(w.tasks.get("restart").orElseThrow().status()).isEqualTo(TaskStatus.LOST);
      assertThat(w.tasks.get("ambiguous").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      w.clock.advance(Duration.ofMinutes(30));
      w.advance(Duration.ofSeconds(1));
      assertThat(w.tasks.get("ambiguous").orElseThrow().status()).isEqualTo(TaskStatus.LOST);
      // RunPod has no lookup: nothing was asked, and certainly nothing created
      assertThat(w.transport.calls()).isEmpty();
    }
  }

  @Test
  void aLostTaskStaysLost() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      pending(w, "t1", "runpod", SubmitState.SENT, "a");
      w.tracker.follow("t1");
      w.advance(Duration.ofSeconds(121));
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.LOST);
      assertThat(TaskStatus.LOST.terminal()).isTrue();
      // a late state (a webhook naming the job) does not bring it back
      w.tracker.apply(
          "t1", "rp-late", new JobState(TaskStatus.DONE, "COMPLETED", 1.0, null, null, null, null));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.providerJobId()).isEmpty();
    }
  }

  @Test
  void withTheNetworkClosedNothingIsAskedAndTheTaskIsLostAtItsDeadline() throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    try (JobsWorld before = new JobsWorld(dir, true, true, store)) {
      pending(before, "t1", "replicate", SubmitState.SENT, "castle");
    }
    try (JobsWorld w = new JobsWorld(dir, false, true, store)) {
      w.tracker.resume();
      w.advance(Duration.ofSeconds(60));
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
      w.advance(Duration.ofSeconds(61));
      Task t = w.tasks.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(w.transport.calls()).isEmpty();
    }
  }
}

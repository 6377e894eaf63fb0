package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry on a real SQLite file. */
class TaskRegistryTest {
  @TempDir Path dir;
  private final Clock clock =
      Clock.fixed(Instant.parse("2026-11-29T12:00:00.123456Z"), ZoneOffset.UTC);

  static Submission submission(Mode mode, SubmitState state, String key) {
    return new Submission(
        mode, "runpod", "job-1", state, 42, "fp-1", null, List.of(), key, "hash-of-token");
  }

  private static TaskRegistry.Draft draft(String id, Submission s) {
    return new TaskRegistry.Draft(
        id, "public.gpu.submit", TaskStatus.QUEUED, 0, "queued", s, TaskRegistry.newDetails());
  }

  private TaskRegistry registry(Database db) {
    return new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
  }

  @Test
  void theReadCacheKeepsUnfinishedTasksOnlyAndNeverAnOlderCopyOverAFinishedOne() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock, true);
      r.register(draft("running", submission(Mode.LIVE, SubmitState.ACCEPTED, null)));
      r.register(
          new TaskRegistry.Draft(
              "finished",
              "public.gpu.submit",
              TaskStatus.DONE,
              1,
              "done",
              submission(Mode.DRY_RUN, SubmitState.ACCEPTED, null),
              TaskRegistry.newDetails()));
      // rows removed behind the registry's back show what it answers from memory
      db.jdbi().useHandle(h -> h.execute("DELETE FROM tasks"));
      assertThat(r.get("running")).isPresent();
      assertThat(r.get("finished")).isEmpty();

      // a task that finishes leaves the cache: its copy is not kept, reads go to the store
      TaskRegistry other = registry(db);
      other.register(draft("ends", submission(Mode.LIVE, SubmitState.ACCEPTED, null)));
      assertThat(r.get("ends")).map(Task::status).contains(TaskStatus.QUEUED);
      r.update("ends", TaskStatus.DONE, 1, "done", null);
      assertThat(r.get("ends")).map(Task::status).contains(TaskStatus.DONE);
      db.jdbi().useHandle(h -> h.execute("DELETE FROM tasks WHERE id = 'ends'"));
      assertThat(r.get("ends")).isEmpty();
    }
  }

  @Test
  void registerIsIdempotentByIdAndAnnouncesOnce() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = registry(db);
      List<TaskEvent> events = new ArrayList<>();
      r.subscribe(events::add);
      var first = r.register(draft("t1", submission(Mode.LIVE, SubmitState.SENT, null)));
      var again = r.register(draft("t1", submission(Mode.LIVE, SubmitState.SENT, null)));
      assertThat(first.created()).isTrue();
      assertThat(again.created()).isFalse();
      assertThat(events).extracting(TaskEvent::type).containsExactly("job.created");
      assertThat(first.task().createdAt()).isEqualTo(Instant.parse("2026-11-29T12:00:00.123Z"));
      assertThat(first.task().version()).isZero();
    }
  }

  @Test
  void aKeyHoldsOneCreatePerModeThatMayExistUpstream() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = registry(db);
      var sent = r.register(draft(null, submission(Mode.LIVE, SubmitState.SENT, "k-1")));
      var racing = r.register(draft(null, submission(Mode.LIVE, SubmitState.SENT, "k-1")));
      assertThat(sent.created()).isTrue();
      assertThat(racing.created()).isFalse();
      assertThat(racing.task().id()).isEqualTo(sent.task().id());
      // another mode under the same key is another attempt
      var dry = r.register(draft(null, submission(Mode.DRY_RUN, SubmitState.ACCEPTED, "k-1")));
      assertThat(dry.created()).isTrue();
      // once refused, the create may be tried again under the key
      r.update(
          sent.task().id(),
          t ->
              t.withSubmission(t.submission().withState(SubmitState.REFUSED))
                  .withState(TaskStatus.ERROR, 0, "Rejected"));
      var retry = r.register(draft(null, submission(Mode.LIVE, SubmitState.SENT, "k-1")));
      assertThat(retry.created()).isTrue();
      assertThat(r.attempts("k-1"))
          .extracting(Task::id)
          .containsExactlyInAnyOrder(sent.task().id(), dry.task().id(), retry.task().id());
      // refused attempts never block, however many there are
      var notSent = r.register(draft(null, submission(Mode.LIVE, SubmitState.NOT_SENT, "k-1")));
      assertThat(notSent.created()).isTrue();
    }
  }

  @Test
  void updatesPersistBeforeAnnouncingAndTerminalStatesStick() {
    try (Database db = Database.sqlite(dir)) {
      TaskStore store = new JdbiTaskStore(db, Json.mapper());
      TaskRegistry r = new TaskRegistry(store, clock);
      r.register(draft("t1", submission(Mode.LIVE, SubmitState.ACCEPTED, null)));
      List<TaskStatus> seenInStore = new ArrayList<>();
      r.subscribe(e -> seenInStore.add(store.get(e.task().id()).orElseThrow().status()));
      r.update(
          "t1",
          TaskStatus.RUNNING,
          0.5,
          "half",
          TaskRegistry.newDetails().put("provider_status", "IN_PROGRESS"));
      r.update("t1", TaskStatus.CANCELED, 0.5, "canceled", null);
      r.update("t1", TaskStatus.DONE, 1.0, "late poll", null);
      r.update("t1", t -> t.withArtifacts(List.of(Artifact.named("late.png", "image/png"))));
      assertThat(seenInStore).containsExactly(TaskStatus.RUNNING, TaskStatus.CANCELED);
      Task t = r.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.CANCELED);
      assertThat(t.artifacts()).isEmpty();
      assertThat(t.version()).isEqualTo(2);
      assertThat(t.details().get("provider_status").asText()).isEqualTo("IN_PROGRESS");
      assertThat(r.unfinished(10)).isEmpty();
      assertThat(r.findByProviderJob("runpod", "job-1")).isPresent();
    }
  }

  @Test
  void aStaleWriteLosesAndTheChangeIsRecomputedOnTheNewerTask() {
    try (Database db = Database.sqlite(dir)) {
      TaskStore store = new JdbiTaskStore(db, Json.mapper());
      TaskRegistry r = new TaskRegistry(store, clock);
      Task t0 = r.register(draft("t1", submission(Mode.LIVE, SubmitState.ACCEPTED, null))).task();
      assertThat(
              store.update(t0.withState(TaskStatus.RUNNING, 0.2, "x").stored(1, t0.createdAt()), 7))
          .isFalse();
      // Another writer slips in between our read and our write, once: ours is computed again.
      AtomicBoolean interfered = new AtomicBoolean();
      List<Double> computedFrom = new ArrayList<>();
      Task after =
          r.update(
                  "t1",
                  t -> {
                    computedFrom.add(t.progress());
                    if (interfered.compareAndSet(false, true)) {
                      Task other =
                          t.withState(TaskStatus.RUNNING, 0.5, "other").stored(1, t.createdAt());
                      assertThat(store.update(other, 0)).isTrue();
                    }
                    return t.withState(TaskStatus.RUNNING, t.progress() + 0.1, "mine");
                  })
              .orElseThrow();
      assertThat(computedFrom).containsExactly(0.0, 0.5);
      assertThat(after.progress()).isEqualTo(0.6);
      assertThat(after.version()).isEqualTo(2);
      assertThat(store.get("t1").orElseThrow().message()).isEqualTo("mine");
    }
  }

  @Test
  void theViewLeavesOutWhatNoCallerMayRead() throws Exception {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = registry(db);
      List<TaskEvent> events = new ArrayList<>();
      r.subscribe(events::add);
      Task t =
          r.register(draft("t1", submission(Mode.LIVE, SubmitState.AMBIGUOUS, "secret-key-1")))
              .task();
      String json = Json.mapper().writeValueAsString(TaskView.of(t));
      String event = Json.mapper().writeValueAsString(events.get(0));
      for (String answer : List.of(json, event)) {
        assertThat(answer).doesNotContain("hash-of-token", "webhook", "secret-key-1");
        assertThat(answer).contains("\"submit_state\":\"ambiguous\"", "\"reconcile\":true");
      }
      var meta = TaskView.of(t).meta();
      assertThat(meta.get("dry_run").asBoolean()).isFalse();
      assertThat(meta.get("provider_slug").asText()).isEqualTo("runpod");
      assertThat(meta.get("public_adapter").asBoolean()).isTrue();
      assertThat(meta.get("seed").asLong()).isEqualTo(42);
    }
  }

  @Test
  void theViewMasksASignedUrlInputsQueryAndTheTaskKeepsItWhole() {
    String signed = "https://bucket.test/in/a.png?X-Amz-Signature=CANARY-SIG&X-Amz-Expires=900";
    var details = TaskRegistry.newDetails();
    details.putObject("payload").putObject("inputs").put("a.png", signed);
    Task t =
        new Task(
            "t-url",
            "public.gpu.submit",
            TaskStatus.QUEUED,
            0,
            "queued",
            null,
            List.of(),
            details,
            0,
            Instant.EPOCH,
            Instant.EPOCH);
    TaskView view = TaskView.of(t);
    assertThat(view.meta().at("/payload/inputs/a.png").asText())
        .isEqualTo("https://bucket.test/in/a.png?X-Amz-Signature=***&X-Amz-Expires=***");
    assertThat(view.meta().toString()).doesNotContain("CANARY");
    // a create rebuilt after a crash fetches the input again: the stored task keeps the URL
    assertThat(t.details().at("/payload/inputs/a.png").asText()).isEqualTo(signed);
  }

  @Test
  void aStoreThatCannotAnswerIsUnavailableNotABug() {
    Database db = Database.sqlite(dir);
    TaskStore store = new JdbiTaskStore(db, Json.mapper());
    db.close();
    assertThatThrownBy(() -> store.get("any"))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.code()).isEqualTo("store_unavailable");
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.UNAVAILABLE);
              assertThat(e.retryable()).isTrue();
            });
    assertThatThrownBy(
            () ->
                store.insertIfAbsent(
                    new Task(
                        "x",
                        "k",
                        TaskStatus.QUEUED,
                        0,
                        "",
                        null,
                        List.of(),
                        TaskRegistry.newDetails(),
                        0,
                        Instant.EPOCH,
                        Instant.EPOCH)))
        .hasMessageContaining("task store cannot be used");
  }

  @Test
  void tasksSurviveReopening() {
    Submission s = submission(Mode.SIM, SubmitState.ACCEPTED, "k-9");
    try (Database db = Database.sqlite(dir)) {
      registry(db).register(draft("keep", s));
      registry(db)
          .register(
              new TaskRegistry.Draft(
                  "other", "provider.bootstrap", TaskStatus.QUEUED, 0, "b", null, null));
    }
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = registry(db);
      assertThat(r.get("keep").orElseThrow().submission()).isEqualTo(s);
      assertThat(r.get("other").orElseThrow().submission()).isNull();
      assertThat(r.unfinished(10)).extracting(Task::id).containsExactlyInAnyOrder("keep", "other");
    }
  }
}

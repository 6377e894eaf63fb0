package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every task store must do, whatever the database: run by {@code SqliteTaskStoreTest} (the
 * embedded file) and {@code PostgresTaskStoreIT} (the local server, one schema per test), so the
 * one code path is proven on both.
 */
abstract class TaskStoreContract {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  /** A fresh, empty, migrated database for one test. */
  protected abstract Database open() throws Exception;

  /** Drops what {@link #open()} made. */
  protected void dispose() throws Exception {}

  private Database db;
  private TaskStore store;

  @BeforeEach
  void setUp() throws Exception {
    db = open();
    store = new JdbiTaskStore(db, Json.mapper());
  }

  @AfterEach
  void tearDown() throws Exception {
    db.close();
    dispose();
  }

  private static Submission submission(Mode mode, SubmitState state, String key, String jobId) {
    return new Submission(
        mode,
        "runpod",
        jobId,
        state,
        7,
        "fp",
        new Estimate(
            0.0123, 12.5, "L4", "test", "2026-11-01", "runpod", "l4", 13, 0.00095, "catalog"),
        List.of("runpod.api_key"),
        key,
        "sha-of-token");
  }

  private static Task task(String id, TaskStatus status, Submission s, Instant created) {
    ObjectNode details = Json.mapper().createObjectNode();
    details.putArray("logs").add("line one").add("line \"two\"");
    return new Task(
        id,
        s == null ? "provider.bootstrap" : "public.gpu.submit",
        status,
        0.25,
        "message é",
        s,
        List.of(new Artifact("a.png", "/files/a.png", "data/a.png", "image/png", "ab12", 3L)),
        details,
        0,
        created,
        created);
  }

  @Test
  void aTaskComesBackAsItWasWrittenEveryField() {
    Task t = task("t1", TaskStatus.RUNNING, submission(Mode.LIVE, SubmitState.SENT, "k", "j1"), T0);
    assertThat(store.insertIfAbsent(t)).isSameAs(t);
    Task back = store.get("t1").orElseThrow();
    assertThat(back).usingRecursiveComparison().isEqualTo(t);
    assertThat(store.get("nope")).isEmpty();
  }

  @Test
  void getAllReadsManyTasksAtOnceSkippingUnknownAndRepeatedIds() {
    List<String> ids = new java.util.ArrayList<>();
    // more than one statement's worth, so the chunks meet
    for (int i = 0; i < JdbiTaskStore.GET_ALL_CHUNK + 7; i++) {
      Task t = task("m" + i, TaskStatus.DONE, null, T0.plusSeconds(i));
      store.insertIfAbsent(t);
      ids.add(t.id());
    }
    List<String> asked = new java.util.ArrayList<>(ids);
    asked.add("nope");
    asked.add("m3");
    List<Task> got = store.getAll(asked);
    assertThat(got).extracting(Task::id).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(got.stream().filter(t -> t.id().equals("m3")).findFirst().orElseThrow())
        .usingRecursiveComparison()
        .isEqualTo(store.get("m3").orElseThrow());
    assertThat(store.getAll(List.of())).isEmpty();
  }

  @Test
  void aSecondInsertOfTheSameIdReturnsTheStoredTask() {
    Task first = task("t1", TaskStatus.QUEUED, null, T0);
    store.insertIfAbsent(first);
    Task other = task("t1", TaskStatus.DONE, null, T0.plusSeconds(5));
    Task got = store.insertIfAbsent(other);
    assertThat(got).isNotSameAs(other);
    assertThat(got.status()).isEqualTo(TaskStatus.QUEUED);
  }

  @Test
  void aKeyHoldsOneTaskPerModeWhoseJobMayExistUpstream() {
    Task refused =
        task("a", TaskStatus.ERROR, submission(Mode.LIVE, SubmitState.REFUSED, "k1", null), T0);
    Task sent =
        task(
            "b",
            TaskStatus.QUEUED,
            submission(Mode.LIVE, SubmitState.SENT, "k1", null),
            T0.plusMillis(1));
    Task again =
        task(
            "c",
            TaskStatus.QUEUED,
            submission(Mode.LIVE, SubmitState.SENT, "k1", null),
            T0.plusMillis(2));
    Task dry =
        task(
            "d",
            TaskStatus.DONE,
            submission(Mode.DRY_RUN, SubmitState.ACCEPTED, "k1", "mock"),
            T0.plusMillis(3));
    assertThat(store.insertIfAbsent(refused)).isSameAs(refused);
    assertThat(store.insertIfAbsent(sent)).isSameAs(sent);
    assertThat(store.insertIfAbsent(again).id()).isEqualTo("b");
    assertThat(store.insertIfAbsent(dry)).isSameAs(dry);
    assertThat(store.attempts("k1")).extracting(Task::id).containsExactly("d", "b", "a");
  }

  @Test
  void racingInsertsUnderOneKeyStoreOneTask() throws Exception {
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Callable<Task>> calls = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        Task t =
            task(
                "race-" + i,
                TaskStatus.QUEUED,
                submission(Mode.LIVE, SubmitState.SENT, "same-key", null),
                T0);
        calls.add(() -> store.insertIfAbsent(t));
      }
      List<String> ids = new ArrayList<>();
      for (Future<Task> f : pool.invokeAll(calls)) {
        ids.add(f.get(30, TimeUnit.SECONDS).id());
      }
      assertThat(ids).hasSize(writers).containsOnly(ids.get(0));
      assertThat(store.attempts("same-key")).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anUpdateIsWrittenOnlyOverTheVersionItWasComputedFrom() {
    Task t = task("t1", TaskStatus.QUEUED, submission(Mode.LIVE, SubmitState.SENT, null, null), T0);
    store.insertIfAbsent(t);
    Task next =
        t.withSubmission(t.submission().accepted("job-9"))
            .withState(TaskStatus.RUNNING, 0.5, "running")
            .stored(1, T0.plusSeconds(1));
    assertThat(store.update(next, 0)).isTrue();
    assertThat(store.update(next.stored(2, T0.plusSeconds(2)), 0)).isFalse();
    Task back = store.get("t1").orElseThrow();
    assertThat(back.version()).isEqualTo(1);
    assertThat(back.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(back.updatedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(store.findByProviderJob("runpod", "job-9")).map(Task::id).contains("t1");
    assertThat(store.findByProviderJob("modal", "job-9")).isEmpty();
  }

  @Test
  void listIsNewestFirstAndUnfinishedOldestFirst() {
    store.insertIfAbsent(task("old", TaskStatus.QUEUED, null, T0));
    store.insertIfAbsent(task("mid", TaskStatus.DONE, null, T0.plusSeconds(1)));
    store.insertIfAbsent(task("new", TaskStatus.RUNNING, null, T0.plusSeconds(2)));
    assertThat(store.list(10)).extracting(Task::id).containsExactly("new", "mid", "old");
    assertThat(store.list(1)).extracting(Task::id).containsExactly("new");
    assertThat(store.unfinished(10)).extracting(Task::id).containsExactly("old", "new");
  }

  @Test
  void pruningDeletesOnlyFinishedDryRunAndSimTasks() {
    store.insertIfAbsent(
        task("live", TaskStatus.DONE, submission(Mode.LIVE, SubmitState.ACCEPTED, null, "j"), T0));
    store.insertIfAbsent(
        task(
            "dry-open",
            TaskStatus.QUEUED,
            submission(Mode.DRY_RUN, SubmitState.ACCEPTED, null, "m"),
            T0));
    for (int i = 0; i < 3; i++) {
      store.insertIfAbsent(
          task(
              "dry" + i,
              TaskStatus.DONE,
              submission(Mode.DRY_RUN, SubmitState.ACCEPTED, null, "m" + i),
              T0.plusSeconds(i)));
    }
    store.insertIfAbsent(
        task(
            "sim",
            TaskStatus.DONE,
            submission(Mode.SIM, SubmitState.ACCEPTED, null, "s"),
            T0.plusSeconds(9)));
    List<String> deleted = store.pruneDisposable(T0.plusSeconds(2), 1);
    assertThat(deleted).containsExactlyInAnyOrder("dry0", "dry1", "dry2");
    Optional<Task> live = store.get("live");
    assertThat(live).isPresent();
    assertThat(store.get("dry-open")).isPresent();
    assertThat(store.get("sim")).isPresent();
  }
}

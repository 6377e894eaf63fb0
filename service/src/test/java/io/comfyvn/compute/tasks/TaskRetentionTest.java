package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention on a real SQLite store, on a clock the test moves. */
class TaskRetentionTest {
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T00:00:00Z"));
  private Database db;
  private TaskRegistry tasks;
  private final List<Runnable> queued = new ArrayList<>();
  private final Executor later = queued::add;

  @BeforeEach
  void open() {
    db = Database.sqlite(dir);
    tasks = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock, true);
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    db.close();
  }

  private String add(String id, Mode mode, TaskStatus status) {
    Submission s =
        new Submission(
            mode, "runpod", null, SubmitState.ACCEPTED, 1, "fp", null, List.of(), null, null);
    tasks.register(
        new TaskRegistry.Draft(
            id, "public.gpu.submit", status, 1, "m", mode == null ? null : s, null));
    return id;
  }

  @Test
  void finishedDryRunAndSimTasksGoByAgeLiveAndUnfinishedOnesStay() {
    add("old-dry", Mode.DRY_RUN, TaskStatus.DONE);
    add("old-dry-missing", Mode.DRY_RUN, TaskStatus.ERROR);
    add("old-sim", Mode.SIM, TaskStatus.DONE);
    add("old-sim-running", Mode.SIM, TaskStatus.RUNNING);
    add("old-live", Mode.LIVE, TaskStatus.DONE);
    add("old-bootstrap", null, TaskStatus.DONE);
    clock.advance(Duration.ofHours(30));
    add("new-dry", Mode.DRY_RUN, TaskStatus.DONE);
    add("new-sim", Mode.SIM, TaskStatus.CANCELED);
    TaskRetention r =
        new TaskRetention(
            tasks, clock, new TaskRetention.Settings(Duration.ofHours(24), 100), later);

    assertThat(r.prune()).isEqualTo(3);

    assertThat(ids())
        .containsExactlyInAnyOrder(
            "old-sim-running", "old-live", "old-bootstrap", "new-dry", "new-sim");
    // the registry's read cache forgot them too
    assertThat(tasks.get("old-dry")).isEmpty();
    assertThat(r.prune()).isZero();
  }

  @Test
  void beyondTheCountTheOldestDisposableTasksGo() {
    for (int i = 0; i < 7; i++) {
      add("dry-" + i, Mode.DRY_RUN, TaskStatus.DONE);
      clock.advance(Duration.ofSeconds(1));
    }
    add("live-old", Mode.LIVE, TaskStatus.ERROR);
    TaskRetention r =
        new TaskRetention(tasks, clock, new TaskRetention.Settings(Duration.ofDays(7), 3), later);
    assertThat(r.prune()).isEqualTo(4);
    assertThat(ids()).containsExactlyInAnyOrder("dry-4", "dry-5", "dry-6", "live-old");
  }

  @Test
  void manyTasksArePrunedInBatches() {
    int n = JdbiTaskStore.PRUNE_BATCH * 2 + 37;
    for (int i = 0; i < n; i++) {
      add("dry-" + i, Mode.DRY_RUN, TaskStatus.DONE);
    }
    TaskRetention r =
        new TaskRetention(tasks, clock, new TaskRetention.Settings(Duration.ofDays(7), 10), later);
    long before = db.writer().transactions();
    assertThat(r.prune()).isEqualTo(n - 10);
    assertThat(ids()).hasSize(10);
    // searches of 500 ids (500, 500, 27), each deleted 100 at a time: 5 + 5 + 1 writes, so the
    // writer's other work never waits behind more than a hundred deletes
    assertThat(JdbiTaskStore.PRUNE_BATCH).isEqualTo(500);
    assertThat(JdbiTaskStore.DELETE_CHUNK).isEqualTo(100);
    assertThat(db.writer().transactions() - before).isEqualTo(11);
  }

  @Test
  void aBurstOfNewDisposableTasksTriggersARun() {
    TaskRetention r =
        new TaskRetention(tasks, clock, new TaskRetention.Settings(Duration.ofDays(7), 20), later);
    tasks.subscribe(r::onEvent);
    assertThat(r.triggerEvery()).isEqualTo(2);
    add("live-1", Mode.LIVE, TaskStatus.DONE);
    add("live-2", Mode.LIVE, TaskStatus.DONE);
    assertThat(queued).isEmpty(); // live tasks do not count
    add("dry-1", Mode.DRY_RUN, TaskStatus.DONE);
    assertThat(queued).isEmpty();
    add("dry-2", Mode.DRY_RUN, TaskStatus.DONE);
    assertThat(queued).hasSize(1);
  }

  @Test
  void settingsComeFromTheConfigWithSaneDefaults() throws Exception {
    var m = Json.mapper();
    assertThat(TaskRetention.Settings.of(m.missingNode()))
        .isEqualTo(TaskRetention.Settings.DEFAULTS);
    assertThat(TaskRetention.Settings.of(m.readTree("{\"max_age_hours\":1.5,\"max_count\":0}")))
        .isEqualTo(new TaskRetention.Settings(Duration.ofMinutes(90), 0));
    for (String bad :
        List.of(
            "{\"max_age_hours\":0}",
            "{\"max_age_hours\":\"x\"}",
            "{\"max_count\":-1}",
            "{\"max_count\":2.5}")) {
      assertThatThrownBy(() -> TaskRetention.Settings.of(m.readTree(bad)))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("tasks.retention");
    }
  }

  private List<String> ids() {
    return tasks.list(1000).stream().map(Task::id).toList();
  }
}

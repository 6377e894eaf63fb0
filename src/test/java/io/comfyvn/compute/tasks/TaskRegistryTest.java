package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry on a real SQLite file. */
class TaskRegistryTest {
  @TempDir Path dir;
  private final Clock clock =
      Clock.fixed(Instant.parse("2026-11-29T12:00:00.123456Z"), ZoneOffset.UTC);

  private TaskRegistry.Draft draft(String id, String key) {
    var meta =
        TaskRegistry.newMeta().put("provider_slug", "runpod").put("provider_job_id", "job-1");
    return new TaskRegistry.Draft(
        id, "public.gpu.submit", TaskStatus.QUEUED, 0, "queued", meta, key);
  }

  @Test
  void registerIsIdempotentByIdAndKeyAndAnnouncesOnce() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = new TaskRegistry(new JdbiTaskStore(db.jdbi(), Json.mapper()), clock);
      List<TaskEvent> events = new ArrayList<>();
      r.subscribe(events::add);
      var first = r.register(draft("t1", null));
      var again = r.register(draft("t1", null));
      assertThat(first.created()).isTrue();
      assertThat(again.created()).isFalse();
      var keyed = r.register(draft(null, "k-1"));
      var keyedAgain = r.register(draft(null, "k-1"));
      assertThat(keyedAgain.task().id()).isEqualTo(keyed.task().id());
      assertThat(events).extracting(TaskEvent::type).containsExactly("job.created", "job.created");
      assertThat(first.task().createdAt()).isEqualTo(Instant.parse("2026-11-29T12:00:00.123Z"));
    }
  }

  @Test
  void updatesPersistBeforeAnnouncingAndTerminalStatesStick() {
    try (Database db = Database.sqlite(dir)) {
      TaskStore store = new JdbiTaskStore(db.jdbi(), Json.mapper());
      TaskRegistry r = new TaskRegistry(store, clock);
      r.register(draft("t1", null));
      List<TaskStatus> seenInStore = new ArrayList<>();
      r.subscribe(e -> seenInStore.add(store.get(e.task().id()).orElseThrow().status()));
      r.update(
          "t1",
          TaskStatus.RUNNING,
          0.5,
          "half",
          TaskRegistry.newMeta().put("provider_status", "IN_PROGRESS"));
      r.update("t1", TaskStatus.CANCELED, 0.5, "canceled", null);
      r.update("t1", TaskStatus.DONE, 1.0, "late poll", null);
      assertThat(seenInStore).containsExactly(TaskStatus.RUNNING, TaskStatus.CANCELED);
      Task t = r.get("t1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.CANCELED);
      assertThat(t.meta().get("provider_status").asText()).isEqualTo("IN_PROGRESS");
      assertThat(r.unfinished(10)).isEmpty();
      assertThat(r.findByProviderJob("runpod", "job-1")).isPresent();
    }
  }

  @Test
  void aStoreThatCannotAnswerIsUnavailableNotABug() {
    Database db = Database.sqlite(dir);
    TaskStore store = new JdbiTaskStore(db.jdbi(), Json.mapper());
    db.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.get("any"))
        .isInstanceOfSatisfying(
            io.comfyvn.compute.errors.ComputeException.class,
            e -> {
              assertThat(e.code()).isEqualTo("store_unavailable");
              assertThat(e.kind())
                  .isEqualTo(io.comfyvn.compute.errors.ComputeException.Kind.UNAVAILABLE);
              assertThat(e.retryable()).isTrue();
            });
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                store.insertIfAbsent(
                    new Task(
                        "x",
                        "k",
                        TaskStatus.QUEUED,
                        0,
                        "",
                        TaskRegistry.newMeta(),
                        java.time.Instant.EPOCH,
                        java.time.Instant.EPOCH),
                    null))
        .hasMessageContaining("task store cannot be used");
  }

  @Test
  void tasksSurviveReopening() {
    try (Database db = Database.sqlite(dir)) {
      new TaskRegistry(new JdbiTaskStore(db.jdbi(), Json.mapper()), clock)
          .register(draft("keep", null));
    }
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry r = new TaskRegistry(new JdbiTaskStore(db.jdbi(), Json.mapper()), clock);
      assertThat(r.get("keep")).isPresent();
      assertThat(r.unfinished(10)).extracting(Task::id).containsExactly("keep");
    }
  }
}

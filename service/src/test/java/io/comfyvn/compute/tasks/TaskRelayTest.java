package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.status.TaskStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes another instance wrote reach this registry's listeners once each, marked relayed: two
 * registries on one database file stand for two instances.
 */
class TaskRelayTest {
  @TempDir Path dir;
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

  @Test
  void eachChangeIsRelayedOnceWithTheNewestStoredView() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry writer = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
      TaskRegistry reader = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
      List<TaskEvent> seen = new CopyOnWriteArrayList<>();
      reader.subscribe(seen::add);
      writer.register(
          new TaskRegistry.Draft(
              "t1", "provider.bootstrap", TaskStatus.QUEUED, 0, "q", null, null));
      reader.relay("job.created", "t1");
      reader.relay("job.created", "t1"); // a repeated notice
      writer.update("t1", TaskStatus.RUNNING, 0.5, "running", null);
      writer.update("t1", TaskStatus.DONE, 1, "done", null);
      // two notices, both read the newest row: one event
      reader.relay("job.update", "t1");
      reader.relay("job.update", "t1");
      reader.relay("job.update", "missing");
      assertThat(seen).extracting(TaskEvent::type).containsExactly("job.created", "job.update");
      assertThat(seen).allMatch(TaskEvent::relayed);
      assertThat(seen.get(1).task().status()).isEqualTo(TaskStatus.DONE);
    }
  }

  @Test
  void aCreatedNoticeThatFindsALaterVersionStillAnnouncesTheCreation() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry writer = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
      TaskRegistry reader = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
      List<TaskEvent> seen = new CopyOnWriteArrayList<>();
      reader.subscribe(seen::add);
      writer.register(
          new TaskRegistry.Draft(
              "t2", "provider.bootstrap", TaskStatus.QUEUED, 0, "q", null, null));
      writer.update("t2", TaskStatus.RUNNING, 0.5, "running", null);
      reader.relay("job.created", "t2");
      reader.relay("job.update", "t2");
      assertThat(seen).extracting(TaskEvent::type).containsExactly("job.created");
      assertThat(seen.get(0).task().status()).isEqualTo(TaskStatus.RUNNING);
    }
  }

  @Test
  void noticesThatArriveTogetherAreReadAtOnceAndAnnouncedInTheirOrder() {
    try (Database db = Database.sqlite(dir)) {
      TaskRegistry writer = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
      List<List<String>> reads = new CopyOnWriteArrayList<>();
      TaskStore real = new JdbiTaskStore(db, Json.mapper());
      // the real store, with each getAll and get it is asked for written down
      TaskStore counting =
          (TaskStore)
              java.lang.reflect.Proxy.newProxyInstance(
                  TaskStore.class.getClassLoader(),
                  new Class<?>[] {TaskStore.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("getAll") || method.getName().equals("get")) {
                      reads.add(List.of(method.getName(), String.valueOf(args[0])));
                    }
                    try {
                      return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
      TaskRegistry reader = new TaskRegistry(counting, clock);
      List<TaskEvent> seen = new CopyOnWriteArrayList<>();
      reader.subscribe(seen::add);
      for (String id : List.of("a", "b")) {
        writer.register(
            new TaskRegistry.Draft(
                id, "provider.bootstrap", TaskStatus.QUEUED, 0, "q", null, null));
      }
      writer.update("a", TaskStatus.DONE, 1, "done", null);
      reader.relayAll(
          List.of(
              new TaskRegistry.Notice("job.created", "b"),
              new TaskRegistry.Notice("job.created", "a"),
              new TaskRegistry.Notice("job.update", "a"),
              new TaskRegistry.Notice("job.update", "missing")));
      assertThat(reads).hasSize(1).allMatch(r -> r.get(0).equals("getAll"));
      // b first, as its notice came first; a's two notices found one (the newest) version
      assertThat(seen)
          .extracting(e -> e.type() + " " + e.task().id() + " " + e.task().status())
          .containsExactly("job.created b QUEUED", "job.created a DONE");
    }
  }
}

package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.PostgresSchema;
import io.comfyvn.compute.tasks.Database;
import io.comfyvn.compute.tasks.JdbiTaskStore;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * LISTEN/NOTIFY between two registries on one PostgreSQL schema (two instances): each hears the
 * other's changes once, relayed, and never its own; another schema hears nothing.
 */
class ChangeFeedIT {

  @Test
  void changesWrittenByOneInstanceReachTheOthersListenersOnce() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create();
        PostgresSchema other = PostgresSchema.create();
        Database dbA = Database.jdbc(schema.url(), 4);
        Database dbB = Database.jdbc(schema.url(), 4);
        Database dbC = Database.jdbc(other.url(), 4)) {
      TaskRegistry a = new TaskRegistry(new JdbiTaskStore(dbA, Json.mapper()), Clock.systemUTC());
      TaskRegistry b = new TaskRegistry(new JdbiTaskStore(dbB, Json.mapper()), Clock.systemUTC());
      TaskRegistry c = new TaskRegistry(new JdbiTaskStore(dbC, Json.mapper()), Clock.systemUTC());
      BlockingQueue<TaskEvent> atA = new LinkedBlockingQueue<>();
      BlockingQueue<TaskEvent> atB = new LinkedBlockingQueue<>();
      BlockingQueue<TaskEvent> atC = new LinkedBlockingQueue<>();
      a.subscribe(atA::add);
      b.subscribe(atB::add);
      c.subscribe(atC::add);
      try (ChangeFeed fa = ChangeFeed.start(dbA.jdbi(), dbA.dataSource(), a, "a");
          ChangeFeed fb = ChangeFeed.start(dbB.jdbi(), dbB.dataSource(), b, "b");
          ChangeFeed fc = ChangeFeed.start(dbC.jdbi(), dbC.dataSource(), c, "c")) {
        Thread.sleep(300); // LISTEN is issued on the feeds' own threads
        a.register(
            new TaskRegistry.Draft(
                "t1", "provider.bootstrap", TaskStatus.QUEUED, 0, "q", null, null));
        TaskEvent created = atB.poll(10, TimeUnit.SECONDS);
        assertThat(created).isNotNull();
        assertThat(created.type()).isEqualTo("job.created");
        assertThat(created.relayed()).isTrue();
        b.update("t1", TaskStatus.DONE, 1, "done", null);
        // a hears its own write once (not relayed) and b's update once (relayed)
        TaskEvent ownCreate = atA.poll(10, TimeUnit.SECONDS);
        TaskEvent fromB = atA.poll(10, TimeUnit.SECONDS);
        assertThat(List.of(ownCreate.relayed(), fromB.relayed())).containsExactly(false, true);
        assertThat(fromB.task().status()).isEqualTo(TaskStatus.DONE);
        // b: its own update, not relayed back to itself
        TaskEvent ownUpdate = atB.poll(10, TimeUnit.SECONDS);
        assertThat(ownUpdate.relayed()).isFalse();
        // a marker write from c's schema: when c has heard it, it would have heard ours too
        c.register(
            new TaskRegistry.Draft(
                "c1", "provider.bootstrap", TaskStatus.QUEUED, 0, "q", null, null));
        assertThat(atC.poll(10, TimeUnit.SECONDS).task().id()).isEqualTo("c1");
        assertThat(atC).isEmpty();
        assertThat(atA).isEmpty();
        assertThat(atB).isEmpty();
        assertThat(ChangeFeed.channel(schema.name())).startsWith("comfyvn_tasks_it_");
      }
    }
  }
}

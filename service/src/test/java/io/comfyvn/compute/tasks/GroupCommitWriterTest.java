package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.status.TaskStatus;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Group commit on SQLite (the same checks run on PostgreSQL in {@code GroupCommitPostgresIT}): many
 * writes per transaction, every caller answered only after its transaction commits, a failing write
 * failing alone, order per task, a drained queue at shutdown, tasks kept across a restart. Writers
 * that are never started are driven by {@code drainOnce}, so nothing here sleeps.
 */
class GroupCommitWriterTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  /** A transactor that counts commits and can hold the first one until released. */
  static final class Recording implements GroupCommitWriter.Transactor {
    final GroupCommitWriter.Transactor real;
    final List<Runnable> afterCommit = new ArrayList<>();
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger attempts = new AtomicInteger();
    final CountDownLatch firstEntered = new CountDownLatch(1);
    volatile CountDownLatch holdFirst;
    volatile boolean failCommit;

    Recording(Jdbi jdbi) {
      this.real = GroupCommitWriter.jdbi(jdbi);
    }

    @Override
    public void inTransaction(GroupCommitWriter.HandleConsumer batch) throws Exception {
      int n = attempts.incrementAndGet();
      if (n == 1) {
        firstEntered.countDown();
        if (holdFirst != null) {
          holdFirst.await();
        }
      }
      real.inTransaction(
          h -> {
            batch.useHandle(h);
            if (failCommit) {
              throw new SQLException("disk I/O error (injected)");
            }
          });
      commits.incrementAndGet();
      afterCommit.forEach(Runnable::run);
    }
  }

  static Task task(String id) {
    return new Task(
        id,
        "public.gpu.submit",
        TaskStatus.QUEUED,
        0,
        "queued",
        null,
        List.of(),
        TaskRegistry.newDetails(),
        0,
        T0,
        T0);
  }

  private static void await(BooleanSupplier condition) {
    assertTimeoutPreemptively(
        WAIT,
        () -> {
          while (!condition.getAsBoolean()) {
            Thread.onSpinWait();
          }
        });
  }

  // ---- the checks, shared with the PostgreSQL IT ----

  /** One of the checks below, run on a database's {@link Jdbi}. */
  @FunctionalInterface
  interface Check {
    void run(Jdbi jdbi) throws Exception;
  }

  /** The checks below by name: the one list both stores run (here and the PostgreSQL IT). */
  static Stream<Named<Check>> checks() {
    return Stream.of(
        Named.of(
            "concurrent callers share one commit",
            GroupCommitWriterTest::concurrentCallersShareOneCommit),
        Named.of(
            "a running writer batches what queued meanwhile",
            GroupCommitWriterTest::runningWriterBatchesWhatQueuedMeanwhile),
        Named.of("a failing write fails alone", GroupCommitWriterTest::failingWriteFailsAlone),
        Named.of(
            "a failed commit fails the batch", GroupCommitWriterTest::failedCommitFailsTheBatch),
        Named.of("writes are ordered per task", GroupCommitWriterTest::ordersWritesPerTask),
        Named.of("close drains the queue", GroupCommitWriterTest::closeDrainsTheQueue),
        Named.of(
            "close returns when the queue is full",
            GroupCommitWriterTest::closeReturnsWhenTheQueueIsFull));
  }

  /** N request threads blocked in insertIfAbsent: one transaction, nobody answered before it. */
  static void concurrentCallersShareOneCommit(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    int n = 40;
    AtomicInteger answered = new AtomicInteger();
    List<Integer> answeredAtCommit = new ArrayList<>();
    rec.afterCommit.add(() -> answeredAtCommit.add(answered.get()));
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<CompletableFuture<Task>> calls = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Task t = task("c" + i);
        calls.add(
            CompletableFuture.supplyAsync(
                () -> {
                  Task stored = store.insertIfAbsent(t);
                  answered.incrementAndGet();
                  return stored;
                },
                pool));
      }
      await(() -> writer.pending() == n);
      assertThat(answered).hasValue(0);
      assertThat(writer.drainOnce()).isEqualTo(n);
      for (int i = 0; i < n; i++) {
        assertThat(calls.get(i).get(10, TimeUnit.SECONDS).id()).isEqualTo("c" + i);
      }
      assertThat(rec.commits).hasValue(1);
      assertThat(answeredAtCommit).containsExactly(0);
      assertThat(store.list(100)).hasSize(n);
    } finally {
      pool.shutdownNow();
      writer.close();
    }
  }

  /** A running writer: what queues while a commit is under way goes into the next one. */
  static void runningWriterBatchesWhatQueuedMeanwhile(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    rec.holdFirst = new CountDownLatch(1);
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    writer.start(Thread::new);
    try {
      CompletableFuture<Task> first = store.insertLater(task("r0"));
      assertThat(rec.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
      int n = 200;
      List<CompletableFuture<Task>> rest = new ArrayList<>();
      ExecutorService submitters = Executors.newFixedThreadPool(8);
      List<CompletableFuture<Void>> submitted = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        Task t = task("r" + i);
        CompletableFuture<Task> f = new CompletableFuture<>();
        rest.add(f);
        submitted.add(
            CompletableFuture.runAsync(
                () ->
                    store
                        .insertLater(t)
                        .whenComplete(
                            (v, e) -> {
                              if (e != null) {
                                f.completeExceptionally(e);
                              } else {
                                f.complete(v);
                              }
                            }),
                submitters));
      }
      CompletableFuture.allOf(submitted.toArray(CompletableFuture[]::new))
          .get(10, TimeUnit.SECONDS);
      submitters.shutdown();
      assertThat(first).isNotDone();
      assertThat(rest).noneMatch(CompletableFuture::isDone);
      rec.holdFirst.countDown();
      first.get(10, TimeUnit.SECONDS);
      CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(rec.commits).hasValue(2); // 201 tasks, two transactions
      assertThat(writer.writes()).isEqualTo(n + 1);
      assertThat(store.list(1000)).hasSize(n + 1);
    } finally {
      writer.close();
    }
  }

  /** One write failing in the middle of a batch fails alone; the others commit. */
  static void failingWriteFailsAlone(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    try {
      CompletableFuture<Task> a = store.insertLater(task("f-a"));
      CompletableFuture<Task> b = store.insertLater(task("f-b"));
      CompletableFuture<Integer> bad =
          writer.submit(h -> h.execute("INSERT INTO no_such_table (x) VALUES (1)"));
      CompletableFuture<Task> c = store.insertLater(task("f-c"));
      assertThat(writer.drainOnce()).isEqualTo(4);
      assertThat(a.get().id()).isEqualTo("f-a");
      assertThat(b.get().id()).isEqualTo("f-b");
      assertThat(c.get().id()).isEqualTo("f-c");
      assertThat(bad).isCompletedExceptionally();
      assertThat(rec.attempts).hasValue(2); // the failed transaction, then the others again
      assertThat(rec.commits).hasValue(1);
      assertThat(store.list(10))
          .extracting(Task::id)
          .containsExactlyInAnyOrder("f-a", "f-b", "f-c");
    } finally {
      writer.close();
    }
  }

  /** A commit that fails fails every caller of its batch (503), and nothing of it is stored. */
  static void failedCommitFailsTheBatch(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    rec.failCommit = true;
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    writer.start(Thread::new);
    try {
      List<CompletableFuture<Task>> calls = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Task t = task("x" + i);
        calls.add(CompletableFuture.supplyAsync(() -> store.insertIfAbsent(t)));
      }
      for (CompletableFuture<Task> call : calls) {
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(ComputeException.class)
            .cause()
            .hasFieldOrPropertyWithValue("code", "store_unavailable")
            .hasMessageNotContaining("disk I/O"); // the cause's text stays out of the answer
      }
      assertThat(rec.commits).hasValue(0);
      assertThat(store.list(10)).isEmpty();
    } finally {
      writer.close();
    }
  }

  /** Writes to one task commit in the order asked; a stale compare-and-set fails on its own. */
  static void ordersWritesPerTask(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    try {
      Task t0 = task("o1");
      Task t1 = t0.withState(TaskStatus.RUNNING, 0.5, "running").stored(1, T0.plusSeconds(1));
      Task t2 = t1.withState(TaskStatus.DONE, 1, "done").stored(2, T0.plusSeconds(2));
      Task stale = t0.withState(TaskStatus.ERROR, 0, "late").stored(1, T0.plusSeconds(3));
      CompletableFuture<Task> inserted = store.insertLater(t0);
      CompletableFuture<Boolean> first = store.updateLater(t1, 0);
      CompletableFuture<Boolean> second = store.updateLater(t2, 1);
      CompletableFuture<Boolean> late = store.updateLater(stale, 0);
      CompletableFuture<Task> other = store.insertLater(task("o2"));
      assertThat(writer.drainOnce()).isEqualTo(5);
      assertThat(rec.commits).hasValue(1);
      assertThat(inserted.get()).isSameAs(t0);
      assertThat(first.get()).isTrue();
      assertThat(second.get()).isTrue();
      assertThat(late.get()).isFalse(); // a conflict is an answer, not a failure of the batch
      assertThat(other.get().id()).isEqualTo("o2");
      Task stored = store.get("o1").orElseThrow();
      assertThat(stored.status()).isEqualTo(TaskStatus.DONE);
      assertThat(stored.version()).isEqualTo(2);
    } finally {
      writer.close();
    }
  }

  /** close() commits everything queued before it, and refuses what comes after. */
  static void closeDrainsTheQueue(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    rec.holdFirst = new CountDownLatch(1);
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, 1000);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    writer.start(Thread::new);
    List<CompletableFuture<Task>> queued = new ArrayList<>();
    queued.add(store.insertLater(task("d0")));
    assertThat(rec.firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i < 300; i++) {
      queued.add(store.insertLater(task("d" + i)));
    }
    CompletableFuture<Void> closing = CompletableFuture.runAsync(writer::close);
    // Asks the writer, not submit(): probing with writes would fill the queue meanwhile.
    await(writer::closing);
    assertThat(writer.submit(h -> null)).isCompletedExceptionally();
    assertThat(closing).isNotDone();
    rec.holdFirst.countDown();
    closing.get(10, TimeUnit.SECONDS);
    for (CompletableFuture<Task> f : queued) {
      assertThat(f).isCompletedWithValueMatching(t -> t.id().startsWith("d"));
    }
    assertThat(store.list(1000)).hasSize(300);
    assertThatThrownBy(() -> store.insertIfAbsent(task("after")))
        .isInstanceOf(ComputeException.class)
        .hasFieldOrPropertyWithValue("code", "store_unavailable");
  }

  /**
   * A full queue still has room for close()'s stop marker: close() commits what was accepted and
   * returns (it used to wait forever when submits had taken the last slot).
   */
  static void closeReturnsWhenTheQueueIsFull(Jdbi jdbi) throws Exception {
    Recording rec = new Recording(jdbi);
    rec.holdFirst = new CountDownLatch(1);
    int capacity = 8;
    GroupCommitWriter writer = new GroupCommitWriter(rec, WAIT, capacity);
    JdbiTaskStore store = new JdbiTaskStore(jdbi, writer, Json.mapper());
    writer.start(
        r -> {
          Thread t = new Thread(r, "writer-under-test");
          t.setDaemon(true);
          return t;
        });
    List<CompletableFuture<Task>> accepted = new ArrayList<>();
    accepted.add(store.insertLater(task("q0")));
    assertThat(rec.firstEntered.await(10, TimeUnit.SECONDS)).isTrue(); // q0 is off the queue
    for (int i = 1; i <= capacity; i++) {
      accepted.add(store.insertLater(task("q" + i)));
    }
    assertThat(accepted).noneMatch(CompletableFuture::isCompletedExceptionally);
    CompletableFuture<Task> refused = store.insertLater(task("refused"));
    assertThat(refused).isCompletedExceptionally(); // the slot left is close()'s
    assertThatThrownBy(refused::join)
        .hasCauseInstanceOf(ComputeException.class)
        .cause()
        .hasMessageContaining("too many writes queued");
    assertThat(writer.pending()).isEqualTo(capacity);
    CompletableFuture<Void> closing = new CompletableFuture<>();
    Thread closer =
        new Thread(
            () -> {
              writer.close();
              closing.complete(null);
            },
            "closer");
    closer.setDaemon(true); // as the writer's thread: a hang fails the test, not the JVM's exit
    closer.start();
    await(writer::closing);
    rec.holdFirst.countDown();
    closing.get(10, TimeUnit.SECONDS);
    for (CompletableFuture<Task> f : accepted) {
      assertThat(f).isCompletedWithValueMatching(t -> t.id().startsWith("q"));
    }
    assertThat(store.list(100)).hasSize(capacity + 1);
  }

  // ---- on SQLite ----

  private Database open() {
    return Database.sqlite(dir);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("checks")
  void theSharedChecks(Check check) throws Exception {
    try (Database db = open()) {
      check.run(db.jdbi());
    }
  }

  @Test
  void registeredTasksSurviveARestart() throws Exception {
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    int n = 120;
    try (Database db = open()) {
      TaskRegistry registry = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock, true);
      ExecutorService pool = Executors.newFixedThreadPool(12);
      List<CompletableFuture<TaskRegistry.Registered>> calls = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = "s" + i;
        calls.add(
            CompletableFuture.supplyAsync(
                () ->
                    registry.register(
                        new TaskRegistry.Draft(
                            id, "public.gpu.submit", TaskStatus.DONE, 1, "done", null, null)),
                pool));
      }
      for (var call : calls) {
        assertThat(call.get(10, TimeUnit.SECONDS).created()).isTrue();
      }
      pool.shutdown();
      // fewer commits than tasks is the point, but the count depends on timing: only bounded here
      assertThat(db.writer().transactions()).isBetween(1L, (long) n);
    }
    try (Database db = open()) {
      assertThat(new JdbiTaskStore(db, Json.mapper()).list(1000)).hasSize(n);
    }
  }

  @Test
  void sqliteCommitsAreDurableAndReadsDoNotWaitForTheWriter() throws Exception {
    try (Database db = open()) {
      // synchronous=FULL (2) in WAL on the writer's connection: each commit is fsynced
      Integer synchronous =
          db.writer().call(h -> h.select("PRAGMA synchronous").mapTo(Integer.class).one());
      String journal =
          db.writer().call(h -> h.select("PRAGMA journal_mode").mapTo(String.class).one());
      assertThat(synchronous).isEqualTo(2);
      assertThat(journal).isEqualToIgnoringCase("wal");
      JdbiTaskStore store = new JdbiTaskStore(db, Json.mapper());
      store.insertIfAbsent(task("w1"));
      // A write transaction held open on the writer does not stop a read of the last commit.
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Object> holding =
          db.writer()
              .submit(
                  h -> {
                    h.execute("UPDATE tasks SET message = 'held' WHERE id = 'w1'");
                    inside.countDown();
                    release.await();
                    return null;
                  });
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(store.get("w1").orElseThrow().message()).isEqualTo("queued");
      release.countDown();
      holding.get(10, TimeUnit.SECONDS);
      assertThat(store.get("w1").orElseThrow().message()).isEqualTo("held");
    }
  }
}

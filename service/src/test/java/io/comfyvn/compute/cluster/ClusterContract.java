package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Database;
import io.comfyvn.compute.tasks.JdbiTaskStore;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases and heartbeats on a real store, run on SQLite ({@code SqliteClusterTest}) and PostgreSQL
 * ({@code PostgresClusterIT}); several {@link Cluster}s on one database stand for several
 * instances. Time is a {@link FakeClock}: nothing sleeps.
 */
abstract class ClusterContract {
  private static final ClusterSettings SETTINGS =
      new ClusterSettings(null, Duration.ofSeconds(15), Duration.ofSeconds(5));

  protected abstract Database open() throws Exception;

  protected void dispose() throws Exception {}

  private Database db;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T10:00:00Z"));
  private TaskRegistry tasks;

  @BeforeEach
  void setUp() throws Exception {
    db = open();
    tasks = new TaskRegistry(new JdbiTaskStore(db, Json.mapper()), clock);
  }

  @AfterEach
  void tearDown() throws Exception {
    db.close();
    dispose();
  }

  private Cluster instance(String id) {
    return new Cluster(db.jdbi(), id, db.kind(), SETTINGS, clock);
  }

  private void liveTask(String id, TaskStatus status) {
    tasks.register(
        new TaskRegistry.Draft(
            id,
            "public.gpu.submit",
            status,
            0,
            "q",
            new Submission(
                Mode.LIVE,
                "runpod",
                "job-" + id,
                SubmitState.ACCEPTED,
                1,
                "fp",
                null,
                List.of(),
                null,
                null),
            null));
  }

  @Test
  void oneInstanceHoldsALeaseUntilItStopsRenewingThenAnotherTakesItOver() {
    Cluster a = instance("a");
    Cluster b = instance("b");
    a.tick();
    b.tick();
    assertThat(a.claim("t1")).isTrue();
    assertThat(b.claim("t1")).isFalse();
    assertThat(a.claim("t1")).as("the holder may claim again").isTrue();
    // a keeps renewing: b never gets it
    for (int i = 0; i < 6; i++) {
      clock.advance(SETTINGS.heartbeat());
      a.tick();
      b.tick();
      assertThat(b.claim("t1")).isFalse();
      assertThat(a.holds("t1")).isTrue();
    }
    // a stops (killed): within one lease period b holds it
    clock.advance(SETTINGS.lease().minus(SETTINGS.heartbeat()).plusMillis(1));
    assertThat(a.holds("t1")).as("a can no longer be sure it holds it").isFalse();
    assertThat(b.claim("t1")).isTrue();
    assertThat(b.leasesTakenOver()).isEqualTo(1);
    assertThat(b.holds("t1")).isTrue();
    // a wakes up: its next renewal finds the lease gone and it stops claiming to hold it
    a.tick();
    assertThat(a.holds("t1")).isFalse();
    assertThat(a.leasesHeld()).isZero();
  }

  @Test
  void anOrphanedLiveTaskIsAdoptedWithinOneLeasePeriodOfItsHoldersDeath() {
    liveTask("t1", TaskStatus.RUNNING);
    liveTask("done", TaskStatus.DONE);
    Cluster a = instance("a");
    Cluster b = instance("b");
    List<String> adopted = new CopyOnWriteArrayList<>();
    b.onOrphan(
        id -> {
          if (b.claim(id)) {
            adopted.add(id);
          }
        });
    a.tick();
    assertThat(a.claim("t1")).isTrue();
    Instant died = clock.instant();
    b.tick();
    assertThat(adopted).isEmpty();
    while (adopted.isEmpty()) {
      clock.advance(SETTINGS.heartbeat());
      b.tick();
      assertThat(Duration.between(died, clock.instant())).isLessThanOrEqualTo(SETTINGS.lease());
    }
    assertThat(adopted).containsExactly("t1");
  }

  @Test
  void aTaskNobodyEverClaimedIsLeftToItsSubmitterForOneLease() {
    liveTask("young", TaskStatus.QUEUED);
    Cluster b = instance("b");
    List<String> seen = new ArrayList<>();
    b.onOrphan(seen::add);
    b.tick();
    assertThat(seen).isEmpty();
    clock.advance(SETTINGS.lease().plusMillis(1));
    b.tick();
    assertThat(seen).containsExactly("young");
  }

  @Test
  void liveInstancesAreThoseWithAHeartbeatYoungerThanALease() {
    Cluster a = instance("a");
    Cluster b = instance("b");
    Cluster c = instance("c");
    List<Integer> counts = new CopyOnWriteArrayList<>();
    a.onInstances(counts::add);
    a.tick();
    b.tick();
    c.tick();
    a.tick();
    assertThat(a.liveInstances()).isEqualTo(3);
    // c dies; a and b keep beating
    for (int i = 0; i < 4; i++) {
      clock.advance(SETTINGS.heartbeat());
      b.tick();
      a.tick();
    }
    assertThat(a.liveInstances()).isEqualTo(2);
    // b leaves on purpose: gone at once
    b.close();
    a.tick();
    assertThat(a.liveInstances()).isEqualTo(1);
    assertThat(counts).containsExactly(1, 3, 2, 1);
  }

  @Test
  void aJoiningInstanceKeepsToTheSmallestShareUntilEveryOtherHasCountedIt() {
    Cluster a = instance("a");
    Cluster b = instance("b");
    List<LimitShare> aShares = new CopyOnWriteArrayList<>();
    List<LimitShare> bShares = new CopyOnWriteArrayList<>();
    a.onShare(aShares::add);
    a.tick();
    assertThat(a.share()).as("alone: nobody to wait for").isEqualTo(new LimitShare(1, true));
    clock.advance(Duration.ofMillis(100));
    b.tick();
    b.onShare(bShares::add);
    assertThat(b.share()).isEqualTo(new LimitShare(2, false));
    assertThat(b.share().divisor()).isEqualTo(LimitShare.SMALLEST);
    // b's next heartbeat before a has beaten since b joined: still joining
    clock.advance(Duration.ofMillis(100));
    b.tick();
    assertThat(b.share().settled()).isFalse();
    // a counts b (its heartbeat after b joined says so); then b takes its half
    clock.advance(Duration.ofMillis(100));
    a.tick();
    assertThat(a.share()).isEqualTo(new LimitShare(2, true));
    assertThat(b.share().settled()).isFalse();
    clock.advance(Duration.ofMillis(100));
    b.tick();
    assertThat(b.share()).isEqualTo(new LimitShare(2, true));
    assertThat(b.share().divisor()).isEqualTo(2);
    assertThat(aShares).containsExactly(new LimitShare(1, true), new LimitShare(2, true));
    assertThat(bShares).containsExactly(new LimitShare(2, false), new LimitShare(2, true));
  }

  @Test
  void aDeadInstanceStillCountedHoldsAJoinerBackUntilItsRowAgesOut() {
    Cluster a = instance("a");
    Cluster dead = instance("dead");
    a.tick();
    dead.tick();
    a.tick();
    clock.advance(Duration.ofMillis(10));
    Cluster c = instance("c");
    c.tick();
    clock.advance(SETTINGS.heartbeat());
    a.tick();
    c.tick();
    assertThat(c.share())
        .as("dead has not counted c, and may still be polling")
        .isEqualTo(new LimitShare(3, false));
    // once dead's heartbeat is older than a lease nobody counts it: c settles among two
    while (c.share().instances() == 3) {
      clock.advance(SETTINGS.heartbeat());
      a.tick();
      c.tick();
    }
    assertThat(c.share()).isEqualTo(new LimitShare(2, true));
  }

  @Test
  void anInstanceCutOffForALeaseJoinsAnew() {
    Cluster a = instance("a");
    Cluster b = instance("b");
    a.tick();
    b.tick();
    clock.advance(SETTINGS.heartbeat());
    a.tick();
    b.tick();
    assertThat(b.share()).isEqualTo(new LimitShare(2, true));
    // b stalls for more than a lease: a stops counting it and takes the whole limit
    for (int i = 0; i < 4; i++) {
      clock.advance(SETTINGS.heartbeat());
      a.tick();
    }
    assertThat(a.share()).isEqualTo(new LimitShare(1, true));
    clock.advance(Duration.ofMillis(10));
    b.tick();
    assertThat(b.share()).as("a does not count b yet").isEqualTo(new LimitShare(2, false));
    clock.advance(Duration.ofMillis(10));
    a.tick();
    clock.advance(Duration.ofMillis(10));
    b.tick();
    assertThat(b.share()).isEqualTo(new LimitShare(2, true));
  }

  @Test
  void aReleasedLeaseIsFreeAndStopLeavesNoLeaseBehind() {
    Cluster a = instance("a");
    Cluster b = instance("b");
    assertThat(a.claim("t1")).isTrue();
    assertThat(a.claim("t2")).isTrue();
    a.release("t1");
    assertThat(b.claim("t1")).isTrue();
    a.close();
    assertThat(b.claim("t2")).isTrue();
    assertThat(b.leasesTakenOver()).as("given up, not taken from a dead instance").isEqualTo(0);
  }

  @Test
  void racingClaimsFromManyInstancesHaveOneWinner() throws Exception {
    int n = 6;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      for (int round = 0; round < 5; round++) {
        String task = "race-" + round;
        List<Callable<Boolean>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          Cluster c = instance("i" + i);
          calls.add(() -> c.claim(task));
        }
        int winners = 0;
        for (Future<Boolean> f : pool.invokeAll(calls)) {
          winners += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(winners).as(task).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}

package io.comfyvn.compute.cluster;

import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.StoreSettings;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance among those sharing one task store: its row in {@code instances} (renewed every
 * heartbeat), the leases it holds on live tasks ({@code task_leases}), and the work nobody holds.
 *
 * <p>A lease is one row per task, taken by a single portable statement ({@code INSERT ... ON
 * CONFLICT DO UPDATE ... WHERE} the row is ours or expired), so two instances racing for a task
 * cannot both win, on SQLite or PostgreSQL, and no lock is held between statements. Leases are
 * renewed to expire {@code lease - heartbeat} after each renewal: an instance that dies stops
 * renewing, its leases expire within that, and another instance's next heartbeat (at most one
 * heartbeat later) adopts the tasks: taken over within one lease period. Timing runs on the
 * injected clock; {@link #tick()} is called by the owner's timer (tests call it themselves).
 *
 * <p>Clocks of instances must agree to well within a lease (NTP): expiry is compared against the
 * reader's clock.
 */
public final class Cluster implements TaskLeases, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Cluster.class);

  private final Jdbi jdbi;
  private final String id;
  private final StoreSettings.Kind store;
  private final ClusterSettings settings;
  private final Clock clock;

  /** Leases held, with when each expires unless renewed. */
  private final Map<String, Instant> held = new ConcurrentHashMap<>();

  private final List<Consumer<String>> adopters = new CopyOnWriteArrayList<>();
  private final List<IntConsumer> instanceWatchers = new CopyOnWriteArrayList<>();
  private final AtomicLong takenOver = new AtomicLong();
  private volatile int liveInstances = 1;

  public Cluster(
      Jdbi jdbi, String id, StoreSettings.Kind store, ClusterSettings settings, Clock clock) {
    this.jdbi = jdbi;
    this.id = id;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
  }

  /** This instance's id. */
  public String id() {
    return id;
  }

  /** The kind of store shared (or not) with other instances. */
  public StoreSettings.Kind store() {
    return store;
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** Instances whose heartbeat is younger than a lease, this one included (as of the last tick). */
  public int liveInstances() {
    return liveInstances;
  }

  /** Leases this instance holds now. */
  public int leasesHeld() {
    return held.size();
  }

  /** Leases this instance took from another instance that had stopped renewing them. */
  public long leasesTakenOver() {
    return takenOver.get();
  }

  /** Called with the id of each live task nobody holds (the tracker follows it, claiming it). */
  public void onOrphan(Consumer<String> adopter) {
    adopters.add(adopter);
  }

  /** Called with the count of live instances when it changes (rate-limit shares). */
  public void onInstances(IntConsumer watcher) {
    instanceWatchers.add(watcher);
    watcher.accept(liveInstances);
  }

  /**
   * One heartbeat: renews this instance's row and leases, counts live instances, forgets rows of
   * instances dead for ten leases, and hands tasks nobody holds to the adopters.
   */
  public void tick() {
    Instant now = clock.instant();
    try {
      beat(now);
      renew(now);
      count(now);
    } catch (JdbiException e) {
      log.warn("cluster heartbeat failed: {}", e.getClass().getSimpleName());
      return;
    }
    for (String taskId : orphans(now, 500)) {
      for (Consumer<String> a : adopters) {
        try {
          a.accept(taskId);
        } catch (RuntimeException e) {
          log.atWarn().addKeyValue("task_id", taskId).log("adopting failed: {}", e.getMessage());
        }
      }
    }
  }

  private void beat(Instant now) {
    long ms = now.toEpochMilli();
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO instances (id, started_at, heartbeat_at) VALUES (:id, :now, :now)"
                        + " ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at")
                .bind("id", id)
                .bind("now", ms)
                .execute());
  }

  private void renew(Instant now) {
    // only leases held before this renewal can have been lost; one claimed meanwhile is kept
    Set<String> before = Set.copyOf(held.keySet());
    jdbi.useHandle(
        h -> {
          h.createUpdate("UPDATE task_leases SET expires_at = :until WHERE owner = :me")
              .bind("until", expiry(now))
              .bind("me", id)
              .execute();
          List<String> mine =
              h.createQuery("SELECT task_id FROM task_leases WHERE owner = :me")
                  .bind("me", id)
                  .mapTo(String.class)
                  .list();
          Set<String> kept = Set.copyOf(mine);
          for (String task : before) {
            if (!kept.contains(task)) {
              held.remove(task);
            }
          }
          Instant until = Instant.ofEpochMilli(expiry(now));
          for (String task : kept) {
            held.computeIfPresent(task, (t, old) -> until);
          }
        });
  }

  private void count(Instant now) {
    long since = now.minus(settings.lease()).toEpochMilli();
    int n =
        jdbi.withHandle(
            h -> {
              h.createUpdate("DELETE FROM instances WHERE heartbeat_at < :dead")
                  .bind("dead", now.minus(settings.lease().multipliedBy(10)).toEpochMilli())
                  .execute();
              return h.createQuery("SELECT COUNT(*) FROM instances WHERE heartbeat_at >= :since")
                  .bind("since", since)
                  .mapTo(Integer.class)
                  .one();
            });
    n = Math.max(1, n);
    if (n != liveInstances) {
      liveInstances = n;
      instanceWatchers.forEach(w -> w.accept(liveInstances));
    }
  }

  /**
   * Live tasks that are unfinished and whose lease is missing or expired, oldest first. A task
   * younger than a lease without any lease row is left to the instance that submitted it, which
   * claims it when its create is answered.
   */
  List<String> orphans(Instant now, int limit) {
    try {
      return jdbi.withHandle(
          h ->
              h.createQuery(
                      "SELECT t.id FROM tasks t LEFT JOIN task_leases l ON l.task_id = t.id"
                          + " WHERE t.mode = :live AND t.status IN (:queued, :running)"
                          + " AND ((l.task_id IS NULL AND t.created_at < :young)"
                          + " OR l.expires_at < :now)"
                          + " ORDER BY t.created_at, t.id LIMIT :limit")
                  .bind("live", Mode.LIVE.wire())
                  .bind("queued", TaskStatus.QUEUED.wire())
                  .bind("running", TaskStatus.RUNNING.wire())
                  .bind("young", now.minus(settings.lease()).toEpochMilli())
                  .bind("now", now.toEpochMilli())
                  .bind("limit", limit)
                  .mapTo(String.class)
                  .list());
    } catch (JdbiException e) {
      log.warn("looking for orphaned tasks failed: {}", e.getClass().getSimpleName());
      return List.of();
    }
  }

  @Override
  public boolean claim(String taskId) {
    Instant now = clock.instant();
    try {
      return jdbi.withHandle(
          h -> {
            Optional<String> before =
                h.createQuery(
                        "SELECT owner FROM task_leases WHERE task_id = :task AND owner <> :me")
                    .bind("task", taskId)
                    .bind("me", id)
                    .mapTo(String.class)
                    .findFirst();
            int won =
                h.createUpdate(
                        "INSERT INTO task_leases (task_id, owner, expires_at)"
                            + " VALUES (:task, :me, :until) ON CONFLICT (task_id) DO UPDATE"
                            + " SET owner = excluded.owner, expires_at = excluded.expires_at"
                            + " WHERE task_leases.owner = excluded.owner"
                            + " OR task_leases.expires_at < :now")
                    .bind("task", taskId)
                    .bind("me", id)
                    .bind("until", expiry(now))
                    .bind("now", now.toEpochMilli())
                    .execute();
            if (won == 1) {
              held.put(taskId, Instant.ofEpochMilli(expiry(now)));
              if (before.isPresent()) {
                takenOver.incrementAndGet();
                log.atInfo()
                    .addKeyValue("task_id", taskId)
                    .log("took the task over from instance {}", before.get());
              }
            }
            return won == 1;
          });
    } catch (JdbiException e) {
      log.atWarn()
          .addKeyValue("task_id", taskId)
          .log("lease not taken: {}", e.getClass().getSimpleName());
      return false;
    }
  }

  /**
   * True while the lease was taken or renewed by this instance and cannot have expired since: an
   * instance cut off from the store stops polling before anyone else may take its tasks.
   */
  @Override
  public boolean holds(String taskId) {
    Instant until = held.get(taskId);
    return until != null && clock.instant().isBefore(until);
  }

  @Override
  public void release(String taskId) {
    held.remove(taskId);
    try {
      jdbi.useHandle(
          h ->
              h.createUpdate("DELETE FROM task_leases WHERE task_id = :task AND owner = :me")
                  .bind("task", taskId)
                  .bind("me", id)
                  .execute());
    } catch (JdbiException e) {
      // it expires on its own; the task is finished, so nobody adopts it
      log.atWarn().addKeyValue("task_id", taskId).log("lease not released");
    }
  }

  private long expiry(Instant now) {
    return now.plus(settings.lease()).minus(settings.heartbeat()).toEpochMilli();
  }

  /**
   * Leaving on purpose (a stop, a rolling restart): gives every lease up and removes this
   * instance's row, so the others take its tasks at their next heartbeat instead of after a lease.
   */
  @Override
  public void close() {
    held.clear();
    try {
      jdbi.useHandle(
          h -> {
            h.createUpdate("DELETE FROM task_leases WHERE owner = :me").bind("me", id).execute();
            h.createUpdate("DELETE FROM instances WHERE id = :me").bind("me", id).execute();
          });
    } catch (JdbiException e) {
      log.warn("leases not given up on stop; they expire within a lease");
    }
  }
}

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
  private final List<Consumer<LimitShare>> shareWatchers = new CopyOnWriteArrayList<>();
  private final AtomicLong takenOver = new AtomicLong();
  private volatile int liveInstances = 1;

  /**
   * When this instance's row was last (re)written after the others may have stopped counting it:
   * until every other live instance has beaten after this, some of them may not count it yet.
   */
  private Instant joinedAt;

  /** The last heartbeat that reached the store. */
  private Instant lastBeat;

  private volatile LimitShare share = new LimitShare(1, true);

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

  /** Called with the count of live instances when it changes. */
  public void onInstances(IntConsumer watcher) {
    instanceWatchers.add(watcher);
    watcher.accept(liveInstances);
  }

  /**
   * Called with this instance's share of every provider limit now and whenever it changes (the live
   * clients rebuild their limiters for it).
   */
  public void onShare(Consumer<LimitShare> watcher) {
    shareWatchers.add(watcher);
    watcher.accept(share);
  }

  /** This instance's share of the provider limits, as of the last heartbeat. */
  public LimitShare share() {
    return share;
  }

  /**
   * One heartbeat: counts live instances (settling this instance's share of the provider limits),
   * then renews this instance's row and leases, forgets rows of instances dead for ten leases, and
   * hands tasks nobody holds to the adopters.
   *
   * <p>Counting comes before the row is renewed, so a heartbeat the others read from this instance
   * says "I have counted every instance that had joined before this instant": that is what a
   * joining instance waits for before it takes its full share.
   */
  public void tick() {
    Instant now = clock.instant();
    try {
      // the others stop counting a row older than a lease: after such a gap this one joins anew
      boolean rejoin = lastBeat == null || !now.isBefore(lastBeat.plus(settings.lease()));
      Others others = count(now, rejoin);
      beat(now, rejoin, others);
      renew(now);
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

  private void beat(Instant now, boolean rejoin, Others others) {
    long ms = now.toEpochMilli();
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO instances (id, started_at, heartbeat_at) VALUES (:id, :now, :now)"
                        + " ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at")
                .bind("id", id)
                .bind("now", ms)
                .execute());
    lastBeat = now;
    if (rejoin) {
      // read after the row committed: another instance whose heartbeat is later than this counted
      // after the row existed
      joinedAt = clock.instant();
      // alone, there is nobody to wait for; otherwise some may not count this instance yet
      settle(liveInstances, others.count() == 0);
    }
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

  private Others count(Instant now, boolean rejoin) {
    long since = now.minus(settings.lease()).toEpochMilli();
    // the other live instances, and the oldest of their last heartbeats
    Others others =
        jdbi.withHandle(
            h -> {
              h.createUpdate("DELETE FROM instances WHERE heartbeat_at < :dead")
                  .bind("dead", now.minus(settings.lease().multipliedBy(10)).toEpochMilli())
                  .execute();
              return h.createQuery(
                      "SELECT COUNT(*) AS n, MIN(heartbeat_at) AS oldest FROM instances"
                          + " WHERE heartbeat_at >= :since AND id <> :me")
                  .bind("since", since)
                  .bind("me", id)
                  .map((rs, ctx) -> new Others(rs.getInt("n"), rs.getLong("oldest")))
                  .one();
            });
    int n = others.count() + 1;
    // settled once every other live instance has beaten (so counted) after this one joined
    boolean counted =
        !rejoin
            && joinedAt != null
            && (others.count() == 0 || others.oldest() > joinedAt.toEpochMilli());
    boolean settled = !rejoin && (share.settled() || counted);
    if (n != liveInstances) {
      liveInstances = n;
      instanceWatchers.forEach(w -> w.accept(liveInstances));
    }
    if (!rejoin) {
      settle(n, settled); // a joining instance's share is settled by its beat below
    }
    return others;
  }

  private record Others(int count, long oldest) {}

  private void settle(int instances, boolean settled) {
    LimitShare next = new LimitShare(instances, settled);
    if (!next.equals(share)) {
      share = next;
      shareWatchers.forEach(w -> w.accept(next));
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

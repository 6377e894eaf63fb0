package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.status.TaskStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ComfyVN's task registry: every accepted job is written here before its answer goes out, and every
 * change is persisted before it is announced to subscribers (WebSocket, modder hooks).
 *
 * <p>Changes are compare-and-set by version: a change is computed from the task as read and written
 * only if nobody wrote in between; otherwise it is computed again from the newer task. A terminal
 * task (done, error, canceled) never changes again, whoever asks.
 */
public final class TaskRegistry {
  private static final Logger log = LoggerFactory.getLogger(TaskRegistry.class);

  /**
   * How many recently written tasks are remembered for reads (unfinished ones whole, see below).
   */
  static final int CACHE_SIZE = 10_000;

  /** How often a change is recomputed when other writers keep winning, before giving up. */
  static final int MAX_ATTEMPTS = 16;

  private final TaskStore store;
  private final Clock clock;
  private final List<Consumer<TaskEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Cached> recent;

  /**
   * A cache entry: an unfinished task, or only the version of a finished one. A finished task never
   * changes, reads cheaply from the store and is rarely read again, so its copy is not kept: ten
   * thousand kept copies outlived every young collection and made those collections copy them (the
   * p99 of a dry-run flood). Its version is kept so an older, unfinished copy read late can never
   * take its place.
   */
  private record Cached(Task task, long version) {
    static Cached of(Task t) {
      return new Cached(t.status().terminal() ? null : t, t.version());
    }
  }

  private final Object[] stripes = new Object[64];

  /** The newest version relayed per task, so each change reaches each listener once. */
  private final Map<String, Long> relayed =
      Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
              return size() > CACHE_SIZE;
            }
          });

  /** A registry whose reads always go to the store (safe when other processes write too). */
  public TaskRegistry(TaskStore store, Clock clock) {
    this(store, clock, false);
  }

  /**
   * @param cacheReads keep recently written unfinished tasks in memory and answer {@link #get} from
   *     there; only when this process is the store's only writer (the embedded SQLite file), since
   *     another writer's changes would not be seen
   */
  public TaskRegistry(TaskStore store, Clock clock, boolean cacheReads) {
    this.store = store;
    this.clock = clock;
    this.recent =
        cacheReads
            ? Collections.synchronizedMap(
                new LinkedHashMap<>(256, 0.75f, true) {
                  private static final long serialVersionUID = 1L;

                  @Override
                  protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                    return size() > CACHE_SIZE;
                  }
                })
            : null;
    for (int i = 0; i < stripes.length; i++) {
      stripes[i] = new Object();
    }
  }

  private Object stripe(String id) {
    return stripes[Math.floorMod(id.hashCode(), stripes.length)];
  }

  /**
   * What to register.
   *
   * @param id the task id, or null for a random one
   * @param kind e.g. {@code public.gpu.submit}
   * @param status initial status
   * @param progress initial progress
   * @param message initial message
   * @param submission a GPU submit's typed facts, or null for other kinds of task
   * @param details display data (logs, payload...)
   */
  public record Draft(
      String id,
      String kind,
      TaskStatus status,
      double progress,
      String message,
      Submission submission,
      ObjectNode details) {}

  /**
   * Registers a task, or returns the existing one with the same id, or the same idempotency key and
   * mode whose job may exist upstream (see {@link TaskStore#insertIfAbsent}).
   *
   * @return the stored task and whether this call created it
   */
  public Registered register(Draft draft) {
    Instant now = now();
    String id = draft.id() == null ? UUID.randomUUID().toString() : draft.id();
    Task fresh =
        new Task(
            id,
            draft.kind(),
            draft.status(),
            clamp(draft.progress()),
            draft.message(),
            draft.submission(),
            List.of(),
            draft.details() == null ? newDetails() : draft.details().deepCopy(),
            0,
            now,
            now);
    Task stored = store.insertIfAbsent(fresh);
    remember(stored);
    // The store hands back the very object it inserted; anything else is an earlier task.
    boolean created = stored == fresh;
    if (created) {
      announce(new TaskEvent("job.created", TaskView.of(stored)));
    }
    return new Registered(stored, created);
  }

  /**
   * A register's outcome.
   *
   * @param task the stored task
   * @param created whether this call created it (false: an earlier one did)
   */
  public record Registered(Task task, boolean created) {}

  /**
   * Changes a task: {@code change} computes the next state from the current one, and the result is
   * written only over the version it was computed from. When another writer got there first, the
   * change is computed again from what they wrote, so it must not have side effects. A terminal
   * task is returned unchanged (a late poll cannot resurrect a canceled job or rewrite a done one).
   *
   * @return the task after the change (unchanged when terminal or when the change changed nothing),
   *     or empty when there is no such task
   */
  public Optional<Task> update(String id, UnaryOperator<Task> change) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Optional<Task> current = attempt == 0 ? get(id) : fresh(id);
      if (current.isEmpty() || current.get().status().terminal()) {
        return current;
      }
      Task t = current.get();
      Task wanted = change.apply(t);
      if (wanted == null || wanted.sameStateAs(t)) {
        return current;
      }
      Task next =
          new Task(
                  t.id(),
                  t.kind(),
                  wanted.status(),
                  clamp(wanted.progress()),
                  wanted.message(),
                  wanted.submission(),
                  wanted.artifacts(),
                  wanted.details(),
                  t.version(),
                  t.createdAt(),
                  t.updatedAt())
              .stored(t.version() + 1, now());
      // Per task, writes and their announcements happen in version order: listeners never see
      // an older state after a newer one.
      synchronized (stripe(id)) {
        if (store.update(next, t.version())) {
          remember(next);
          announce(new TaskEvent("job.update", TaskView.of(next)));
          return Optional.of(next);
        }
      }
    }
    throw new ComputeException(
        ComputeException.Kind.UNAVAILABLE,
        "store_contended",
        "task " + id + " kept changing under this update; try again",
        true,
        null);
  }

  /**
   * Changes a task's state; {@code detailsPatch} fields are set on its details. Shorthand for
   * {@link #update(String, UnaryOperator)}.
   */
  public Optional<Task> update(
      String id, TaskStatus status, double progress, String message, ObjectNode detailsPatch) {
    return update(id, t -> t.withState(status, progress, message).withDetails(detailsPatch));
  }

  public Optional<Task> get(String id) {
    if (recent != null) {
      Cached c = recent.get(id);
      if (c != null && c.task() != null) {
        return Optional.of(c.task());
      }
    }
    Optional<Task> t = store.get(id);
    t.ifPresent(this::remember);
    return t;
  }

  /** Reads past the cache (after losing a compare-and-set, the cached copy is stale). */
  private Optional<Task> fresh(String id) {
    Optional<Task> t = store.get(id);
    t.ifPresent(this::remember);
    return t;
  }

  private void remember(Task t) {
    if (recent != null) {
      // never replace a newer copy with an older one (two writers' answers may arrive out of order)
      recent.merge(t.id(), Cached.of(t), (old, nu) -> nu.version() >= old.version() ? nu : old);
    }
  }

  public Optional<Task> findByProviderJob(String providerSlug, String providerJobId) {
    return store.findByProviderJob(providerSlug, providerJobId);
  }

  /** Every task submitted under an idempotency key, newest first. */
  public List<Task> attempts(String key) {
    return store.attempts(key);
  }

  /** Newest first. */
  public List<Task> list(int limit) {
    return store.list(limit);
  }

  /** Queued or running tasks, oldest first. */
  public List<Task> unfinished(int limit) {
    return store.unfinished(limit);
  }

  /**
   * Deletes disposable tasks (finished dry-run and sim submits) created before {@code
   * createdBefore} and beyond the {@code keepNewest} newest; live tasks are kept.
   *
   * @return how many were deleted
   */
  public int prune(Instant createdBefore, int keepNewest) {
    List<String> deleted = store.pruneDisposable(createdBefore, keepNewest);
    if (recent != null) {
      deleted.forEach(recent::remove);
    }
    return deleted.size();
  }

  /**
   * A change another instance wrote, as its notice told it ({@code cluster/ChangeFeed}).
   *
   * @param type the writer's event type ({@code job.created} or {@code job.update})
   */
  public record Notice(String type, String taskId) {}

  /** {@link #relayAll} for one notice. */
  public void relay(String type, String taskId) {
    relayAll(List.of(new Notice(type, taskId)));
  }

  /**
   * Announces changes another instance wrote to this store: the tasks are read as stored now (one
   * read for the lot, not one per notice) and announced as {@link TaskEvent#relayed() relayed}, in
   * the notices' order, each unless this or a newer version was relayed already (several notices
   * may find the same newest row).
   */
  public void relayAll(List<Notice> notices) {
    if (notices.isEmpty()) {
      return;
    }
    Map<String, Task> read = new HashMap<>();
    for (Task t : store.getAll(notices.stream().map(Notice::taskId).toList())) {
      remember(t);
      read.put(t.id(), t);
    }
    for (Notice n : notices) {
      Task t = read.get(n.taskId());
      if (t == null) {
        continue;
      }
      Long before = relayed.get(t.id());
      if (before != null && before >= t.version()) {
        continue;
      }
      relayed.put(t.id(), t.version());
      // a created notice that finds later versions still announces the creation, with the newest
      // view
      String announced =
          "job.created".equals(n.type()) && before == null ? "job.created" : "job.update";
      announce(new TaskEvent(announced, TaskView.of(t), true));
    }
  }

  /**
   * Adds a listener; it is called after each persisted change: on the writer's thread for changes
   * this instance wrote, and on the change feed's thread for changes relayed from other instances.
   */
  public void subscribe(Consumer<TaskEvent> listener) {
    listeners.add(listener);
  }

  public void unsubscribe(Consumer<TaskEvent> listener) {
    listeners.remove(listener);
  }

  /** An empty details object to fill. */
  public static ObjectNode newDetails() {
    return JsonNodeFactory.instance.objectNode();
  }

  private void announce(TaskEvent event) {
    for (Consumer<TaskEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        // A broken subscriber must not undo or block a persisted change.
        log.atWarn()
            .addKeyValue("task_id", event.task().id())
            .log("task listener failed: {}", e.getClass().getSimpleName());
      }
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static double clamp(double p) {
    return Math.max(0.0, Math.min(1.0, p));
  }
}

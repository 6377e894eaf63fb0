package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ComfyVN's task registry: every accepted job is written here before its answer goes out, and every
 * change is persisted before it is announced to subscribers (WebSocket, modder hooks).
 */
public final class TaskRegistry {
  private static final Logger log = LoggerFactory.getLogger(TaskRegistry.class);

  /** How many recently written tasks are kept in memory for reads. */
  static final int CACHE_SIZE = 10_000;

  private final TaskStore store;
  private final Clock clock;
  private final List<Consumer<TaskEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Task> recent;

  /** A registry whose reads always go to the store (safe when other processes write too). */
  public TaskRegistry(TaskStore store, Clock clock) {
    this(store, clock, false);
  }

  /**
   * @param cacheReads keep recently written tasks in memory and answer {@link #get} from there;
   *     only when this process is the store's only writer (the embedded SQLite file), since another
   *     writer's changes would not be seen
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
                  protected boolean removeEldestEntry(Map.Entry<String, Task> eldest) {
                    return size() > CACHE_SIZE;
                  }
                })
            : null;
  }

  /**
   * What to register.
   *
   * @param id the task id, or null for a random one
   * @param kind e.g. {@code public.gpu.submit}
   * @param status initial status
   * @param progress initial progress
   * @param message initial message
   * @param meta metadata
   * @param idempotencyKey a caller key making the register idempotent, or null
   */
  public record Draft(
      String id,
      String kind,
      TaskStatus status,
      double progress,
      String message,
      ObjectNode meta,
      String idempotencyKey) {}

  /**
   * Registers a task, or returns the existing one with the same id or idempotency key.
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
            draft.progress(),
            draft.message(),
            draft.meta().deepCopy(),
            now,
            now);
    Task stored = store.insertIfAbsent(fresh, draft.idempotencyKey());
    remember(stored);
    // The store hands back the very object it inserted; anything else is an earlier task.
    boolean created = stored == fresh;
    if (created) {
      announce(new TaskEvent("job.created", stored));
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
   * Changes a task's state; {@code metaPatch} fields are merged into its meta. A terminal task is
   * not changed again (a late poll cannot resurrect a canceled job).
   */
  public Optional<Task> update(
      String id, TaskStatus status, double progress, String message, ObjectNode metaPatch) {
    synchronized (this) {
      Optional<Task> current = get(id);
      if (current.isEmpty()) {
        return Optional.empty();
      }
      Task t = current.get();
      if (t.status().terminal() && status != t.status()) {
        return current;
      }
      ObjectNode meta = t.meta().deepCopy();
      if (metaPatch != null) {
        meta.setAll(metaPatch);
      }
      Task next =
          new Task(t.id(), t.kind(), status, clamp(progress), message, meta, t.createdAt(), now());
      if (next.status() == t.status()
          && next.progress() == t.progress()
          && next.message().equals(t.message())
          && next.meta().equals(t.meta())) {
        return current;
      }
      store.update(next);
      remember(next);
      announce(new TaskEvent("job.update", next));
      return Optional.of(next);
    }
  }

  public Optional<Task> get(String id) {
    if (recent != null) {
      Task t = recent.get(id);
      if (t != null) {
        return Optional.of(t);
      }
    }
    Optional<Task> t = store.get(id);
    t.ifPresent(this::remember);
    return t;
  }

  private void remember(Task t) {
    if (recent != null) {
      recent.put(t.id(), t);
    }
  }

  public Optional<Task> findByProviderJob(String providerSlug, String providerJobId) {
    return store.findByProviderJob(providerSlug, providerJobId);
  }

  public Optional<Task> findByIdempotencyKey(String key) {
    return store.findByIdempotencyKey(key);
  }

  /** Newest first. */
  public List<Task> list(int limit) {
    return store.list(limit);
  }

  /** Queued or running tasks, oldest first. */
  public List<Task> unfinished(int limit) {
    return store.unfinished(limit);
  }

  /** Adds a listener; it is called on the writer's thread after each persisted change. */
  public void subscribe(Consumer<TaskEvent> listener) {
    listeners.add(listener);
  }

  public void unsubscribe(Consumer<TaskEvent> listener) {
    listeners.remove(listener);
  }

  /** An empty meta object to fill. */
  public static ObjectNode newMeta() {
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

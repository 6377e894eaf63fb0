package io.comfyvn.compute.jobs;

import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An in-memory {@link TaskStore} for unit tests, with the real store's rules. */
final class MemoryTaskStore implements TaskStore {
  private final Map<String, Task> byId = new LinkedHashMap<>();

  @Override
  public synchronized Task insertIfAbsent(Task task) {
    if (byId.containsKey(task.id())) {
      return byId.get(task.id());
    }
    Submission s = task.submission();
    if (s != null && s.idempotencyKey() != null && s.state().mayExistUpstream()) {
      for (Task t : byId.values()) {
        Submission o = t.submission();
        if (o != null
            && s.idempotencyKey().equals(o.idempotencyKey())
            && o.mode() == s.mode()
            && o.state().mayExistUpstream()) {
          return t;
        }
      }
    }
    byId.put(task.id(), task);
    return task;
  }

  @Override
  public synchronized boolean update(Task next, long expectedVersion) {
    Task current = byId.get(next.id());
    if (current == null || current.version() != expectedVersion) {
      return false;
    }
    byId.put(next.id(), next);
    return true;
  }

  @Override
  public synchronized Optional<Task> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  @Override
  public synchronized List<Task> attempts(String key) {
    List<Task> out = new ArrayList<>();
    for (Task t : byId.values()) {
      if (t.submission() != null && key.equals(t.submission().idempotencyKey())) {
        out.add(0, t);
      }
    }
    return out;
  }

  @Override
  public synchronized Optional<Task> findByProviderJob(String providerSlug, String providerJobId) {
    return byId.values().stream()
        .filter(
            t -> t.providerSlug().equals(providerSlug) && t.providerJobId().equals(providerJobId))
        .findFirst();
  }

  @Override
  public synchronized List<Task> list(int limit) {
    List<Task> all = new ArrayList<>(byId.values());
    all.sort(Comparator.comparing(Task::createdAt).reversed());
    return all.subList(0, Math.min(limit, all.size()));
  }

  @Override
  public synchronized List<Task> unfinished(int limit) {
    return byId.values().stream().filter(t -> !t.status().terminal()).limit(limit).toList();
  }

  @Override
  public synchronized List<String> pruneDisposable(Instant createdBefore, int keepNewest) {
    List<Task> disposable =
        byId.values().stream()
            .filter(t -> t.mode() != null && t.mode() != Mode.LIVE && t.status().terminal())
            .sorted(Comparator.comparing(Task::createdAt).reversed())
            .toList();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < disposable.size(); i++) {
      Task t = disposable.get(i);
      if (i >= keepNewest || t.createdAt().isBefore(createdBefore)) {
        out.add(t.id());
      }
    }
    out.forEach(byId::remove);
    return out;
  }
}

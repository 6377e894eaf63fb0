package io.comfyvn.compute.sim;

import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An in-memory {@link TaskStore} for unit tests. */
final class MemoryTaskStore implements TaskStore {
  private final Map<String, Task> byId = new LinkedHashMap<>();
  private final Map<String, String> byKey = new LinkedHashMap<>();

  @Override
  public synchronized Task insertIfAbsent(Task task, String idempotencyKey) {
    if (byId.containsKey(task.id())) {
      return byId.get(task.id());
    }
    if (idempotencyKey != null && byKey.containsKey(idempotencyKey)) {
      return byId.get(byKey.get(idempotencyKey));
    }
    byId.put(task.id(), task);
    if (idempotencyKey != null) {
      byKey.put(idempotencyKey, task.id());
    }
    return task;
  }

  @Override
  public synchronized void update(Task task) {
    byId.put(task.id(), task);
  }

  @Override
  public synchronized Optional<Task> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  @Override
  public synchronized Optional<Task> findByIdempotencyKey(String key) {
    return Optional.ofNullable(byKey.get(key)).map(byId::get);
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
}

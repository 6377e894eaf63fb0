package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** {@link TaskStore} on Jdbi; the same SQL runs on SQLite and PostgreSQL. */
public final class JdbiTaskStore implements TaskStore {
  private static final String COLUMNS =
      "id, kind, status, progress, message, meta, created_at, updated_at";

  private final Jdbi jdbi;
  private final ObjectMapper mapper;

  public JdbiTaskStore(Jdbi jdbi, ObjectMapper mapper) {
    this.jdbi = jdbi;
    this.mapper = mapper;
  }

  @Override
  public Task insertIfAbsent(Task task, String idempotencyKey) {
    try {
      return jdbi.withHandle(h -> insert(h, task, idempotencyKey));
    } catch (UnableToExecuteStatementException raced) {
      // Another writer inserted the same id or key between our read and our write.
      Optional<Task> winner =
          idempotencyKey == null ? get(task.id()) : findByIdempotencyKey(idempotencyKey);
      return winner.orElseThrow(() -> unavailable(raced));
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private Task insert(Handle h, Task task, String idempotencyKey) {
    // One statement on the common path: ON CONFLICT DO NOTHING is shared by SQLite and PostgreSQL.
    int inserted =
        h.createUpdate(
                "INSERT INTO tasks (id, kind, status, progress, message, meta, provider_slug,"
                    + " provider_job_id, idempotency_key, created_at, updated_at) VALUES (:id,"
                    + " :kind, :status, :progress, :message, :meta, :slug, :jobId, :key,"
                    + " :created, :updated) ON CONFLICT DO NOTHING")
            .bind("id", task.id())
            .bind("kind", task.kind())
            .bind("status", task.status().wire())
            .bind("progress", task.progress())
            .bind("message", task.message())
            .bind("meta", json(task.meta()))
            .bind("slug", emptyToNull(task.providerSlug()))
            .bind("jobId", emptyToNull(task.providerJobId()))
            .bind("key", idempotencyKey)
            .bind("created", task.createdAt().toEpochMilli())
            .bind("updated", task.updatedAt().toEpochMilli())
            .execute();
    if (inserted == 1) {
      return task;
    }
    Optional<Task> existing = byId(h, task.id());
    if (existing.isEmpty() && idempotencyKey != null) {
      existing = byKey(h, idempotencyKey);
    }
    return existing.orElseThrow(
        () -> new IllegalStateException("task " + task.id() + " conflicted but cannot be read"));
  }

  @Override
  public void update(Task task) {
    write(
        h ->
            h.createUpdate(
                    "UPDATE tasks SET status = :status, progress = :progress, message = :message,"
                        + " meta = :meta, provider_job_id = :jobId, updated_at = :updated WHERE id"
                        + " = :id")
                .bind("id", task.id())
                .bind("status", task.status().wire())
                .bind("progress", task.progress())
                .bind("message", task.message())
                .bind("meta", json(task.meta()))
                .bind("jobId", emptyToNull(task.providerJobId()))
                .bind("updated", task.updatedAt().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<Task> get(String id) {
    return read(h -> byId(h, id));
  }

  @Override
  public Optional<Task> findByIdempotencyKey(String key) {
    return read(h -> byKey(h, key));
  }

  @Override
  public Optional<Task> findByProviderJob(String providerSlug, String providerJobId) {
    return read(
        h ->
            h.createQuery(
                    "SELECT "
                        + COLUMNS
                        + " FROM tasks WHERE provider_slug = :slug AND provider_job_id = :jobId"
                        + " ORDER BY created_at DESC")
                .bind("slug", providerSlug)
                .bind("jobId", providerJobId)
                .map(this::row)
                .findFirst());
  }

  @Override
  public List<Task> list(int limit) {
    return read(
        h ->
            h.createQuery(
                    "SELECT " + COLUMNS + " FROM tasks ORDER BY created_at DESC, id LIMIT :limit")
                .bind("limit", limit)
                .map(this::row)
                .list());
  }

  @Override
  public List<Task> unfinished(int limit) {
    return read(
        h ->
            h.createQuery(
                    "SELECT "
                        + COLUMNS
                        + " FROM tasks WHERE status IN ('queued', 'running') ORDER BY created_at,"
                        + " id LIMIT :limit")
                .bind("limit", limit)
                .map(this::row)
                .list());
  }

  /** A read; a store that cannot answer is a 503 for the caller, not a 500. */
  private <T> T read(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
    try {
      return jdbi.withHandle(work);
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private void write(org.jdbi.v3.core.HandleConsumer<RuntimeException> work) {
    try {
      jdbi.useHandle(work);
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private static ComputeException unavailable(JdbiException e) {
    // The cause's text can quote SQL and values; the caller gets the kind of failure only.
    return new ComputeException(
        ComputeException.Kind.UNAVAILABLE,
        "store_unavailable",
        "the task store cannot be used right now (" + e.getClass().getSimpleName() + ")",
        true,
        e);
  }

  private Optional<Task> byId(Handle h, String id) {
    return h.createQuery("SELECT " + COLUMNS + " FROM tasks WHERE id = :id")
        .bind("id", id)
        .map(this::row)
        .findOne();
  }

  private Optional<Task> byKey(Handle h, String key) {
    return h.createQuery("SELECT " + COLUMNS + " FROM tasks WHERE idempotency_key = :key")
        .bind("key", key)
        .map(this::row)
        .findOne();
  }

  private Task row(ResultSet rs, StatementContext ctx) throws SQLException {
    ObjectNode meta;
    try {
      meta = (ObjectNode) mapper.readTree(rs.getString("meta"));
    } catch (JsonProcessingException e) {
      throw new SQLException("task " + rs.getString("id") + " has unreadable meta", e);
    }
    return new Task(
        rs.getString("id"),
        rs.getString("kind"),
        TaskStatus.parse(rs.getString("status")),
        rs.getDouble("progress"),
        rs.getString("message"),
        meta,
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("updated_at")));
  }

  private String json(ObjectNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("meta is not serializable", e);
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}

package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * {@link TaskStore} on Jdbi; the same SQL runs on SQLite and PostgreSQL. Every write goes through
 * the database's one {@link GroupCommitWriter} (many tasks per transaction, each call returning
 * once its own write is committed); reads go to the read pool.
 */
public final class JdbiTaskStore implements TaskStore {
  private static final String COLUMNS =
      "id, kind, status, progress, message, details, provider_slug, provider_job_id,"
          + " idempotency_key, mode, submit_state, seed, fingerprint, estimate, artifacts,"
          + " missing_secrets, webhook_token_sha256, version, created_at, updated_at";

  /** The submit states a unique index keeps to one per idempotency key and mode. */
  static final String MAY_EXIST_UPSTREAM = "('sent', 'accepted', 'ambiguous')";

  private static final TypeReference<List<Artifact>> ARTIFACTS = new TypeReference<>() {};
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

  private final Jdbi jdbi;
  private final GroupCommitWriter writer;
  private final ObjectMapper mapper;

  public JdbiTaskStore(Database db, ObjectMapper mapper) {
    this(db.jdbi(), db.writer(), mapper);
  }

  /**
   * @param reads where reads go
   * @param writer where every write goes
   */
  JdbiTaskStore(Jdbi reads, GroupCommitWriter writer, ObjectMapper mapper) {
    this.jdbi = reads;
    this.writer = writer;
    this.mapper = mapper;
  }

  @Override
  public Task insertIfAbsent(Task task) {
    try {
      return writer.call(h -> insert(h, task));
    } catch (UnableToExecuteStatementException raced) {
      // Another writer inserted the same id or key between our read and our write.
      return existing(task).orElseThrow(() -> unavailable(raced));
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  /** {@link #insertIfAbsent} without waiting (tests put several writes in one batch with it). */
  CompletableFuture<Task> insertLater(Task task) {
    return writer.submit(h -> insert(h, task));
  }

  /** {@link #update} without waiting. */
  CompletableFuture<Boolean> updateLater(Task next, long expectedVersion) {
    return writer.submit(h -> update(h, next, expectedVersion));
  }

  private Task insert(Handle h, Task task) {
    // One statement on the common path: ON CONFLICT DO NOTHING is shared by SQLite and PostgreSQL,
    // and covers both the primary key and the partial unique index on (idempotency_key, mode).
    int inserted =
        bindAll(
                h.createUpdate(
                    "INSERT INTO tasks ("
                        + COLUMNS
                        + ") VALUES (:id, :kind, :status, :progress, :message, :details, :slug,"
                        + " :jobId, :key, :mode, :state, :seed, :fingerprint, :estimate,"
                        + " :artifacts, :missing, :webhook, :version, :created, :updated)"
                        + " ON CONFLICT DO NOTHING"),
                task)
            .bind("kind", task.kind())
            .bind("created", task.createdAt().toEpochMilli())
            .execute();
    if (inserted == 1) {
      return task;
    }
    return existing(h, task)
        .orElseThrow(
            () ->
                new IllegalStateException("task " + task.id() + " conflicted but cannot be read"));
  }

  private Optional<Task> existing(Task task) {
    return read(h -> existing(h, task));
  }

  private Optional<Task> existing(Handle h, Task task) {
    Optional<Task> byId = byId(h, task.id());
    Submission s = task.submission();
    if (byId.isPresent() || s == null || s.idempotencyKey() == null) {
      return byId;
    }
    return h.createQuery(
            "SELECT "
                + COLUMNS
                + " FROM tasks WHERE idempotency_key = :key AND mode = :mode AND submit_state IN "
                + MAY_EXIST_UPSTREAM)
        .bind("key", s.idempotencyKey())
        .bind("mode", s.mode().wire())
        .map(this::row)
        .findFirst();
  }

  @Override
  public boolean update(Task next, long expectedVersion) {
    return write(h -> update(h, next, expectedVersion));
  }

  private boolean update(Handle h, Task next, long expectedVersion) {
    return bindAll(
                h.createUpdate(
                    "UPDATE tasks SET status = :status, progress = :progress, message ="
                        + " :message, details = :details, provider_job_id = :jobId,"
                        + " submit_state = :state, artifacts = :artifacts, version ="
                        + " :version, updated_at = :updated WHERE id = :id AND version ="
                        + " :expected"),
                next)
            .bind("expected", expectedVersion)
            .execute()
        == 1;
  }

  /** Binds the columns an insert and an update share. */
  private <S extends SqlStatement<S>> S bindAll(S st, Task t) {
    Submission s = t.submission();
    return st.bind("id", t.id())
        .bind("status", t.status().wire())
        .bind("progress", t.progress())
        .bind("message", t.message())
        .bind("details", json(t.details()))
        .bind("slug", s == null ? null : s.provider())
        .bind("jobId", s == null ? null : s.providerJobId())
        .bind("key", s == null ? null : s.idempotencyKey())
        .bind("mode", s == null ? null : s.mode().wire())
        .bind("state", s == null ? null : s.state().wire())
        .bind("seed", s == null ? null : s.seed())
        .bind("fingerprint", s == null ? null : s.fingerprint())
        .bind("estimate", s == null || s.estimate() == null ? null : json(s.estimate()))
        .bind("artifacts", json(t.artifacts()))
        .bind("missing", json(s == null ? List.of() : s.missingSecrets()))
        .bind("webhook", s == null ? null : s.webhookTokenSha256())
        .bind("version", t.version())
        .bind("updated", t.updatedAt().toEpochMilli());
  }

  @Override
  public Optional<Task> get(String id) {
    return read(h -> byId(h, id));
  }

  @Override
  public List<Task> attempts(String key) {
    return read(
        h ->
            h.createQuery(
                    "SELECT "
                        + COLUMNS
                        + " FROM tasks WHERE idempotency_key = :key ORDER BY created_at DESC, id")
                .bind("key", key)
                .map(this::row)
                .list());
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

  /** Finished dry-run and sim submits: what retention may delete (see TaskRetention). */
  private static final String DISPOSABLE =
      "mode IN ('dry_run', 'sim') AND status IN ('done', 'error', 'canceled')";

  /** Deleted per transaction, so pruning never holds the (single-writer) database for long. */
  static final int PRUNE_BATCH = 500;

  @Override
  public List<String> pruneDisposable(Instant createdBefore, int keepNewest) {
    List<String> deleted = new ArrayList<>();
    pruneWhile(
        deleted,
        h ->
            h.createQuery(
                    "SELECT id FROM tasks WHERE "
                        + DISPOSABLE
                        + " AND created_at < :cutoff LIMIT :batch")
                .bind("cutoff", createdBefore.toEpochMilli())
                .bind("batch", PRUNE_BATCH)
                .mapTo(String.class)
                .list());
    pruneWhile(
        deleted,
        h ->
            h.createQuery(
                    "SELECT id FROM tasks WHERE "
                        + DISPOSABLE
                        + " ORDER BY created_at DESC, id LIMIT :batch OFFSET :keep")
                .bind("batch", PRUNE_BATCH)
                .bind("keep", keepNewest)
                .mapTo(String.class)
                .list());
    return deleted;
  }

  /** Deletes batch after batch of the ids {@code select} finds, until it finds no full batch. */
  private void pruneWhile(
      List<String> deleted,
      org.jdbi.v3.core.HandleCallback<List<String>, RuntimeException> select) {
    while (true) {
      List<String> ids =
          write(
              tx -> {
                // already in the writer's transaction
                List<String> found = select.withHandle(tx);
                if (!found.isEmpty()) {
                  tx.createUpdate("DELETE FROM tasks WHERE id IN (<ids>)")
                      .bindList("ids", found)
                      .execute();
                }
                return found;
              });
      deleted.addAll(ids);
      if (ids.size() < PRUNE_BATCH) {
        return;
      }
    }
  }

  /** A read; a store that cannot answer is a 503 for the caller, not a 500. */
  private <T> T read(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
    try {
      return jdbi.withHandle(work);
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private <T> T write(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
    try {
      return writer.call(work);
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

  private Task row(ResultSet rs, StatementContext ctx) throws SQLException {
    String id = rs.getString("id");
    try {
      String mode = rs.getString("mode");
      Submission submission = null;
      if (mode != null) {
        String estimate = rs.getString("estimate");
        long seed = rs.getLong("seed");
        submission =
            new Submission(
                Mode.parse(mode),
                rs.getString("provider_slug"),
                rs.getString("provider_job_id"),
                SubmitState.parse(rs.getString("submit_state")),
                seed,
                rs.getString("fingerprint"),
                estimate == null ? null : mapper.readValue(estimate, Estimate.class),
                mapper.readValue(rs.getString("missing_secrets"), STRINGS),
                rs.getString("idempotency_key"),
                rs.getString("webhook_token_sha256"));
      }
      return new Task(
          id,
          rs.getString("kind"),
          TaskStatus.parse(rs.getString("status")),
          rs.getDouble("progress"),
          rs.getString("message"),
          submission,
          mapper.readValue(rs.getString("artifacts"), ARTIFACTS),
          (ObjectNode) mapper.readTree(rs.getString("details")),
          rs.getLong("version"),
          Instant.ofEpochMilli(rs.getLong("created_at")),
          Instant.ofEpochMilli(rs.getLong("updated_at")));
    } catch (JsonProcessingException | IllegalArgumentException | ClassCastException e) {
      throw new SQLException("task " + id + " has an unreadable column", e);
    }
  }

  private String json(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a task field is not serializable", e);
    }
  }
}

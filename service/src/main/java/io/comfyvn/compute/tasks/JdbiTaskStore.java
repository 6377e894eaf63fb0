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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
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
    Row row = new Row(task);
    try {
      return writer.call(h -> insert(h, row));
    } catch (UnableToExecuteStatementException raced) {
      // Another writer inserted the same id or key between our read and our write.
      return existing(task).orElseThrow(() -> unavailable(raced));
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  /** {@link #insertIfAbsent} without waiting (tests put several writes in one batch with it). */
  CompletableFuture<Task> insertLater(Task task) {
    Row row = new Row(task);
    return writer.submit(h -> insert(h, row));
  }

  /** {@link #update} without waiting. */
  CompletableFuture<Boolean> updateLater(Task next, long expectedVersion) {
    Row row = new Row(next);
    return writer.submit(h -> update(h, row, expectedVersion));
  }

  /**
   * A task's column values, computed on the caller's thread: the four JSON columns are written
   * there, in parallel, not on the one writer thread every task's commit waits for.
   */
  private final class Row {
    final Task task;
    final Submission s;
    final String details;
    final String estimate;
    final String artifacts;
    final String missing;

    Row(Task t) {
      this.task = t;
      this.s = t.submission();
      this.details = json(t.details());
      this.estimate = s == null || s.estimate() == null ? null : json(s.estimate());
      this.artifacts = t.artifacts().isEmpty() ? EMPTY_LIST : json(t.artifacts());
      this.missing =
          s == null || s.missingSecrets().isEmpty() ? EMPTY_LIST : json(s.missingSecrets());
    }
  }

  private static final String EMPTY_LIST = "[]";

  private static final String INSERT =
      "INSERT INTO tasks ("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT DO NOTHING";

  private static final String UPDATE =
      "UPDATE tasks SET status = ?, progress = ?, message = ?, details = ?, provider_job_id = ?,"
          + " submit_state = ?, artifacts = ?, version = ?, updated_at = ? WHERE id = ? AND"
          + " version = ?";

  /**
   * The insert and update statements of one writer transaction, prepared once for all its writes (a
   * batch of hundreds of tasks parses its SQL once, not once per task) and closed with it.
   */
  private static final class Prepared {
    PreparedStatement insert;
    PreparedStatement update;
  }

  private final Map<Handle, Prepared> prepared =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private Prepared prepared(Handle h) {
    Prepared p = prepared.get(h);
    if (p == null) {
      Prepared fresh = new Prepared();
      prepared.put(h, fresh);
      h.addCleanable(
          () -> {
            prepared.remove(h);
            closeQuietly(fresh.insert);
            closeQuietly(fresh.update);
          });
      p = fresh;
    }
    return p;
  }

  private static void closeQuietly(PreparedStatement st) {
    if (st != null) {
      try {
        st.close();
      } catch (SQLException e) {
        // the transaction is over either way; the connection goes back to its pool
      }
    }
  }

  private Task insert(Handle h, Row r) {
    try {
      return insertRow(h, r);
    } catch (SQLException e) {
      // as Jdbi reports a failed statement; the text names the task, not the values
      throw new UnableToExecuteStatementException("task " + r.task.id() + " not inserted", e, null);
    }
  }

  private Task insertRow(Handle h, Row r) throws SQLException {
    // One statement on the common path: ON CONFLICT DO NOTHING is shared by SQLite and PostgreSQL,
    // and covers both the primary key and the partial unique index on (idempotency_key, mode).
    Prepared p = prepared(h);
    if (p.insert == null) {
      p.insert = h.getConnection().prepareStatement(INSERT);
    }
    PreparedStatement st = p.insert;
    Task t = r.task;
    Submission s = r.s;
    st.setString(1, t.id());
    st.setString(2, t.kind());
    st.setString(3, t.status().wire());
    st.setDouble(4, t.progress());
    st.setString(5, t.message());
    st.setString(6, r.details);
    text(st, 7, s == null ? null : s.provider());
    text(st, 8, s == null ? null : s.providerJobId());
    text(st, 9, s == null ? null : s.idempotencyKey());
    text(st, 10, s == null ? null : s.mode().wire());
    text(st, 11, s == null ? null : s.state().wire());
    if (s == null) {
      st.setNull(12, Types.BIGINT);
    } else {
      st.setLong(12, s.seed());
    }
    text(st, 13, s == null ? null : s.fingerprint());
    text(st, 14, r.estimate);
    st.setString(15, r.artifacts);
    st.setString(16, r.missing);
    text(st, 17, s == null ? null : s.webhookTokenSha256());
    st.setLong(18, t.version());
    st.setLong(19, t.createdAt().toEpochMilli());
    st.setLong(20, t.updatedAt().toEpochMilli());
    if (st.executeUpdate() == 1) {
      return t;
    }
    return existing(h, t)
        .orElseThrow(
            () -> new IllegalStateException("task " + t.id() + " conflicted but cannot be read"));
  }

  private static void text(PreparedStatement st, int i, String value) throws SQLException {
    if (value == null) {
      st.setNull(i, Types.VARCHAR);
    } else {
      st.setString(i, value);
    }
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
    Row row = new Row(next);
    try {
      return writer.call(h -> update(h, row, expectedVersion));
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private boolean update(Handle h, Row r, long expectedVersion) {
    try {
      return updateRow(h, r, expectedVersion);
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException("task " + r.task.id() + " not updated", e, null);
    }
  }

  private boolean updateRow(Handle h, Row r, long expectedVersion) throws SQLException {
    Prepared p = prepared(h);
    if (p.update == null) {
      p.update = h.getConnection().prepareStatement(UPDATE);
    }
    PreparedStatement st = p.update;
    Task t = r.task;
    Submission s = r.s;
    st.setString(1, t.status().wire());
    st.setDouble(2, t.progress());
    st.setString(3, t.message());
    st.setString(4, r.details);
    text(st, 5, s == null ? null : s.providerJobId());
    text(st, 6, s == null ? null : s.state().wire());
    st.setString(7, r.artifacts);
    st.setLong(8, t.version());
    st.setLong(9, t.updatedAt().toEpochMilli());
    st.setString(10, t.id());
    st.setLong(11, expectedVersion);
    return st.executeUpdate() == 1;
  }

  @Override
  public Optional<Task> get(String id) {
    return read(h -> byId(h, id));
  }

  /** Ids read per statement by {@link #getAll} (a bounded number of placeholders). */
  static final int GET_ALL_CHUNK = 200;

  @Override
  public List<Task> getAll(Collection<String> ids) {
    List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
    List<Task> out = new ArrayList<>(distinct.size());
    for (int from = 0; from < distinct.size(); from += GET_ALL_CHUNK) {
      List<String> chunk = distinct.subList(from, Math.min(distinct.size(), from + GET_ALL_CHUNK));
      out.addAll(
          read(
              h ->
                  h.createQuery("SELECT " + COLUMNS + " FROM tasks WHERE id IN (<ids>)")
                      .bindList("ids", chunk)
                      .map(this::row)
                      .list()));
    }
    return out;
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

  /** Ids one retention search finds (each search of the newest-beyond-N sorts the index). */
  static final int PRUNE_BATCH = 500;

  /**
   * Deleted per write: each is one write among the submits queued with it, so a prune never holds
   * the single writer for long (a delete of 500 tasks with their seven index entries held every
   * commit behind it for milliseconds, which showed in the submits' p99).
   */
  static final int DELETE_CHUNK = 100;

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

  /**
   * Deletes batch after batch of the ids {@code select} finds, until it finds no full batch. The
   * search runs on the read pool (with thousands of tasks it sorts them all, tens of milliseconds
   * that every submit would otherwise wait behind); only the delete goes through the writer, and it
   * checks again that each task is disposable (a finished dry-run or sim task never changes, so the
   * check holds in practice; it keeps a wrong id from ever deleting a live task).
   */
  private void pruneWhile(
      List<String> deleted,
      org.jdbi.v3.core.HandleCallback<List<String>, RuntimeException> select) {
    while (true) {
      List<String> found = read(select);
      for (int from = 0; from < found.size(); from += DELETE_CHUNK) {
        List<String> chunk = found.subList(from, Math.min(found.size(), from + DELETE_CHUNK));
        write(tx -> deleteDisposable(tx, chunk));
      }
      deleted.addAll(found);
      if (found.size() < PRUNE_BATCH) {
        return;
      }
    }
  }

  private static final String DELETE_DISPOSABLE =
      "DELETE FROM tasks WHERE id = ? AND " + DISPOSABLE;

  /**
   * Deletes the given tasks that are still disposable, as one JDBC batch of one prepared statement:
   * Jdbi's list binding renders and parses a new statement for each call (its SQL parser was most
   * of the writer's time in a dry-run flood, where every new task is later pruned).
   */
  private static int deleteDisposable(Handle h, List<String> ids) {
    try (PreparedStatement st = h.getConnection().prepareStatement(DELETE_DISPOSABLE)) {
      for (String id : ids) {
        st.setString(1, id);
        st.addBatch();
      }
      int deleted = 0;
      for (int n : st.executeBatch()) {
        deleted += Math.max(0, n);
      }
      return deleted;
    } catch (SQLException e) {
      throw new UnableToExecuteStatementException("tasks not pruned", e, null);
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

package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Version 1 rows (everything in the meta JSON) carried over to version 2's columns, on SQLite; the
 * PostgreSQL IT runs the same rows through the same migration.
 */
class TaskMigrationTest {
  @TempDir Path dir;

  /** The V1 rows, as V1 code wrote them. */
  static void insertVersion1Rows(Connection c) throws SQLException {
    String sql =
        "INSERT INTO tasks (id, kind, status, progress, message, meta, provider_slug,"
            + " provider_job_id, idempotency_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, ?, ?)";
    try (PreparedStatement st = c.prepareStatement(sql)) {
      row(
          st,
          "live-1",
          "public.gpu.submit",
          "running",
          "{\"provider_slug\":\"runpod\",\"public_adapter\":true,\"dry_run\":false,\"mode\":\"live\","
              + "\"seed\":7,\"job_sha256\":\"abc\",\"submit_state\":\"accepted\",\"reconcile\":false,"
              + "\"webhook_token\":\"tok-123\",\"provider_job_id\":\"rp-1\","
              + "\"estimate\":{\"usd\":0.01,\"seconds\":5,\"gpu\":\"A40\",\"basis\":\"b\","
              + "\"price_as_of\":\"2026-01-01\",\"billed_seconds\":5,\"usd_per_second\":0.002},"
              + "\"artifacts\":[{\"name\":\"a.png\",\"path\":\"data/artifacts/live-1/a.png\","
              + "\"sha256\":\"ff\",\"bytes\":3,\"mime\":\"image/png\"}],"
              + "\"logs\":[\"l1\"],\"provider_status\":\"IN_PROGRESS\",\"payload\":{\"input\":{}}}",
          "runpod",
          "rp-1",
          "key-live");
      row(
          st,
          "live-2",
          "public.gpu.submit",
          "queued",
          "{\"provider_slug\":\"replicate\",\"mode\":\"live\",\"seed\":1,\"job_sha256\":\"d\","
              + "\"submit_state\":\"unknown\",\"reconcile\":true,\"webhook_token\":\"t2\"}",
          "replicate",
          null,
          null);
      row(
          st,
          "dry-1",
          "public.gpu.submit",
          "error",
          "{\"provider_slug\":\"modal\",\"dry_run\":true,\"mode\":\"dry_run\",\"seed\":3,"
              + "\"job_sha256\":\"e\",\"missing_secrets\":[\"modal.token_id\"],\"artifacts\":[]}",
          "modal",
          null,
          null);
      row(
          st,
          "boot-1",
          "provider.bootstrap",
          "done",
          "{\"provider_id\":\"runpod\",\"logs_path\":\"data/x.log\"}",
          null,
          null,
          null);
    }
  }

  private static void row(
      PreparedStatement st,
      String id,
      String kind,
      String status,
      String meta,
      String slug,
      String jobId,
      String key)
      throws SQLException {
    st.setString(1, id);
    st.setString(2, kind);
    st.setString(3, status);
    st.setDouble(4, 0.5);
    st.setString(5, "m");
    st.setString(6, meta);
    st.setString(7, slug);
    st.setString(8, jobId);
    st.setString(9, key);
    st.setLong(10, 1_000);
    st.setLong(11, 2_000);
    st.executeUpdate();
  }

  /** What version 2 must read from those rows. */
  static void assertCarriedOver(TaskStore store) {
    Task live = store.get("live-1").orElseThrow();
    Submission s = live.submission();
    assertThat(s.mode()).isEqualTo(Mode.LIVE);
    assertThat(s.provider()).isEqualTo("runpod");
    assertThat(s.providerJobId()).isEqualTo("rp-1");
    assertThat(s.state()).isEqualTo(SubmitState.ACCEPTED);
    assertThat(s.seed()).isEqualTo(7);
    assertThat(s.fingerprint()).isEqualTo("abc");
    assertThat(s.estimate().gpu()).isEqualTo("A40");
    assertThat(s.idempotencyKey()).isEqualTo("key-live");
    assertThat(s.webhookTokenSha256()).isEqualTo(V2__TypedTasks.sha256("tok-123")).hasSize(64);
    assertThat(live.artifacts()).extracting(Artifact::name).containsExactly("a.png");
    assertThat(live.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(live.version()).isZero();
    // what became a column left the details; display data stayed
    assertThat(live.details().has("webhook_token")).isFalse();
    assertThat(live.details().has("mode")).isFalse();
    assertThat(live.details().has("estimate")).isFalse();
    assertThat(live.details().path("logs").get(0).asText()).isEqualTo("l1");
    assertThat(live.details().path("provider_status").asText()).isEqualTo("IN_PROGRESS");

    Submission ambiguous = store.get("live-2").orElseThrow().submission();
    assertThat(ambiguous.state()).isEqualTo(SubmitState.AMBIGUOUS);
    assertThat(ambiguous.providerJobId()).isNull();

    Submission dry = store.get("dry-1").orElseThrow().submission();
    assertThat(dry.mode()).isEqualTo(Mode.DRY_RUN);
    assertThat(dry.state()).isEqualTo(SubmitState.NOT_SENT);
    assertThat(dry.missingSecrets()).containsExactly("modal.token_id");
    assertThat(dry.webhookTokenSha256()).isNull();

    Task boot = store.get("boot-1").orElseThrow();
    assertThat(boot.submission()).isNull();
    assertThat(boot.details().path("provider_id").asText()).isEqualTo("runpod");
    // the V1 unique key index is gone: a refused live create may be retried under key-live
    assertThat(store.attempts("key-live")).hasSize(1);
  }

  @Test
  void versionOneRowsAreCarriedOverToTheTypedColumns() throws Exception {
    Path file = dir.resolve(Database.SQLITE_FILE);
    Files.createDirectories(file.getParent());
    String url = "jdbc:sqlite:" + file.toAbsolutePath();
    Flyway.configure()
        .dataSource(url, null, null)
        .locations("classpath:db/migration")
        .target("1")
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection(url)) {
      insertVersion1Rows(c);
    }
    try (Database db = Database.sqlite(dir)) {
      TaskStore store = new JdbiTaskStore(db, Json.mapper());
      assertCarriedOver(store);
      TaskRegistry r =
          new TaskRegistry(
              store, Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC));
      assertThat(r.update("live-1", TaskStatus.DONE, 1, "done", null).orElseThrow().version())
          .isEqualTo(1);
    }
  }
}

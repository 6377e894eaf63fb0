package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The same migrations and SQL on the local PostgreSQL server (database {@code test}, trust auth),
 * proving PostgreSQL can take SQLite's place. Each run uses its own schema.
 */
class TaskStorePostgresIT {
  private static final String URL =
      System.getProperty("comfyvn.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  private static String newSchema() throws SQLException {
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    return schema;
  }

  private static void drop(String schema) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @Test
  void roundTripsOnPostgres() throws SQLException {
    String schema = newSchema();
    try (Database db = Database.jdbc(URL + "&currentSchema=" + schema, 2)) {
      TaskRegistry r =
          new TaskRegistry(
              new JdbiTaskStore(db, Json.mapper()),
              Clock.fixed(Instant.parse("2026-11-29T12:00:00.987654Z"), ZoneOffset.UTC));
      Submission s =
          new Submission(
              Mode.LIVE,
              "modal",
              "fc-1",
              SubmitState.SENT,
              9,
              "fp",
              null,
              List.of(),
              "key-1",
              null);
      r.register(
          new TaskRegistry.Draft(
              "p1", "public.gpu.submit", TaskStatus.QUEUED, 0, "q", s, TaskRegistry.newDetails()));
      var again =
          r.register(
              new TaskRegistry.Draft(
                  null, "public.gpu.submit", TaskStatus.QUEUED, 0, "q", s, null));
      assertThat(again.created()).isFalse();
      assertThat(again.task().id()).isEqualTo("p1");
      r.update("p1", TaskStatus.DONE, 1, "done", null);
      Task t = r.get("p1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.DONE);
      assertThat(t.version()).isEqualTo(1);
      assertThat(t.submission()).isEqualTo(s);
      assertThat(t.createdAt()).isEqualTo(Instant.parse("2026-11-29T12:00:00.987Z"));
      assertThat(r.findByProviderJob("modal", "fc-1")).isPresent();
      r.register(
          new TaskRegistry.Draft(
              "b1", "provider.bootstrap", TaskStatus.QUEUED, 0, "b", null, null));
      assertThat(r.get("b1").orElseThrow().submission()).isNull();
      // retention's SQL (LIMIT/OFFSET, IN (<ids>)) on PostgreSQL: only finished dry-run/sim go
      for (int i = 0; i < 3; i++) {
        Submission dry =
            new Submission(
                Mode.DRY_RUN,
                "modal",
                null,
                SubmitState.ACCEPTED,
                i,
                "f",
                null,
                List.of(),
                null,
                null);
        r.register(
            new TaskRegistry.Draft(
                "d" + i, "public.gpu.submit", TaskStatus.DONE, 1, "d", dry, null));
      }
      assertThat(r.prune(Instant.parse("2026-11-29T12:00:00Z"), 1)).isEqualTo(2);
      // same creation instant: ties go by id, the first kept
      assertThat(r.list(10)).extracting(Task::id).containsExactlyInAnyOrder("p1", "b1", "d0");
    } finally {
      drop(schema);
    }
  }

  @Test
  void versionOneRowsAreCarriedOverOnPostgres() throws Exception {
    String schema = newSchema();
    String url = URL + "&currentSchema=" + schema;
    try {
      Flyway.configure()
          .dataSource(url, null, null)
          .schemas(schema)
          .locations("classpath:db/migration")
          .target("1")
          .load()
          .migrate();
      try (Connection c = DriverManager.getConnection(url)) {
        TaskMigrationTest.insertVersion1Rows(c);
      }
      try (Database db = Database.jdbc(url, 2)) {
        TaskMigrationTest.assertCarriedOver(new JdbiTaskStore(db, Json.mapper()));
      }
    } finally {
      drop(schema);
    }
  }
}

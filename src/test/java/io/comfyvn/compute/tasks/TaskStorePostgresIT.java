package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The same migrations and SQL on the local PostgreSQL server (database {@code test}, trust auth),
 * proving PostgreSQL can take SQLite's place. Each run uses its own schema.
 */
class TaskStorePostgresIT {
  private static final String URL =
      System.getProperty("comfyvn.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  @Test
  void roundTripsOnPostgres() throws SQLException {
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    try (Database db = Database.jdbc(URL + "&currentSchema=" + schema, 2)) {
      TaskRegistry r =
          new TaskRegistry(
              new JdbiTaskStore(db.jdbi(), Json.mapper()),
              Clock.fixed(Instant.parse("2026-11-29T12:00:00.987654Z"), ZoneOffset.UTC));
      var meta =
          TaskRegistry.newMeta().put("provider_slug", "modal").put("provider_job_id", "fc-1");
      r.register(
          new TaskRegistry.Draft(
              "p1", "public.gpu.submit", TaskStatus.QUEUED, 0, "q", meta, "key-1"));
      assertThat(
              r.register(
                      new TaskRegistry.Draft(
                          null, "public.gpu.submit", TaskStatus.QUEUED, 0, "q", meta, "key-1"))
                  .task()
                  .id())
          .isEqualTo("p1");
      r.update("p1", TaskStatus.DONE, 1, "done", null);
      Task t = r.get("p1").orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.DONE);
      assertThat(t.createdAt()).isEqualTo(Instant.parse("2026-11-29T12:00:00.987Z"));
      assertThat(r.findByProviderJob("modal", "fc-1")).isPresent();
      db.jdbi().useHandle(h -> h.execute("DROP SCHEMA " + schema + " CASCADE"));
    }
  }
}

package io.comfyvn.compute.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The group-commit checks of {@link GroupCommitWriterTest} on the local PostgreSQL server (database
 * {@code test}, trust auth), one schema per test. PostgreSQL aborts a transaction at its first
 * failed statement, so the failing-write case matters most here.
 */
class GroupCommitPostgresIT {
  private static final String URL =
      System.getProperty("comfyvn.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  private String schema;
  private Database db;

  @BeforeEach
  void open() throws SQLException {
    schema = "gc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    db = Database.jdbc(URL + "&currentSchema=" + schema, 4);
  }

  @AfterEach
  void drop() throws SQLException {
    db.close();
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.comfyvn.compute.tasks.GroupCommitWriterTest#checks")
  void theSharedChecks(GroupCommitWriterTest.Check check) throws Exception {
    check.run(db.jdbi());
  }

  @Test
  void theDatabasesOwnWriterKeepsTasksAcrossReopen() {
    new JdbiTaskStore(db, Json.mapper()).insertIfAbsent(GroupCommitWriterTest.task("pg-1"));
    db.close();
    db = Database.jdbc(URL + "&currentSchema=" + schema, 2);
    assertThat(new JdbiTaskStore(db, Json.mapper()).get("pg-1")).isPresent();
  }
}

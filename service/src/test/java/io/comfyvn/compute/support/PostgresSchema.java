package io.comfyvn.compute.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh schema in the local PostgreSQL server's {@code test} database (trust auth; override with
 * {@code -Dcomfyvn.pg.url}), dropped on close: every test gets its own.
 */
public final class PostgresSchema implements AutoCloseable {
  /** The server and database the PostgreSQL tests use. */
  public static final String BASE_URL =
      System.getProperty("comfyvn.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  private final String name;

  private PostgresSchema(String name) {
    this.name = name;
  }

  public static PostgresSchema create() {
    String name = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    exec("CREATE SCHEMA " + name);
    return new PostgresSchema(name);
  }

  public String name() {
    return name;
  }

  /** A JDBC URL whose connections work in this schema. */
  public String url() {
    return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + name;
  }

  @Override
  public void close() {
    exec("DROP SCHEMA IF EXISTS " + name + " CASCADE");
  }

  private static void exec(String sql) {
    try (Connection c = DriverManager.getConnection(BASE_URL);
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL on 127.0.0.1:5432 (database test) is needed: " + e.getMessage(), e);
    }
  }
}

package io.comfyvn.compute.tasks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The task database: an embedded SQLite file under {@code data/} by default, or any JDBC URL (a
 * PostgreSQL server to scale out). Migrations run through Flyway on open; the SQL is kept to the
 * subset both dialects share.
 *
 * <p>Two ways in: {@link #writer()}, the one connection that writes tasks, used only by the {@link
 * GroupCommitWriter}'s thread (so no request thread ever waits in the pool for it), and {@link
 * #jdbi()}, a pool of connections for reads (and the few other tables' writes). On SQLite the file
 * is in WAL mode, so readers read the last commit while the writer writes.
 */
public final class Database implements AutoCloseable {
  /** The embedded database file, relative to the home folder. */
  public static final String SQLITE_FILE = "data/comfyvn-compute.db";

  /** How long a request waits for its write to commit before answering 503. */
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);

  private final HikariDataSource writeSource;
  private final HikariDataSource readSource;
  private final Jdbi jdbi;
  private final GroupCommitWriter writer;
  private final StoreSettings.Kind kind;

  private Database(
      HikariDataSource writeSource, HikariDataSource readSource, StoreSettings.Kind kind) {
    this.writeSource = writeSource;
    this.readSource = readSource;
    this.kind = kind;
    // From the read pool: Flyway holds a second connection for its lock on PostgreSQL, and the
    // writer's pool has one; the writer thread does not exist yet.
    Flyway.configure()
        .dataSource(readSource)
        .locations("classpath:db/migration")
        .javaMigrations(new V2__TypedTasks())
        .load()
        .migrate();
    this.jdbi = Jdbi.create(readSource);
    this.writer =
        new GroupCommitWriter(
                GroupCommitWriter.jdbi(Jdbi.create(writeSource)),
                WRITE_TIMEOUT,
                GroupCommitWriter.CAPACITY)
            .start(
                r -> {
                  Thread t = new Thread(r, "task-writer");
                  t.setDaemon(true);
                  return t;
                });
  }

  /**
   * Opens the embedded SQLite database of a home folder, creating {@code data/} if needed.
   *
   * <p>WAL with {@code synchronous=FULL}: every commit is fsynced before the writer completes its
   * callers, so an answered task survives a power loss, not only a crash of this process ({@code
   * NORMAL} would fsync only at checkpoints and may lose the last commits on power loss). Group
   * commit pays for FULL: one fsync covers a whole batch.
   */
  public static Database sqlite(Path home) {
    Path file = home.resolve(SQLITE_FILE);
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file.getParent(), e);
    }
    return sqliteUrl("jdbc:sqlite:" + file.toAbsolutePath());
  }

  private static Database sqliteUrl(String url) {
    HikariConfig write = sqliteConfig(url, "tasks-sqlite-writer", 1);
    // The writer takes the write lock when it begins, never half-way through a batch (a deferred
    // transaction that read first would fail with SQLITE_BUSY_SNAPSHOT instead of waiting).
    write.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    HikariDataSource writeSource = new HikariDataSource(write);
    HikariDataSource readSource = new HikariDataSource(sqliteConfig(url, "tasks-sqlite-read", 4));
    return new Database(writeSource, readSource, StoreSettings.Kind.SQLITE);
  }

  /**
   * Opens the chosen store: the home's embedded file, or a JDBC URL with the secrets file's user
   * and password.
   */
  public static Database open(StoreSettings store, Path home) {
    if (store.url() == null) {
      return sqlite(home);
    }
    if (store.kind() == StoreSettings.Kind.SQLITE) {
      return sqliteUrl(store.url());
    }
    HikariConfig write = jdbcConfig(store.url(), "tasks-" + store.kind().wire() + "-writer", 1);
    HikariConfig read = jdbcConfig(store.url(), "tasks-" + store.kind().wire() + "-read", 10);
    for (HikariConfig cfg : new HikariConfig[] {write, read}) {
      if (store.user() != null) {
        cfg.setUsername(store.user());
      }
      if (store.password() != null) {
        cfg.setPassword(store.password().reveal());
      }
    }
    return new Database(new HikariDataSource(write), new HikariDataSource(read), store.kind());
  }

  private static HikariConfig jdbcConfig(String url, String name, int size) {
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(url);
    cfg.setMaximumPoolSize(size);
    cfg.setPoolName(name);
    return cfg;
  }

  private static HikariConfig sqliteConfig(String url, String name, int size) {
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(url);
    cfg.setMaximumPoolSize(size);
    cfg.addDataSourceProperty("journal_mode", "WAL");
    cfg.addDataSourceProperty("synchronous", "FULL");
    // Other writers (the spend ledger on a read connection) wait for the task writer's commit.
    cfg.addDataSourceProperty("busy_timeout", "5000");
    // No statement here reads generated keys; with this on, the driver runs a second query
    // (last_insert_rowid) after every insert, on the writer's thread.
    cfg.addDataSourceProperty("jdbc.get_generated_keys", "false");
    cfg.setPoolName(name);
    return cfg;
  }

  /** Opens a database by JDBC URL (e.g. {@code jdbc:postgresql://127.0.0.1/test?user=postgres}). */
  public static Database jdbc(String url, int poolSize) {
    if (!url.startsWith("jdbc:postgresql:")) {
      return sqliteUrl(url);
    }
    return new Database(
        new HikariDataSource(jdbcConfig(url, "tasks-jdbc-writer", 1)),
        new HikariDataSource(jdbcConfig(url, "tasks-jdbc-read", poolSize)),
        StoreSettings.Kind.POSTGRESQL);
  }

  /** What kind of store this is (SQLite has this process as its only writer). */
  public StoreSettings.Kind kind() {
    return kind;
  }

  /** The read pool, for parts that need a plain JDBC connection of their own (LISTEN). */
  public javax.sql.DataSource dataSource() {
    return readSource;
  }

  /** Reads (and writes of tables other than tasks). */
  public Jdbi jdbi() {
    return jdbi;
  }

  /** The tasks' one writer. */
  public GroupCommitWriter writer() {
    return writer;
  }

  @Override
  public void close() {
    writer.close(); // commits what is queued first
    readSource.close();
    writeSource.close();
  }
}

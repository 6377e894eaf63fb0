package io.comfyvn.compute.tasks;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded SQLite file (a fresh home per test). */
class SqliteTaskStoreTest extends TaskStoreContract {
  @TempDir Path dir;

  @Override
  protected Database open() throws Exception {
    return Database.sqlite(Files.createTempDirectory(dir, "home"));
  }
}

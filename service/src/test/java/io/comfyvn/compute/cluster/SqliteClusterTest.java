package io.comfyvn.compute.cluster;

import io.comfyvn.compute.tasks.Database;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The lease contract on the embedded SQLite file. */
class SqliteClusterTest extends ClusterContract {
  @TempDir Path dir;

  @Override
  protected Database open() {
    return Database.sqlite(dir);
  }
}

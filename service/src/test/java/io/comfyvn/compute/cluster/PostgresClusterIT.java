package io.comfyvn.compute.cluster;

import io.comfyvn.compute.support.PostgresSchema;
import io.comfyvn.compute.tasks.Database;

/** The lease contract on the local PostgreSQL server, a schema of its own per test. */
class PostgresClusterIT extends ClusterContract {
  private PostgresSchema schema;

  @Override
  protected Database open() {
    schema = PostgresSchema.create();
    return Database.jdbc(schema.url(), 8);
  }

  @Override
  protected void dispose() {
    schema.close();
  }
}

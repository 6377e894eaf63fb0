package io.comfyvn.compute.tasks;

import io.comfyvn.compute.support.PostgresSchema;

/** The store contract on the local PostgreSQL server, a schema of its own per test. */
class PostgresTaskStoreIT extends TaskStoreContract {
  private PostgresSchema schema;

  @Override
  protected Database open() {
    schema = PostgresSchema.create();
    return Database.open(
        StoreSettings.of(
            schema.url(), null, java.util.Optional.empty(), java.util.Optional.empty()),
        null);
  }

  @Override
  protected void dispose() {
    schema.close();
  }
}

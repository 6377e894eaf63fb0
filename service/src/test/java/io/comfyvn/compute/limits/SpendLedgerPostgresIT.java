package io.comfyvn.compute.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.tasks.Database;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The ledger's reservation on the local PostgreSQL server with real concurrency: several service
 * instances (each its own pool and ledger, no shared Java lock) race for the last dollar of one
 * day's cap, per provider and in total. Each run uses its own schema.
 */
class SpendLedgerPostgresIT {
  private static final String URL =
      System.getProperty("comfyvn.pg.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  @Test
  void instancesRacingForTheLastDollarNeverPassTheCap() throws Exception {
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(URL);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    String url = URL + "&currentSchema=" + schema;
    List<Database> instances = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      for (int i = 0; i < 3; i++) {
        instances.add(Database.jdbc(url, 4));
      }
      LocalDate day = LocalDate.parse("2026-11-29");
      Instant now = Instant.parse("2026-11-29T12:00:00Z");
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        SpendLedger ledger = new JdbiSpendLedger(instances.get(i % 3).jdbi());
        String provider = i % 2 == 0 ? "runpod" : "replicate";
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  // total cap $1.00, runpod's own cap $0.30; each submit is estimated at $0.02
                  return ledger
                      .reserve(
                          day,
                          provider,
                          20_000,
                          OptionalLong.of(1_000_000),
                          provider.equals("runpod")
                              ? OptionalLong.of(300_000)
                              : OptionalLong.empty(),
                          now)
                      .map(SpendLedger.Refusal::scope)
                      .orElse("ok");
                }));
      }
      go.countDown();
      int ok = 0;
      for (Future<String> f : results) {
        ok += f.get().equals("ok") ? 1 : 0;
      }
      var usage = new JdbiSpendLedger(instances.get(0).jdbi()).usage(day);
      assertThat(ok).isEqualTo(50); // $1.00 / $0.02
      assertThat(usage.get(SpendLedger.TOTAL)).isEqualTo(new SpendLedger.Usage(1_000_000, 50));
      // which provider got there first depends on scheduling; the caps and the sum do not
      SpendLedger.Usage runpod = usage.get("runpod");
      SpendLedger.Usage replicate = usage.get("replicate");
      assertThat(runpod.micros()).isLessThanOrEqualTo(300_000).isEqualTo(runpod.submits() * 20_000);
      assertThat(runpod.micros() + replicate.micros()).isEqualTo(1_000_000);
      assertThat(runpod.submits() + replicate.submits()).isEqualTo(50);
      instances.get(0).jdbi().useHandle(h -> h.execute("DROP SCHEMA " + schema + " CASCADE"));
    } finally {
      pool.shutdownNow();
      instances.forEach(Database::close);
    }
  }
}

package io.comfyvn.compute.limits;

import io.comfyvn.compute.errors.ComputeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code spend_ledger} table (Flyway V3) on Jdbi, the same SQL on SQLite and PostgreSQL. A
 * reservation is atomic: each scope is one conditional {@code UPDATE ... WHERE usd_micros + :m <=
 * :cap}, which SQLite runs alone and PostgreSQL re-checks after waiting for a concurrent writer's
 * row lock. Rows are always locked total first, then the provider, so two transactions cannot
 * deadlock.
 */
public final class JdbiSpendLedger implements SpendLedger {
  private static final long NO_CAP = -1;

  private static final Logger log = LoggerFactory.getLogger(JdbiSpendLedger.class);

  /**
   * Where a write may go without its caller waiting: the task store's writer queue ({@code
   * tasks/GroupCommitWriter#submit}), whose writes commit in queue order, many per transaction.
   */
  @FunctionalInterface
  public interface WriteBehind {
    /** Queues a write; the future completes when its transaction commits (or fails). */
    CompletableFuture<?> queue(HandleCallback<Void, Exception> work);
  }

  private final Jdbi jdbi;
  private final WriteBehind later;

  /** A ledger whose every write commits before the call returns. */
  public JdbiSpendLedger(Jdbi jdbi) {
    this(jdbi, null);
  }

  /**
   * A ledger that sends {@link #count} and {@link #uncount} (reservations no cap can refuse) to
   * {@code later}: a live submit queues its count just before its task's insert on the same writer,
   * so the count commits in the task's batch (or an earlier one) instead of in a transaction of its
   * own that the submit waits for. Capped reservations still commit before the call returns.
   *
   * @param later the write-behind queue, or null to write every count at once
   */
  public JdbiSpendLedger(Jdbi jdbi, WriteBehind later) {
    this.jdbi = jdbi;
    this.later = later;
  }

  @Override
  public void count(LocalDate day, String provider, long micros, Instant now) {
    if (later == null) {
      SpendLedger.super.count(day, provider, micros, now);
      return;
    }
    queue(
        "count",
        provider,
        h -> {
          add(h, day, TOTAL, micros, OptionalLong.empty(), now);
          add(h, day, provider, micros, OptionalLong.empty(), now);
          return null;
        });
  }

  @Override
  public void uncount(LocalDate day, String provider, long micros, Instant now) {
    if (later == null) {
      SpendLedger.super.uncount(day, provider, micros, now);
      return;
    }
    // Rare (a refused create) and read right after by whoever sees the refusal: wait for it.
    CompletableFuture<?> done =
        queue(
            "uncount",
            provider,
            h -> {
              subtract(h, day, provider, micros, now);
              return null;
            });
    try {
      done.get(UNCOUNT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // logged by queue(); the day's figure stays high (on the safe side)
    }
  }

  /** How long a give-back waits for its commit before the refused submit answers anyway. */
  static final Duration UNCOUNT_WAIT = Duration.ofSeconds(10);

  private CompletableFuture<?> queue(
      String what, String provider, HandleCallback<Void, Exception> work) {
    return later
        .queue(work)
        .whenComplete(
            (done, failed) -> {
              if (failed != null) {
                // No limit depends on it (uncapped); today's figure on the page is off by one.
                log.atWarn()
                    .addKeyValue("provider", provider)
                    .addKeyValue("error", failed.getClass().getSimpleName())
                    .log("spend ledger " + what + " not written");
              }
            });
  }

  @Override
  public Optional<Refusal> reserve(
      LocalDate day,
      String provider,
      long micros,
      OptionalLong totalCap,
      OptionalLong providerCap,
      Instant now) {
    try {
      return jdbi.inTransaction(
          h -> {
            Optional<Refusal> refused = add(h, day, TOTAL, micros, totalCap, now);
            if (refused.isEmpty()) {
              refused = add(h, day, provider, micros, providerCap, now);
            }
            if (refused.isPresent()) {
              h.rollback();
            }
            return refused;
          });
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  @Override
  public void release(LocalDate day, String provider, long micros, Instant now) {
    try {
      jdbi.useTransaction(h -> subtract(h, day, provider, micros, now));
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private static void subtract(Handle h, LocalDate day, String provider, long micros, Instant now) {
    for (String scope : new String[] {TOTAL, provider}) {
      h.createUpdate(
              "UPDATE spend_ledger SET usd_micros = usd_micros - :m, submits = submits - 1,"
                  + " updated_at = :now WHERE day = :day AND scope = :scope")
          .bind("m", micros)
          .bind("now", now.toEpochMilli())
          .bind("day", day.toString())
          .bind("scope", scope)
          .execute();
    }
  }

  @Override
  public Map<String, Usage> usage(LocalDate day) {
    try {
      Map<String, Usage> out = new TreeMap<>();
      jdbi.withHandle(
              h ->
                  h.createQuery(
                          "SELECT scope, usd_micros, submits FROM spend_ledger WHERE day = :day")
                      .bind("day", day.toString())
                      .map(
                          (rs, ctx) ->
                              Map.entry(
                                  rs.getString("scope"),
                                  new Usage(rs.getLong("usd_micros"), rs.getLong("submits"))))
                      .list())
          .forEach(e -> out.put(e.getKey(), e.getValue()));
      return out;
    } catch (JdbiException e) {
      throw unavailable(e);
    }
  }

  private static Optional<Refusal> add(
      Handle h, LocalDate day, String scope, long micros, OptionalLong cap, Instant now) {
    // One statement on both dialects; concurrent first reservations of a day meet here.
    h.createUpdate(
            "INSERT INTO spend_ledger (day, scope, usd_micros, submits, updated_at)"
                + " VALUES (:day, :scope, 0, 0, :now) ON CONFLICT DO NOTHING")
        .bind("day", day.toString())
        .bind("scope", scope)
        .bind("now", now.toEpochMilli())
        .execute();
    int updated =
        h.createUpdate(
                "UPDATE spend_ledger SET usd_micros = usd_micros + :m, submits = submits + 1,"
                    + " updated_at = :now WHERE day = :day AND scope = :scope"
                    + " AND (:cap < 0 OR usd_micros + :m <= :cap)")
            .bind("m", micros)
            .bind("cap", cap.orElse(NO_CAP))
            .bind("now", now.toEpochMilli())
            .bind("day", day.toString())
            .bind("scope", scope)
            .execute();
    if (updated == 1) {
      return Optional.empty();
    }
    long spent =
        h.createQuery("SELECT usd_micros FROM spend_ledger WHERE day = :day AND scope = :scope")
            .bind("day", day.toString())
            .bind("scope", scope)
            .mapTo(Long.class)
            .one();
    return Optional.of(new Refusal(scope, spent, cap.orElse(NO_CAP)));
  }

  private static ComputeException unavailable(JdbiException e) {
    // The cause's text can quote SQL and values; the caller gets the kind of failure only.
    return new ComputeException(
        ComputeException.Kind.UNAVAILABLE,
        "store_unavailable",
        "the spend ledger cannot be used right now (" + e.getClass().getSimpleName() + ")",
        true,
        e);
  }
}

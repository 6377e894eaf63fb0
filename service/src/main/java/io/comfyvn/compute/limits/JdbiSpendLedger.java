package io.comfyvn.compute.limits;

import io.comfyvn.compute.errors.ComputeException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

/**
 * The {@code spend_ledger} table (Flyway V3) on Jdbi, the same SQL on SQLite and PostgreSQL. A
 * reservation is atomic: each scope is one conditional {@code UPDATE ... WHERE usd_micros + :m <=
 * :cap}, which SQLite runs alone and PostgreSQL re-checks after waiting for a concurrent writer's
 * row lock. Rows are always locked total first, then the provider, so two transactions cannot
 * deadlock.
 */
public final class JdbiSpendLedger implements SpendLedger {
  private static final long NO_CAP = -1;

  private final Jdbi jdbi;

  public JdbiSpendLedger(Jdbi jdbi) {
    this.jdbi = jdbi;
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
      jdbi.useTransaction(
          h -> {
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
          });
    } catch (JdbiException e) {
      throw unavailable(e);
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

package io.comfyvn.compute.limits;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Estimated micro-dollars and submit counts reserved per UTC day, per provider and in total ({@link
 * #TOTAL}): what makes today's spend survive a restart ({@link JdbiSpendLedger}, the {@code
 * spend_ledger} table) and what makes a reservation atomic, within one instance and across
 * instances sharing a database.
 */
public interface SpendLedger {
  /** The scope of all providers together. */
  String TOTAL = "*";

  /**
   * What one scope has reserved on one day.
   *
   * @param micros estimated micro-dollars
   * @param submits submits counted
   */
  record Usage(long micros, long submits) {
    static final Usage NONE = new Usage(0, 0);
  }

  /**
   * A reservation that would pass a cap.
   *
   * @param scope {@link #TOTAL} or the provider slug
   * @param spentMicros what the scope had reserved already
   * @param capMicros its cap
   */
  record Refusal(String scope, long spentMicros, long capMicros) {}

  /**
   * Reserves an amount (and one submit) in the total and the provider's scope, both or neither.
   *
   * @return empty when reserved, else the first scope (total first) whose cap it would pass
   * @throws io.comfyvn.compute.errors.ComputeException 503 {@code store_unavailable} when the
   *     ledger cannot be used (the submit is then refused: the guard fails closed)
   */
  Optional<Refusal> reserve(
      LocalDate day,
      String provider,
      long micros,
      OptionalLong totalCap,
      OptionalLong providerCap,
      Instant now);

  /** Gives back a reservation whose submit cost nothing (the provider refused it). */
  void release(LocalDate day, String provider, long micros, Instant now);

  /**
   * Counts a reservation no cap can refuse (neither the total nor the provider has a daily limit):
   * today's figure only, so it need not be committed before the submit goes on. An implementation
   * may queue it behind the caller (see {@link JdbiSpendLedger}); this default reserves at once.
   */
  default void count(LocalDate day, String provider, long micros, Instant now) {
    reserve(day, provider, micros, OptionalLong.empty(), OptionalLong.empty(), now);
  }

  /** Gives back a {@link #count}ed reservation, after its count (the same queue, in order). */
  default void uncount(LocalDate day, String provider, long micros, Instant now) {
    release(day, provider, micros, now);
  }

  /** Every scope's usage on a day, by scope ({@link #TOTAL} included when anything was spent). */
  Map<String, Usage> usage(LocalDate day);
}

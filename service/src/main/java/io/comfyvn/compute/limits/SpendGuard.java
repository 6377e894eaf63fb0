package io.comfyvn.compute.limits;

import io.comfyvn.compute.errors.ComputeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spend guard: admits a live submit only while it stays within {@link SpendLimits} (submits per
 * minute and estimated USD per UTC day, per provider and in total), before anything is sent and
 * before the task is written. A refused submit is a 429 {@code submit_rate_limit} (with {@code
 * Retry-After}) or a 402 {@code spend_limit}.
 *
 * <p>It limits what costs money: a submit estimated at $0 (a self-hosted ComfyUI) is neither
 * limited nor counted. Today's spend is kept in {@link SpendLedger} (so it survives a restart and
 * is shared by instances on one database); the minute window is this instance's own, in memory.
 * Admission is one critical section per instance plus one atomic ledger update, so two submits at
 * once cannot both take the last dollar.
 */
public final class SpendGuard {
  /** The rate window. */
  public static final Duration WINDOW = Duration.ofMinutes(1);

  /** The answers' name of the all-providers scope. */
  public static final String TOTAL = "total";

  private static final Logger log = LoggerFactory.getLogger(SpendGuard.class);

  private final SpendLimits limits;
  private final SpendLedger ledger;
  private final Clock clock;
  // scope -> admission instants inside the window, oldest first; guarded by this
  private final Map<String, ArrayDeque<Instant>> admitted = new TreeMap<>();

  public SpendGuard(SpendLimits limits, SpendLedger ledger, Clock clock) {
    this.limits = limits;
    this.ledger = ledger;
    this.clock = clock;
  }

  /**
   * An admitted submit's reservation. {@link #release()} gives it back when the submit cost nothing
   * after all (the provider refused the create, or an earlier task answered instead).
   */
  public static final class Reservation {
    private static final Reservation FREE = new Reservation(null, null, null, 0, false);
    private final SpendGuard guard;
    private final LocalDate day;
    private final String provider;
    private final long micros;
    private final boolean counted;
    private final AtomicBoolean released = new AtomicBoolean();

    private Reservation(
        SpendGuard guard, LocalDate day, String provider, long micros, boolean counted) {
      this.guard = guard;
      this.day = day;
      this.provider = provider;
      this.micros = micros;
      this.counted = counted;
    }

    /** Gives the reserved dollars back (once; later calls do nothing). */
    public void release() {
      if (guard != null && released.compareAndSet(false, true)) {
        guard.release(this);
      }
    }
  }

  /**
   * Admits one live submit or refuses it.
   *
   * @param provider canonical provider slug
   * @param estimatedUsd the submit's estimate
   * @throws ComputeException 429 {@code submit_rate_limit}, 402 {@code spend_limit}, or 503 {@code
   *     store_unavailable} when the ledger cannot be used
   */
  public Reservation reserve(String provider, double estimatedUsd) {
    if (!(estimatedUsd > 0)) {
      return Reservation.FREE;
    }
    long micros = Money.reserve(estimatedUsd);
    OptionalLong totalCap = limits.total().microsPerDay();
    OptionalLong providerCap = limits.provider(provider).microsPerDay();
    // No daily cap applies: nothing can refuse by the ledger, so it is only counted (possibly
    // write-behind: committed with the submit's task instead of in a transaction of its own).
    boolean uncapped = totalCap.isEmpty() && providerCap.isEmpty();
    synchronized (this) {
      Instant now = clock.instant();
      checkRate(TOTAL, limits.total(), now, "limits.");
      checkRate(provider, limits.provider(provider), now, "limits.providers." + provider + ".");
      LocalDate day = day(now);
      if (uncapped) {
        ledger.count(day, provider, micros, now);
      } else {
        Optional<SpendLedger.Refusal> refused =
            ledger.reserve(day, provider, micros, totalCap, providerCap, now);
        if (refused.isPresent()) {
          throw overBudget(refused.get(), micros, day);
        }
      }
      window(TOTAL, now).addLast(now);
      window(provider, now).addLast(now);
      return new Reservation(this, day, provider, micros, uncapped);
    }
  }

  /** Today's spend and submits against the limits, for the Studio page. */
  public synchronized Today today() {
    Instant now = clock.instant();
    LocalDate day = day(now);
    Map<String, SpendLedger.Usage> usage = ledger.usage(day);
    TreeSet<String> named = new TreeSet<>(limits.providers().keySet());
    usage.keySet().stream().filter(s -> !s.equals(SpendLedger.TOTAL)).forEach(named::add);
    admitted.keySet().stream().filter(s -> !s.equals(TOTAL)).forEach(named::add);
    List<Scope> providers = new ArrayList<>();
    for (String slug : named) {
      providers.add(scope(slug, limits.provider(slug), usage.get(slug), now));
    }
    return new Today(
        day,
        day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant(),
        scope(TOTAL, limits.total(), usage.get(SpendLedger.TOTAL), now),
        providers);
  }

  /**
   * Today's spend.
   *
   * @param day the UTC day
   * @param resetsAt when the daily limits start again (the next UTC midnight)
   * @param total all providers together
   * @param providers each provider with a limit of its own or spend today, by slug
   */
  public record Today(LocalDate day, Instant resetsAt, Scope total, List<Scope> providers) {}

  /**
   * One scope's use and limits; a null limit means none.
   *
   * @param scope {@code total} or a provider slug
   * @param spentUsd the estimates of today's counted live submits
   * @param maxUsdPerDay the daily cap
   * @param remainingUsd what is left of it
   * @param submitsToday live submits counted today
   * @param submitsLastMinute live submits admitted in the last 60 seconds (this instance)
   * @param maxSubmitsPerMinute the rate cap
   */
  public record Scope(
      String scope,
      double spentUsd,
      Double maxUsdPerDay,
      Double remainingUsd,
      long submitsToday,
      int submitsLastMinute,
      Integer maxSubmitsPerMinute) {}

  private Scope scope(String name, SpendLimits.Limit limit, SpendLedger.Usage usage, Instant now) {
    SpendLedger.Usage u = usage == null ? SpendLedger.Usage.NONE : usage;
    ArrayDeque<Instant> w = admitted.containsKey(name) ? window(name, now) : new ArrayDeque<>();
    return new Scope(
        name,
        Money.usd(u.micros()),
        limit.microsPerDay().isPresent() ? Money.usd(limit.microsPerDay().getAsLong()) : null,
        limit.microsPerDay().isPresent()
            ? Money.usd(Math.max(0, limit.microsPerDay().getAsLong() - u.micros()))
            : null,
        u.submits(),
        w.size(),
        limit.submitsPerMinute().isPresent() ? limit.submitsPerMinute().getAsInt() : null);
  }

  private void release(Reservation r) {
    try {
      if (r.counted) {
        ledger.uncount(r.day, r.provider, r.micros, clock.instant());
      } else {
        ledger.release(r.day, r.provider, r.micros, clock.instant());
      }
    } catch (ComputeException e) {
      // The submit's own answer matters more; the day's figure stays high (on the safe side).
      log.atWarn()
          .addKeyValue("provider", r.provider)
          .addKeyValue("code", e.code())
          .log("spend reservation not released");
    }
  }

  private void checkRate(String scope, SpendLimits.Limit limit, Instant now, String key) {
    OptionalInt max = limit.submitsPerMinute();
    if (max.isEmpty()) {
      return;
    }
    ArrayDeque<Instant> w = window(scope, now);
    int n = max.getAsInt();
    if (w.size() < n) {
      return;
    }
    String who = scope.equals(TOTAL) ? "all providers together" : scope;
    ComputeException e =
        new ComputeException(
                ComputeException.Kind.RATE_LIMITED,
                "submit_rate_limit",
                n == 0
                    ? "live submits to "
                        + who
                        + " are switched off ("
                        + key
                        + SpendLimits.PER_MINUTE
                        + " is 0 in config/comfyvn.json)"
                    : "at most "
                        + n
                        + " live submits a minute to "
                        + who
                        + " ("
                        + key
                        + SpendLimits.PER_MINUTE
                        + " in config/comfyvn.json); nothing was sent",
                true,
                null)
            .detail("scope", scope)
            .detail("limit", n)
            .detail("window_seconds", WINDOW.toSeconds());
    if (n > 0) {
      // The admission whose expiry brings the window below the limit.
      Instant frees = w.stream().skip(w.size() - n).findFirst().orElseThrow().plus(WINDOW);
      Duration wait = Duration.between(now, frees);
      long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
      e.retryAfter(Duration.ofSeconds(seconds)).detail("retry_after_seconds", seconds);
    }
    throw e;
  }

  private ComputeException overBudget(SpendLedger.Refusal r, long micros, LocalDate day) {
    String scope = r.scope().equals(SpendLedger.TOTAL) ? TOTAL : r.scope();
    String key =
        scope.equals(TOTAL)
            ? "limits." + SpendLimits.USD_PER_DAY
            : "limits.providers." + scope + "." + SpendLimits.USD_PER_DAY;
    return new ComputeException(
            ComputeException.Kind.OVER_BUDGET,
            "spend_limit",
            "this submit's estimated $"
                + usd(micros)
                + " would take today's estimated spend "
                + (scope.equals(TOTAL) ? "on all providers" : "on " + scope)
                + " past its $"
                + usd(r.capMicros())
                + " limit (spent $"
                + usd(r.spentMicros())
                + "; "
                + key
                + " in config/comfyvn.json); nothing was sent; the limit resets at 00:00 UTC",
            false,
            null)
        .detail("scope", scope)
        .detail("limit_usd", Money.usd(r.capMicros()))
        .detail("spent_usd", Money.usd(r.spentMicros()))
        .detail("estimate_usd", Money.usd(micros))
        .detail("resets_at", day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString());
  }

  /** The scope's window with admissions older than {@link #WINDOW} dropped. */
  private ArrayDeque<Instant> window(String scope, Instant now) {
    ArrayDeque<Instant> w = admitted.computeIfAbsent(scope, s -> new ArrayDeque<>());
    Instant cutoff = now.minus(WINDOW);
    while (!w.isEmpty() && !w.peekFirst().isAfter(cutoff)) {
      w.removeFirst();
    }
    return w;
  }

  private static LocalDate day(Instant now) {
    return LocalDate.ofInstant(now, ZoneOffset.UTC);
  }

  /** Dollars for a message: four decimals, locale-free. */
  private static String usd(long micros) {
    return java.math.BigDecimal.valueOf(micros, 6)
        .setScale(4, java.math.RoundingMode.HALF_UP)
        .toPlainString();
  }
}

package io.comfyvn.compute.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.tasks.Database;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spend guard on a manual clock and a real ledger (SQLite in a temp folder). */
class SpendGuardTest {
  private static final ObjectMapper M = Json.mapper();
  @TempDir Path dir;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T12:00:00Z"));
  private Database db;

  @BeforeEach
  void open() {
    db = Database.sqlite(dir);
  }

  @AfterEach
  void close() {
    db.close();
  }

  private SpendGuard guard(String limitsJson) {
    try {
      SpendLimits limits =
          SpendLimits.fromJson(
              M.readTree(limitsJson),
              n -> Optional.of(n.equals("hf") ? "huggingface" : n.toLowerCase()));
      return new SpendGuard(limits, new JdbiSpendLedger(db.jdbi()), clock);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static ComputeException refusal(Runnable r) {
    return catchThrowableOfType(ComputeException.class, r::run);
  }

  @Test
  void theTotalDailyCapRefusesTheSubmitThatWouldPassItWith402() {
    SpendGuard g = guard("{\"max_estimated_usd_per_day\": 1.00}");
    g.reserve("runpod", 0.30);
    g.reserve("replicate", 0.30);
    g.reserve("modal", 0.30);
    ComputeException e = refusal(() -> g.reserve("runpod", 0.30));
    assertThat(e.kind()).isEqualTo(ComputeException.Kind.OVER_BUDGET);
    assertThat(e.code()).isEqualTo("spend_limit");
    assertThat(e.details())
        .containsEntry("scope", "total")
        .containsEntry("limit_usd", 1.0)
        .containsEntry("spent_usd", 0.9)
        .containsEntry("estimate_usd", 0.3)
        .containsEntry("resets_at", "2026-11-30T00:00:00Z");
    assertThat(e.getMessage())
        .contains("$0.3000", "$1.0000", "limits.max_estimated_usd_per_day", "nothing was sent");
    // what still fits is admitted: the cap is "at most", not "less than"
    g.reserve("runpod", 0.10);
    assertThat(g.today().total().spentUsd()).isEqualTo(1.0);
    assertThat(g.today().total().remainingUsd()).isEqualTo(0.0);
    assertThat(g.today().total().submitsToday()).isEqualTo(4);
  }

  @Test
  void aProviderCapLimitsThatProviderOnlyAndTheTotalStillApplies() {
    SpendGuard g =
        guard(
            "{\"max_estimated_usd_per_day\": 1.00,"
                + "\"providers\": {\"RunPod\": {\"max_estimated_usd_per_day\": 0.50}}}");
    g.reserve("runpod", 0.30);
    ComputeException e = refusal(() -> g.reserve("runpod", 0.30));
    assertThat(e.details()).containsEntry("scope", "runpod").containsEntry("limit_usd", 0.5);
    assertThat(e.getMessage()).contains("limits.providers.runpod.max_estimated_usd_per_day");
    g.reserve("replicate", 0.30);
    g.reserve("modal", 0.30);
    ComputeException total = refusal(() -> g.reserve("replicate", 0.30));
    assertThat(total.details()).containsEntry("scope", "total").containsEntry("spent_usd", 0.9);
    // a refused reservation left nothing behind in either scope
    SpendGuard.Today t = g.today();
    assertThat(t.total().spentUsd()).isEqualTo(0.9);
    assertThat(t.providers())
        .extracting(SpendGuard.Scope::scope, SpendGuard.Scope::spentUsd)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("modal", 0.3),
            org.assertj.core.groups.Tuple.tuple("replicate", 0.3),
            org.assertj.core.groups.Tuple.tuple("runpod", 0.3));
    assertThat(t.providers().get(2).maxUsdPerDay()).isEqualTo(0.5);
    assertThat(t.providers().get(0).maxUsdPerDay()).isNull();
  }

  @Test
  void thePerProviderMinuteWindowSlidesAndSaysWhenToRetry() {
    SpendGuard g = guard("{\"providers\": {\"runpod\": {\"max_live_submits_per_minute\": 2}}}");
    g.reserve("runpod", 0.01); // 12:00:00
    clock.advance(Duration.ofSeconds(10));
    g.reserve("runpod", 0.01); // 12:00:10
    clock.advance(Duration.ofSeconds(10));
    ComputeException e = refusal(() -> g.reserve("runpod", 0.01)); // 12:00:20
    assertThat(e.kind()).isEqualTo(ComputeException.Kind.RATE_LIMITED);
    assertThat(e.code()).isEqualTo("submit_rate_limit");
    assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(40));
    assertThat(e.details())
        .containsEntry("scope", "runpod")
        .containsEntry("limit", 2)
        .containsEntry("retry_after_seconds", 40L);
    g.reserve("replicate", 0.01); // another provider is not limited by runpod's window
    clock.advance(Duration.ofMillis(39_500)); // 12:00:59.5: the first admission is still inside
    assertThat(refusal(() -> g.reserve("runpod", 0.01)).retryAfter())
        .hasValue(Duration.ofSeconds(1));
    clock.advance(Duration.ofMillis(500)); // 12:01:00: it left the window
    g.reserve("runpod", 0.01);
    ComputeException again = refusal(() -> g.reserve("runpod", 0.01));
    assertThat(again.retryAfter()).hasValue(Duration.ofSeconds(10)); // 12:00:10 leaves at 12:01:10
    // the refused attempts were not counted
    assertThat(g.today().providers())
        .filteredOn(s -> s.scope().equals("runpod"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.submitsToday()).isEqualTo(3);
              assertThat(s.submitsLastMinute()).isEqualTo(2);
              assertThat(s.maxSubmitsPerMinute()).isEqualTo(2);
            });
  }

  @Test
  void theTotalMinuteWindowCountsEveryPaidProvider() {
    SpendGuard g = guard("{\"max_live_submits_per_minute\": 3}");
    g.reserve("runpod", 0.01);
    g.reserve("replicate", 0.01);
    g.reserve("modal", 0.01);
    ComputeException e = refusal(() -> g.reserve("huggingface", 0.01));
    assertThat(e.details()).containsEntry("scope", "total");
    assertThat(e.getMessage())
        .contains("all providers together", "limits.max_live_submits_per_minute");
    assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(60));
    clock.advance(Duration.ofMinutes(1));
    g.reserve("huggingface", 0.01);
  }

  @Test
  void aRateRefusalSpendsNothingAndABudgetRefusalTakesNoRateSlot() {
    SpendGuard g = guard("{\"max_live_submits_per_minute\": 2, \"max_estimated_usd_per_day\": 1}");
    g.reserve("runpod", 0.90);
    assertThat(refusal(() -> g.reserve("runpod", 0.50)).code()).isEqualTo("spend_limit");
    assertThat(refusal(() -> g.reserve("runpod", 0.50)).code()).isEqualTo("spend_limit");
    g.reserve("runpod", 0.05); // the second slot of the minute is still free
    assertThat(refusal(() -> g.reserve("runpod", 0.01)).code()).isEqualTo("submit_rate_limit");
    assertThat(g.today().total().spentUsd()).isEqualTo(0.95);
  }

  @Test
  void theDayRollsOverAtUtcMidnight() {
    clock.advance(Duration.ofHours(11).plusMinutes(59).plusSeconds(59)); // 23:59:59 UTC
    SpendGuard g = guard("{\"max_estimated_usd_per_day\": 1.00}");
    g.reserve("runpod", 0.90);
    assertThat(refusal(() -> g.reserve("runpod", 0.30)).details())
        .containsEntry("resets_at", "2026-11-30T00:00:00Z");
    assertThat(g.today().day()).isEqualTo(LocalDate.parse("2026-11-29"));
    clock.advance(Duration.ofSeconds(1)); // 00:00:00 UTC
    g.reserve("runpod", 0.30);
    SpendGuard.Today t = g.today();
    assertThat(t.day()).isEqualTo(LocalDate.parse("2026-11-30"));
    assertThat(t.resetsAt()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    assertThat(t.total().spentUsd()).isEqualTo(0.3);
    // yesterday's row is kept as history, untouched
    assertThat(new JdbiSpendLedger(db.jdbi()).usage(LocalDate.parse("2026-11-29")))
        .containsEntry(SpendLedger.TOTAL, new SpendLedger.Usage(900_000, 1));
  }

  @Test
  void todaysSpendSurvivesARestart() {
    guard("{\"max_estimated_usd_per_day\": 1.00}").reserve("replicate", 0.70);
    db.close();
    db = Database.sqlite(dir); // a new process: the window is gone, the ledger is not
    SpendGuard after = guard("{\"max_estimated_usd_per_day\": 1.00}");
    assertThat(after.today().total().spentUsd()).isEqualTo(0.7);
    assertThat(refusal(() -> after.reserve("runpod", 0.31)).details())
        .containsEntry("spent_usd", 0.7);
    after.reserve("runpod", 0.30);
  }

  @Test
  void aReleaseGivesTheEstimateBackOnce() {
    SpendGuard g = guard("{\"max_estimated_usd_per_day\": 1.00}");
    SpendGuard.Reservation r = g.reserve("runpod", 0.80);
    assertThat(refusal(() -> g.reserve("runpod", 0.30))).isNotNull();
    r.release();
    r.release();
    assertThat(g.today().total().spentUsd()).isEqualTo(0.0);
    assertThat(g.today().total().submitsToday()).isZero();
    g.reserve("runpod", 0.60);
    g.reserve("runpod", 0.40);
    assertThat(g.today().total().spentUsd()).isEqualTo(1.0);
  }

  @Test
  void aFreeSubmitIsNeitherLimitedNorCounted() {
    SpendGuard g = guard("{\"max_live_submits_per_minute\": 0, \"max_estimated_usd_per_day\": 0}");
    for (int i = 0; i < 100; i++) {
      g.reserve("comfyui", 0.0).release();
    }
    assertThat(g.today().total().submitsToday()).isZero();
    assertThat(g.today().providers()).isEmpty();
  }

  @Test
  void zeroLimitsSwitchPaidLiveSubmitsOff() {
    SpendGuard rate = guard("{\"max_live_submits_per_minute\": 0}");
    ComputeException e = refusal(() -> rate.reserve("runpod", 0.01));
    assertThat(e.code()).isEqualTo("submit_rate_limit");
    assertThat(e.getMessage()).contains("switched off");
    assertThat(e.retryAfter()).isEmpty(); // waiting does not help
    SpendGuard money = guard("{\"max_estimated_usd_per_day\": 0}");
    assertThat(refusal(() -> money.reserve("runpod", 0.000001)).code()).isEqualTo("spend_limit");
  }

  @Test
  void noLimitsAdmitEverythingAndStillCount() {
    SpendGuard g = guard("{\"max_live_submits_per_minute\": null}");
    for (int i = 0; i < 500; i++) {
      g.reserve("runpod", 0.002);
    }
    SpendGuard.Today t = g.today();
    assertThat(t.total().spentUsd()).isEqualTo(1.0);
    assertThat(t.total().submitsLastMinute()).isEqualTo(500);
    assertThat(t.total().maxUsdPerDay()).isNull();
    assertThat(t.total().remainingUsd()).isNull();
  }

  /**
   * A write-behind queue that holds writes until the test commits them, in order, in one
   * transaction (as the task writer would); once {@code immediate}, each write commits as it comes.
   */
  private final class HeldWrites implements JdbiSpendLedger.WriteBehind {
    final List<org.jdbi.v3.core.HandleCallback<Void, Exception>> held = new ArrayList<>();
    final List<java.util.concurrent.CompletableFuture<Void>> futures = new ArrayList<>();
    int queued;
    boolean immediate;

    @Override
    public java.util.concurrent.CompletableFuture<?> queue(
        org.jdbi.v3.core.HandleCallback<Void, Exception> work) {
      queued++;
      held.add(work);
      java.util.concurrent.CompletableFuture<Void> f =
          new java.util.concurrent.CompletableFuture<>();
      futures.add(f);
      if (immediate) {
        commit();
      }
      return f;
    }

    void commit() {
      db.jdbi()
          .useTransaction(
              h -> {
                for (var w : held) {
                  try {
                    w.withHandle(h);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                }
              });
      held.clear();
      futures.forEach(f -> f.complete(null));
      futures.clear();
    }
  }

  private SpendGuard guard(String limitsJson, JdbiSpendLedger.WriteBehind later) throws Exception {
    SpendLimits limits = SpendLimits.fromJson(M.readTree(limitsJson), n -> Optional.of(n));
    return new SpendGuard(limits, new JdbiSpendLedger(db.jdbi(), later), clock);
  }

  @Test
  void withoutADailyCapTheCountIsQueuedBehindTheCallerNotCommittedByIt() throws Exception {
    HeldWrites later = new HeldWrites();
    SpendGuard g =
        guard("{\"providers\": {\"runpod\": {\"max_live_submits_per_minute\": 1}}}", later);
    g.reserve("runpod", 0.25);
    SpendGuard.Reservation refunded = g.reserve("replicate", 0.50);
    // nothing written yet: the counts wait in the queue (the task writer's, in the service)
    assertThat(later.held).hasSize(2);
    assertThat(g.today().total().submitsToday()).isZero();
    // the minute window is in memory and counts at once
    assertThat(refusal(() -> g.reserve("runpod", 0.25)).code()).isEqualTo("submit_rate_limit");
    later.commit();
    assertThat(g.today().total().spentUsd()).isEqualTo(0.75);
    assertThat(g.today().total().submitsToday()).isEqualTo(2);
    // a give-back takes the same queue, and waits for its commit (read right after a refusal)
    later.immediate = true;
    refunded.release();
    assertThat(later.queued).isEqualTo(3);
    SpendGuard.Today t = g.today();
    assertThat(t.total().spentUsd()).isEqualTo(0.25);
    assertThat(t.total().submitsToday()).isEqualTo(1);
    assertThat(t.providers())
        .extracting(SpendGuard.Scope::scope, SpendGuard.Scope::spentUsd)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("replicate", 0.0),
            org.assertj.core.groups.Tuple.tuple("runpod", 0.25));
  }

  @Test
  void aDailyCapStillCommitsItsReservationBeforeAdmitting() throws Exception {
    HeldWrites later = new HeldWrites();
    SpendGuard total = guard("{\"max_estimated_usd_per_day\": 1.00}", later);
    total.reserve("runpod", 0.60);
    SpendGuard.Reservation r = total.reserve("modal", 0.30);
    assertThat(total.today().total().spentUsd()).isEqualTo(0.9);
    assertThat(refusal(() -> total.reserve("runpod", 0.2)).code()).isEqualTo("spend_limit");
    r.release();
    assertThat(total.today().total().spentUsd()).isEqualTo(0.6);
    // a cap on one provider only: that provider's reservations are checked and committed; the
    // others are counted write-behind (the total has no cap)
    SpendGuard one =
        guard("{\"providers\": {\"runpod\": {\"max_estimated_usd_per_day\": 1.00}}}", later);
    one.reserve("runpod", 0.30); // runpod had 0.60 today already
    assertThat(one.today().total().spentUsd()).isEqualTo(0.9);
    assertThat(refusal(() -> one.reserve("runpod", 0.20)).code()).isEqualTo("spend_limit");
    one.reserve("modal", 5.00);
    assertThat(later.queued).isEqualTo(1);
    later.commit();
    assertThat(one.today().total().spentUsd()).isEqualTo(5.9);
  }

  @Test
  void estimatesAreReservedRoundedUpToTheMicroDollar() {
    SpendGuard g = guard("{\"max_estimated_usd_per_day\": 0.000003}");
    g.reserve("runpod", 0.0000011); // 2 micro-dollars
    assertThat(refusal(() -> g.reserve("runpod", 0.0000011))).isNotNull();
    g.reserve("runpod", 0.000001);
    assertThat(g.today().total().spentUsd()).isEqualTo(0.000003);
  }

  @Test
  void concurrentSubmitsCannotBothTakeTheLastDollar() throws Exception {
    // Two guards on one database are two service instances: each has its own lock, so only the
    // ledger's conditional update keeps the sum within the cap.
    SpendGuard a = guard("{\"max_estimated_usd_per_day\": 1.00}");
    SpendGuard b = guard("{\"max_estimated_usd_per_day\": 1.00}");
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        SpendGuard g = i % 2 == 0 ? a : b;
        String provider = i % 3 == 0 ? "runpod" : "replicate";
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    g.reserve(provider, 0.07);
                    return true;
                  } catch (ComputeException e) {
                    assertThat(e.code()).isEqualTo("spend_limit");
                    return false;
                  }
                }));
      }
      go.countDown();
      int admitted = 0;
      for (Future<Boolean> f : results) {
        admitted += f.get() ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(14); // floor(1.00 / 0.07)
      assertThat(a.today().total().spentUsd()).isEqualTo(0.98);
      SpendGuard.Today t = b.today();
      assertThat(t.providers().stream().mapToLong(SpendGuard.Scope::submitsToday).sum())
          .isEqualTo(14);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLedgerThatCannotBeUsedRefusesTheSubmit() {
    SpendGuard g = guard("{\"max_estimated_usd_per_day\": 1.00}");
    db.close();
    assertThatThrownBy(() -> g.reserve("runpod", 0.10))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.UNAVAILABLE);
              assertThat(e.code()).isEqualTo("store_unavailable");
            });
    db = Database.sqlite(dir);
  }
}

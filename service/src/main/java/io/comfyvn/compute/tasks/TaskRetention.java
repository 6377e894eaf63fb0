package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.status.Mode;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the task store: finished dry-run and sim tasks, which cost nothing to make and can be made
 * again (their ids are derived from the request), are deleted once older than {@code max_age_hours}
 * or beyond the {@code max_count} newest; live tasks (real jobs, possibly paid) are always kept.
 * Settings: {@code tasks.retention} in {@code config/comfyvn.json}.
 *
 * <p>It runs at start, on a timer the wiring sets, and after every {@link #triggerEvery()}
 * disposable tasks created, so a flood of dry-run submits cannot grow the store without bound
 * between two timer runs. Runs never overlap.
 */
public final class TaskRetention {
  private static final Logger log = LoggerFactory.getLogger(TaskRetention.class);

  /**
   * Retention settings.
   *
   * @param maxAge disposable tasks older than this are deleted
   * @param maxCount at most this many disposable tasks are kept (the newest)
   */
  public record Settings(Duration maxAge, int maxCount) {
    /** Seven days, ten thousand tasks. */
    public static final Settings DEFAULTS = new Settings(Duration.ofHours(168), 10_000);

    /** From {@code tasks.retention}; absent keys take the defaults. */
    public static Settings of(JsonNode retention) {
      JsonNode age = retention.path("max_age_hours");
      JsonNode count = retention.path("max_count");
      Duration maxAge = DEFAULTS.maxAge();
      int maxCount = DEFAULTS.maxCount();
      if (!age.isMissingNode()) {
        if (!age.isNumber() || age.asDouble() <= 0) {
          throw new ConfigException(
              "config/comfyvn.json: tasks.retention.max_age_hours must be a number above 0");
        }
        maxAge = Duration.ofMillis(Math.round(age.asDouble() * 3_600_000));
      }
      if (!count.isMissingNode()) {
        if (!count.canConvertToInt() || !count.isIntegralNumber() || count.asInt() < 0) {
          throw new ConfigException(
              "config/comfyvn.json: tasks.retention.max_count must be a whole number, 0 or more");
        }
        maxCount = count.asInt();
      }
      return new Settings(maxAge, maxCount);
    }
  }

  private final TaskRegistry tasks;
  private final Clock clock;
  private final Settings settings;
  private final Executor runner;
  private final AtomicInteger createdSinceRun = new AtomicInteger();
  private final AtomicBoolean running = new AtomicBoolean();

  /**
   * @param runner where a run triggered by new tasks happens (off the writer's thread)
   */
  public TaskRetention(TaskRegistry tasks, Clock clock, Settings settings, Executor runner) {
    this.tasks = tasks;
    this.clock = clock;
    this.settings = settings;
    this.runner = runner;
  }

  /** After how many new disposable tasks a run is triggered. */
  public int triggerEvery() {
    return Math.max(1, Math.min(1000, settings.maxCount() / 10));
  }

  /** Deletes what retention allows now; returns how many tasks were deleted. */
  public int prune() {
    if (!running.compareAndSet(false, true)) {
      return 0;
    }
    try {
      createdSinceRun.set(0);
      int n = tasks.prune(clock.instant().minus(settings.maxAge()), settings.maxCount());
      if (n > 0) {
        log.atInfo().addKeyValue("deleted", n).log("task retention deleted {} tasks", n);
      }
      return n;
    } catch (RuntimeException e) {
      // a store that cannot answer now is tried again at the next run; nothing is lost by waiting
      log.atWarn().log("task retention failed: {}", e.getClass().getSimpleName());
      return 0;
    } finally {
      running.set(false);
    }
  }

  /** Counts new disposable tasks (subscribe this to the registry) and triggers a run when due. */
  public void onEvent(TaskEvent e) {
    if (!"job.created".equals(e.type())
        || e.task().mode() == null
        || e.task().mode() == Mode.LIVE) {
      return;
    }
    if (createdSinceRun.incrementAndGet() >= triggerEvery()) {
      createdSinceRun.set(0);
      runner.execute(this::prune);
    }
  }
}

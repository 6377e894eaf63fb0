package io.comfyvn.compute.fakes;

import java.time.Duration;
import java.time.Instant;

/**
 * A job's timeline, computed from the clock rather than driven by threads: queued for {@code
 * queue}, then running for {@code run}, then the outcome. A cancel or a deadline cuts it short.
 * Because every answer is a pure function of "now", tests get exact states by moving a fake clock.
 */
final class Lifecycle {
  private Instant created;
  private final Duration queue;
  private final Duration run;
  private final Duration runLimit;
  private final Instant deadline;
  private Outcome outcome;
  private Instant canceledAt;

  /**
   * @param runLimit the provider's execution timeout, or null for none
   * @param deadline an absolute cancel deadline (Replicate {@code Cancel-After}), or null
   */
  Lifecycle(
      Instant created,
      Duration queue,
      Duration run,
      Duration runLimit,
      Instant deadline,
      Outcome outcome) {
    this.created = created;
    this.queue = queue;
    this.run = run;
    this.runLimit = runLimit;
    this.deadline = deadline;
    this.outcome = outcome;
  }

  synchronized Instant created() {
    return created;
  }

  synchronized Phase phase(Instant now) {
    Instant stop = stop();
    if (stop != null && !now.isBefore(stop)) {
      return Phase.CANCELED;
    }
    if (!now.isBefore(naturalEnd())) {
      return naturalPhase();
    }
    return now.isBefore(start()) ? Phase.QUEUED : Phase.RUNNING;
  }

  /** When the job started running, or null if it has not (or never will, having been cut first). */
  synchronized Instant startedAt(Instant now) {
    Instant start = start();
    Instant stop = stop();
    if (now.isBefore(start) || (stop != null && !stop.isAfter(start))) {
      return null;
    }
    return start;
  }

  /** When the job reached its terminal phase, or null while it runs. */
  synchronized Instant endedAt(Instant now) {
    Instant stop = stop();
    Instant end = stop != null ? stop : naturalEnd();
    return now.isBefore(end) ? null : end;
  }

  /** True when a cancel or deadline ended the job before it ever started (Replicate "aborted"). */
  synchronized boolean neverStarted(Instant now) {
    return phase(now) == Phase.CANCELED && startedAt(now) == null;
  }

  /** Cancels a job that is not terminal yet; returns whether it had any effect. */
  synchronized boolean cancel(Instant now) {
    if (phase(now).terminal()) {
      return false;
    }
    canceledAt = now;
    return true;
  }

  /** Changes how a still-running job will end; no effect once it is terminal (history is fixed). */
  synchronized void force(Outcome forced, Instant now) {
    if (!phase(now).terminal()) {
      outcome = forced;
    }
  }

  /** Starts the job over from the queue with a clean outcome (RunPod {@code /retry}). */
  synchronized void restart(Instant now) {
    created = now;
    canceledAt = null;
    outcome = Outcome.SUCCEED;
  }

  /** The fraction of the run done at {@code now}, 0..1, for growing logs. */
  synchronized double progress(Instant now) {
    Instant start = start();
    if (now.isBefore(start)) {
      return 0;
    }
    long total = Math.max(1, ranFor().toMillis());
    return Math.min(1.0, Duration.between(start, now).toMillis() / (double) total);
  }

  private Instant start() {
    return created.plus(queue);
  }

  private Duration ranFor() {
    boolean limited = runLimit != null && runLimit.compareTo(run) < 0;
    return limited ? runLimit : run;
  }

  private Instant naturalEnd() {
    return start().plus(ranFor());
  }

  private Phase naturalPhase() {
    if (runLimit != null && runLimit.compareTo(run) < 0) {
      return Phase.TIMED_OUT;
    }
    return switch (outcome) {
      case SUCCEED -> Phase.SUCCEEDED;
      case FAIL -> Phase.FAILED;
      case TIMEOUT -> Phase.TIMED_OUT;
    };
  }

  /** The instant a cancel or deadline cuts the job, if it comes before the natural end. */
  private Instant stop() {
    Instant stop = canceledAt;
    if (deadline != null && (stop == null || deadline.isBefore(stop))) {
      stop = deadline;
    }
    return stop != null && stop.isBefore(naturalEnd()) ? stop : null;
  }
}

package io.comfyvn.compute.sim;

import java.util.Map;

/**
 * One provider's Sim-mode profile (a {@code providers} entry of {@code profiles.json}). Times are
 * in milliseconds; the three rates are per attempt and are tried in the order timeout, failure,
 * cancel, so each is exactly the probability its branch is taken on an attempt.
 *
 * @param queue time waiting in the provider's queue
 * @param coldStart how often and how long a cold worker takes to start
 * @param run the run-time model
 * @param failureRate an attempt fails (worker error) and is retried while retries are left
 * @param timeoutRate an attempt hangs until the provider's execution timeout
 * @param canceledRate the provider cancels the job (preemption, Cancel-After)
 * @param maxRetries retries after a failed attempt
 * @param retryBackoffMs wait before the first retry (doubles each time)
 * @param timeoutMs the provider's execution timeout
 * @param providerStatus the provider's own status word for each sim phase
 */
public record SimProfile(
    Dist queue,
    ColdStart coldStart,
    Run run,
    double failureRate,
    double timeoutRate,
    double canceledRate,
    int maxRetries,
    long retryBackoffMs,
    long timeoutMs,
    Map<String, String> providerStatus) {

  public SimProfile {
    providerStatus = Map.copyOf(providerStatus);
  }

  /**
   * A log-normal duration.
   *
   * @param medianMs its median
   * @param sigma its shape (0: always the median)
   * @param maxMs the cap
   */
  public record Dist(long medianMs, double sigma, long maxMs) {
    /** The mean of the (uncapped) distribution. */
    double meanMs() {
      return Math.min(maxMs, medianMs * StrictMath.exp(sigma * sigma / 2));
    }
  }

  /**
   * Cold starts.
   *
   * @param probability how often a job meets no warm worker
   * @param medianMs median start time
   * @param sigma shape
   * @param maxMs cap
   */
  public record ColdStart(double probability, long medianMs, double sigma, long maxMs) {}

  /**
   * Run time: {@code base_ms + work_units * ms_per_work_unit / relative_speed} is the median, drawn
   * log-normal. {@code ms_per_work_unit} is for the reference GPU (RTX 4090); the base is fixed
   * overhead that a faster GPU does not shorten.
   *
   * @param baseMs fixed overhead (model load on a warm worker, I/O)
   * @param msPerWorkUnit time per work unit
   * @param sigma shape
   */
  public record Run(long baseMs, double msPerWorkUnit, double sigma) {
    /** The median run time of a job of this size on a GPU of this relative speed. */
    public double medianMs(double workUnits, double relativeSpeed) {
      return baseMs + workUnits * msPerWorkUnit / relativeSpeed;
    }
  }

  /** The provider's word for a sim phase (falls back to the phase itself). */
  public String status(String phase) {
    return providerStatus.getOrDefault(phase, phase);
  }

  /** Throws when the profile cannot be simulated faithfully. */
  void validate(String slug) {
    double total = failureRate + timeoutRate + canceledRate;
    if (failureRate < 0 || timeoutRate < 0 || canceledRate < 0 || total > 1) {
      throw new IllegalStateException(slug + ": rates must be >= 0 and add up to at most 1");
    }
    if (coldStart.probability() < 0 || coldStart.probability() > 1) {
      throw new IllegalStateException(slug + ": cold_start.probability must be 0..1");
    }
    if (maxRetries < 0 || maxRetries > 10 || timeoutMs <= 0 || queue.medianMs() < 0) {
      throw new IllegalStateException(slug + ": max_retries 0..10, timeout_ms > 0, queue >= 0");
    }
  }
}

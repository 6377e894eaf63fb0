package io.comfyvn.compute.fakes;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Timings of the fakes, all measured on the injected clock. Defaults follow the providers' docs
 * where the docs give a number (retention, the 150 s Modal request cap, webhook retry spacing).
 *
 * @param queueTime how long a job waits before it starts
 * @param runTime how long a job runs
 * @param runpodRetention how long RunPod keeps a {@code /run} result (then 404)
 * @param runpodSyncRetention how long RunPod keeps a {@code /runsync} result
 * @param replicateRetention after this, Replicate nulls the output and sets {@code data_removed}
 * @param modalRetention after this, the Modal result answers 410
 * @param modalRequestCap the longest a Modal web request blocks before a 303
 * @param hfInitTime how long an HF endpoint initializes (also from pending and from zero)
 * @param hfIdleTimeout a running HF endpoint with no traffic this long scales to zero
 * @param hfStartsRunning whether the HF endpoint starts running (else scaled to zero)
 * @param runpodWebhookRetries the delays between RunPod webhook attempts (2 more, 10 s apart)
 * @param replicateWebhookRetries the delays between attempts of Replicate's final webhook
 */
public record FakeSettings(
    Duration queueTime,
    Duration runTime,
    Duration runpodRetention,
    Duration runpodSyncRetention,
    Duration replicateRetention,
    Duration modalRetention,
    Duration modalRequestCap,
    Duration hfInitTime,
    Duration hfIdleTimeout,
    boolean hfStartsRunning,
    List<Duration> runpodWebhookRetries,
    List<Duration> replicateWebhookRetries) {

  public FakeSettings {
    runpodWebhookRetries = List.copyOf(runpodWebhookRetries);
    replicateWebhookRetries = List.copyOf(replicateWebhookRetries);
  }

  /** Documented retentions and caps, jobs of 2 s queue + 5 s run, endpoint scaled to zero. */
  public static FakeSettings defaults() {
    return new FakeSettings(
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        Duration.ofMinutes(30),
        Duration.ofMinutes(1),
        Duration.ofHours(1),
        Duration.ofDays(7),
        Duration.ofSeconds(150),
        Duration.ofSeconds(10),
        Duration.ofMinutes(15),
        false,
        List.of(Duration.ofSeconds(10), Duration.ofSeconds(10)),
        List.of(
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(8),
            Duration.ofSeconds(16),
            Duration.ofSeconds(30)));
  }

  /** For a person trying live mode from the CLI on the real clock: a job takes about 3 s. */
  public static FakeSettings forCli() {
    return defaults()
        .withJobTimes(Duration.ofSeconds(1), Duration.ofSeconds(2))
        .withHfInitTime(Duration.ofSeconds(3));
  }

  public FakeSettings withJobTimes(Duration queue, Duration run) {
    return copy(
        c -> {
          c.queueTime = queue;
          c.runTime = run;
        });
  }

  /** Sets the RunPod, Replicate and Modal result retentions at once (sync RunPod stays shorter). */
  public FakeSettings withRetention(Duration runpod, Duration replicate, Duration modal) {
    return copy(
        c -> {
          c.runpodRetention = runpod;
          c.replicateRetention = replicate;
          c.modalRetention = modal;
        });
  }

  public FakeSettings withModalRequestCap(Duration cap) {
    return copy(c -> c.modalRequestCap = cap);
  }

  public FakeSettings withHfInitTime(Duration init) {
    return copy(c -> c.hfInitTime = init);
  }

  public FakeSettings withHfIdleTimeout(Duration idle) {
    return copy(c -> c.hfIdleTimeout = idle);
  }

  public FakeSettings withHfStartsRunning(boolean running) {
    return copy(c -> c.hfStartsRunning = running);
  }

  public FakeSettings withWebhookRetries(List<Duration> runpod, List<Duration> replicate) {
    return copy(
        c -> {
          c.runpodWebhookRetries = runpod;
          c.replicateWebhookRetries = replicate;
        });
  }

  /** These settings with {@code change} made to a copy of their components. */
  private FakeSettings copy(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return c.build();
  }

  /**
   * The components as variables: the one place besides {@link #defaults} that lists all twelve, so
   * a {@code with*} names only what it changes.
   */
  private static final class Copy {
    Duration queueTime;
    Duration runTime;
    Duration runpodRetention;
    Duration runpodSyncRetention;
    Duration replicateRetention;
    Duration modalRetention;
    Duration modalRequestCap;
    Duration hfInitTime;
    Duration hfIdleTimeout;
    boolean hfStartsRunning;
    List<Duration> runpodWebhookRetries;
    List<Duration> replicateWebhookRetries;

    Copy(FakeSettings s) {
      queueTime = s.queueTime;
      runTime = s.runTime;
      runpodRetention = s.runpodRetention;
      runpodSyncRetention = s.runpodSyncRetention;
      replicateRetention = s.replicateRetention;
      modalRetention = s.modalRetention;
      modalRequestCap = s.modalRequestCap;
      hfInitTime = s.hfInitTime;
      hfIdleTimeout = s.hfIdleTimeout;
      hfStartsRunning = s.hfStartsRunning;
      runpodWebhookRetries = s.runpodWebhookRetries;
      replicateWebhookRetries = s.replicateWebhookRetries;
    }

    FakeSettings build() {
      return new FakeSettings(
          queueTime,
          runTime,
          runpodRetention,
          runpodSyncRetention,
          replicateRetention,
          modalRetention,
          modalRequestCap,
          hfInitTime,
          hfIdleTimeout,
          hfStartsRunning,
          runpodWebhookRetries,
          replicateWebhookRetries);
    }
  }
}

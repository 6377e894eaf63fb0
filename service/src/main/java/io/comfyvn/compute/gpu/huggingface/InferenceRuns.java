package io.comfyvn.compute.gpu.huggingface;

import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.LiveClient.Failure;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.status.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The synchronous inference calls behind HF Inference Endpoint jobs. An endpoint answers the
 * inference request itself only when the work is done, so submit hands the call to a small bounded
 * executor and poll reads the run's state here. The provider owns this object, so runs outlive any
 * one client. Each run sends its inference request at most once; a run is kept for {@link
 * #KEEP_FOR} after it ends (at most {@link #KEEP_FINISHED} ended runs), then only "lost" is known.
 */
final class InferenceRuns {
  static final int THREADS = 4;
  static final int QUEUE = 64;
  static final int KEEP_FINISHED = 256;
  static final Duration KEEP_FOR = Duration.ofHours(1);

  /** Waits between endpoint-state checks; tests pass one that only moves a fake clock. */
  interface Pause {
    void pause(Duration d) throws InterruptedException;
  }

  private final Executor executor;
  private final Clock clock;
  private final Pause pause;
  private final ConcurrentMap<String, Run> runs = new ConcurrentHashMap<>();

  InferenceRuns(Executor executor, Clock clock, Pause pause) {
    this.executor = executor;
    this.clock = clock;
    this.pause = pause;
  }

  /** Four daemon threads (none while idle) and a queue of 64; more is refused, not queued. */
  static InferenceRuns standard() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "hf-inference-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return new InferenceRuns(pool, Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
  }

  Clock clock() {
    return clock;
  }

  Pause pause() {
    return pause;
  }

  Optional<Run> find(String id) {
    return Optional.ofNullable(runs.get(id));
  }

  /**
   * Registers a run and hands its work to the executor.
   *
   * @throws ProviderException (retryable, nothing sent) when the executor is full
   */
  Run start(String id, JobState initial, Consumer<Run> work) {
    evict();
    Run run = new Run(initial);
    Run earlier = runs.putIfAbsent(id, run);
    if (earlier != null) {
      return earlier;
    }
    try {
      executor.execute(() -> work.accept(run));
    } catch (RejectedExecutionException e) {
      runs.remove(id, run);
      throw new ProviderException(
          Kind.UNAVAILABLE,
          "local_capacity",
          "huggingface: " + (THREADS + QUEUE) + " inference calls are already waiting; try later",
          true,
          Sent.NOT_SENT,
          0,
          null,
          null);
    }
    return run;
  }

  private void evict() {
    Instant cutoff = clock.instant().minus(KEEP_FOR);
    runs.values().removeIf(r -> r.endedBefore(cutoff));
    List<java.util.Map.Entry<String, Run>> ended =
        runs.entrySet().stream()
            .filter(e -> e.getValue().endedAt() != null)
            .sorted(Comparator.comparing(e -> e.getValue().endedAt()))
            .toList();
    for (int i = 0; i < ended.size() - KEEP_FINISHED; i++) {
      runs.remove(ended.get(i).getKey(), ended.get(i).getValue());
    }
  }

  /** One run's state; once it has ended nothing changes it (a cancel beats a late answer). */
  final class Run {
    private TaskStatus status;
    private String providerStatus;
    private List<Output> outputs = List.of();
    private String error;
    private Failure failure;
    private final List<String> logs;
    private boolean sent;
    private Instant endedAt;

    private Run(JobState initial) {
      this.status = initial.status();
      this.providerStatus = initial.providerStatus();
      this.logs = new ArrayList<>(initial.logs());
    }

    synchronized JobState snapshot() {
      return new JobState(
          status,
          providerStatus,
          status == TaskStatus.DONE ? Double.valueOf(1.0) : null,
          outputs,
          logs,
          error,
          null,
          null,
          failure);
    }

    /** Records the endpoint's state while the run waits for it. */
    synchronized void waiting(String endpointState) {
      if (endedAt == null) {
        providerStatus = endpointState;
      }
    }

    synchronized void log(String line) {
      logs.add(line);
    }

    /**
     * Marks the inference request as about to be sent.
     *
     * @return false when the run was canceled first (then nothing may be sent)
     */
    synchronized boolean markSent(String endpointState) {
      if (endedAt != null || sent) {
        return false;
      }
      sent = true;
      status = TaskStatus.RUNNING;
      providerStatus = endpointState;
      return true;
    }

    synchronized boolean canceled() {
      return endedAt != null;
    }

    synchronized void done(List<Output> files, String word) {
      end(TaskStatus.DONE, word, files, null);
    }

    synchronized void fail(String word, String message) {
      end(TaskStatus.ERROR, word, List.of(), message);
    }

    /** Ends the run failed on a missing model or node the endpoint named. */
    synchronized void fail(String word, String message, Failure named) {
      if (endedAt == null) {
        failure = named;
      }
      end(TaskStatus.ERROR, word, List.of(), message);
    }

    /** Cancels the run: before sending nothing goes out; after, the answer is discarded. */
    synchronized void cancel() {
      if (endedAt == null) {
        logs.add(
            sent
                ? "Canceled; the inference request was already sent, its answer will be discarded"
                : "Canceled before the inference request was sent");
        end(TaskStatus.CANCELED, "canceled", List.of(), null);
      }
    }

    private void end(TaskStatus s, String word, List<Output> files, String message) {
      if (endedAt != null) {
        return;
      }
      status = s;
      providerStatus = word;
      outputs = List.copyOf(files);
      error = message;
      endedAt = clock.instant();
    }

    private synchronized Instant endedAt() {
      return endedAt;
    }

    private synchronized boolean endedBefore(Instant cutoff) {
      return endedAt != null && endedAt.isBefore(cutoff);
    }
  }
}

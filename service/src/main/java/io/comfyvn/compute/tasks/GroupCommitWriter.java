package io.comfyvn.compute.tasks;

import io.comfyvn.compute.errors.ComputeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task store's one writer: group commit. Callers queue writes (a bounded queue); one thread
 * takes whatever is queued, up to {@link #MAX_BATCH}, runs it in order in ONE transaction and
 * commits, and only then completes each caller's future. A caller's answer therefore goes out only
 * once its write is durable, and a thousand concurrent submits cost a handful of commits (one fsync
 * each) instead of a thousand, without request threads queueing for a pooled connection.
 *
 * <p>Failures: when one write throws, the transaction is rolled back, that write's future fails
 * with its exception, and the writes around it are run again in a new transaction (a write must
 * therefore touch nothing but the database). When the transaction itself fails (connection lost,
 * commit refused, disk full), every future of the batch fails: nothing of it was committed. Writes
 * run in queue order on one thread, so writes to the same task commit in the order they were asked.
 *
 * <p>{@link #close} refuses new writes, commits everything already queued, then stops the thread.
 */
public final class GroupCommitWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

  /** Most writes per transaction: bounds how long one commit holds the database. */
  static final int MAX_BATCH = 512;

  /** Queued writes beyond which new ones are refused (503) instead of piling up. */
  static final int CAPACITY = 16_384;

  /** Runs one batch in one transaction and commits it; the seam tests use to see commits. */
  @FunctionalInterface
  public interface Transactor {
    void inTransaction(HandleConsumer batch) throws Exception;
  }

  /** The work of one batch, given the transaction's handle. */
  @FunctionalInterface
  public interface HandleConsumer {
    void useHandle(Handle h) throws Exception;
  }

  /** One transaction through Jdbi (commit on return, rollback on a throw). */
  public static Transactor jdbi(Jdbi jdbi) {
    return batch -> jdbi.useTransaction(batch::useHandle);
  }

  private record Write<T>(HandleCallback<T, ? extends Exception> work, CompletableFuture<T> done) {
    @SuppressWarnings("unchecked")
    void complete(Object result) {
      done.complete((T) result);
    }
  }

  /** Queued by {@link #close} after the last write: the thread stops when it reaches it. */
  private static final Write<Void> STOP = new Write<>(h -> null, new CompletableFuture<>());

  private final Transactor transactor;
  private final Duration callTimeout;
  private final int capacity;
  private final BlockingQueue<Write<?>> queue;
  private final LongAdder transactions = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final Object admission = new Object();
  private boolean closed;
  private Thread thread;

  /**
   * A writer that is not running yet: {@link #start} it, or (tests) drive it with {@link
   * #drainOnce}.
   *
   * @param callTimeout how long {@link #call} waits for a commit before answering 503
   */
  public GroupCommitWriter(Transactor transactor, Duration callTimeout, int capacity) {
    this.transactor = transactor;
    this.callTimeout = callTimeout;
    this.capacity = capacity;
    // +1: room for STOP even when full (submit never takes that slot)
    this.queue = new ArrayBlockingQueue<>(capacity + 1);
  }

  /** Starts the writer thread from {@code threads}. */
  public GroupCommitWriter start(ThreadFactory threads) {
    synchronized (admission) {
      if (thread != null) {
        throw new IllegalStateException("already started");
      }
      thread = threads.newThread(this::run);
      thread.start();
    }
    return this;
  }

  /**
   * Queues a write; the future completes after the transaction holding it commits (or fails with
   * why it did not). The write runs on the writer thread inside a shared transaction: it must touch
   * nothing but the handle, and may run again if another write of its batch fails.
   */
  public <T> CompletableFuture<T> submit(HandleCallback<T, ? extends Exception> work) {
    CompletableFuture<T> done = new CompletableFuture<>();
    synchronized (admission) {
      if (closed) {
        done.completeExceptionally(unavailable("closing"));
      } else if (queue.size() >= capacity) {
        // The last slot is close()'s: were it taken, STOP could not be queued and close() would
        // wait for the writer thread forever. Only the writer takes from the queue, so the size
        // seen under the admission lock can only shrink before the add below.
        done.completeExceptionally(unavailable("too many writes queued"));
      } else {
        queue.add(new Write<>(work, done));
      }
    }
    return done;
  }

  /**
   * {@link #submit} and wait for the commit. A write that failed rethrows its own exception
   * (unchecked ones as they are); a commit that does not come within the timeout is a 503 (the
   * write may still commit later, like any answer lost on the way).
   */
  public <T> T call(HandleCallback<T, ? extends Exception> work) {
    CompletableFuture<T> done = submit(work);
    try {
      return done.get(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new ComputeException(
          ComputeException.Kind.UNAVAILABLE,
          "store_unavailable",
          "the task store cannot be used right now (" + cause.getClass().getSimpleName() + ")",
          true,
          cause);
    } catch (TimeoutException e) {
      throw unavailable("no commit in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted");
    }
  }

  /** Whether {@link #close} has begun: new writes are refused from then on (for tests). */
  boolean closing() {
    synchronized (admission) {
      return closed;
    }
  }

  /** Writes waiting for the writer (for tests and metrics). */
  public int pending() {
    return queue.size();
  }

  /** Transactions committed or attempted so far. */
  public long transactions() {
    return transactions.sum();
  }

  /** Writes committed so far. */
  public long writes() {
    return writes.sum();
  }

  private void run() {
    List<Write<?>> batch = new ArrayList<>(MAX_BATCH);
    while (true) {
      batch.clear();
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        // Only close() should stop us; an interrupt from elsewhere is ignored so nothing is lost.
        continue;
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      int stop = batch.indexOf(STOP);
      if (stop >= 0) {
        commit(new ArrayList<>(batch.subList(0, stop)));
        failRest();
        return;
      }
      commit(batch);
    }
  }

  /**
   * Commits what is queued now (at most {@link #MAX_BATCH}) in one transaction, on the calling
   * thread; for tests that drive a writer that was never started.
   *
   * @return how many writes the batch held
   */
  int drainOnce() {
    List<Write<?>> batch = new ArrayList<>();
    queue.drainTo(batch, MAX_BATCH);
    batch.remove(STOP);
    commit(batch);
    return batch.size();
  }

  /** Runs one batch in one transaction; isolates a failing write and retries the others. */
  private void commit(List<Write<?>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    Object[] results = new Object[batch.size()];
    int[] failedAt = {-1};
    try {
      transactions.increment();
      transactor.inTransaction(
          h -> {
            for (int i = 0; i < batch.size(); i++) {
              failedAt[0] = i;
              results[i] = batch.get(i).work().withHandle(h);
            }
            failedAt[0] = -1;
          });
    } catch (Throwable e) {
      int i = failedAt[0];
      if (i < 0 || batch.size() == 1) {
        // The transaction failed as a whole (begin or commit): none of it is durable.
        for (Write<?> w : batch) {
          w.done().completeExceptionally(e);
        }
        return;
      }
      // Write i threw: it alone fails; the writes before and after it go again without it.
      batch.get(i).done().completeExceptionally(e);
      List<Write<?>> rest = new ArrayList<>(batch);
      rest.remove(i);
      commit(rest);
      return;
    }
    writes.add(batch.size());
    // Committed: only now may callers answer.
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).complete(results[i]);
    }
  }

  private void failRest() {
    List<Write<?>> left = new ArrayList<>();
    queue.drainTo(left);
    for (Write<?> w : left) {
      w.done().completeExceptionally(unavailable("closed"));
    }
  }

  /**
   * Refuses new writes, commits every write already queued and stops the writer thread. Safe to
   * call twice.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (admission) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
      if (t != null) {
        // Cannot fail: the queue keeps one slot beyond capacity, and nothing is admitted after us.
        queue.offer(STOP);
      }
    }
    if (t == null) {
      // Never started: commit what is queued on this thread.
      while (drainOnce() > 0) {
        // until empty
      }
    } else {
      boolean interrupted = false;
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    log.atInfo()
        .addKeyValue("transactions", transactions())
        .addKeyValue("writes", writes())
        .log("task writer stopped");
  }

  private static ComputeException unavailable(String why) {
    return new ComputeException(
        ComputeException.Kind.UNAVAILABLE,
        "store_unavailable",
        "the task store cannot be used right now (" + why + ")",
        true,
        null);
  }
}

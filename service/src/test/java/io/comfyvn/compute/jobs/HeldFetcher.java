package io.comfyvn.compute.jobs;

import io.comfyvn.compute.provenance.ArtifactStore;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An artifact fetcher for tests: answers every URL with a small PNG, counts fetches, and can be
 * held so a test decides when a download finishes (to line up a race, without sleeping).
 */
final class HeldFetcher implements ArtifactStore.Fetcher {
  static final byte[] PNG = {
    (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'
  };

  private final AtomicInteger fetches = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(0);
  private final CountDownLatch entered = new CountDownLatch(1);

  /** From now on, fetches wait until {@link #release()}. */
  void hold() {
    gate = new CountDownLatch(1);
  }

  void release() {
    gate.countDown();
  }

  /** Waits until a fetch has begun. */
  void awaitEntered() throws InterruptedException {
    entered.await();
  }

  int fetches() {
    return fetches.get();
  }

  @Override
  public ArtifactStore.Fetched fetch(URI uri) throws IOException {
    fetches.incrementAndGet();
    entered.countDown();
    try {
      gate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    return new ArtifactStore.Fetched(PNG.clone(), "image/png");
  }
}

package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.fakes.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A manual clock and a sleeper that only moves it, recording every wait: no test ever sleeps. */
final class ManualTime implements Sleeper {
  final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final List<Duration> sleeps = new ArrayList<>();

  @Override
  public synchronized void sleep(Duration d) {
    sleeps.add(d);
    if (!d.isNegative()) {
      clock.advance(d);
    }
  }

  synchronized List<Duration> sleeps() {
    return List.copyOf(sleeps);
  }

  /** The total time spent waiting. */
  synchronized Duration slept() {
    return sleeps.stream().reduce(Duration.ZERO, Duration::plus);
  }

  TransportStack.Tools tools() {
    return new TransportStack.Tools(clock, this, () -> 0.0);
  }
}

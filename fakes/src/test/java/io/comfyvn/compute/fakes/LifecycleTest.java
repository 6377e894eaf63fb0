package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LifecycleTest {
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  private Lifecycle life(Duration limit, Instant deadline) {
    return new Lifecycle(
        t0, Duration.ofSeconds(2), Duration.ofSeconds(5), limit, deadline, Outcome.SUCCEED);
  }

  @Test
  void queuedThenRunningThenDone() {
    Lifecycle l = life(null, null);
    assertThat(l.phase(t0.plusMillis(1999))).isEqualTo(Phase.QUEUED);
    assertThat(l.phase(t0.plusSeconds(2))).isEqualTo(Phase.RUNNING);
    assertThat(l.startedAt(t0.plusSeconds(3))).isEqualTo(t0.plusSeconds(2));
    assertThat(l.endedAt(t0.plusSeconds(6))).isNull();
    assertThat(l.phase(t0.plusSeconds(7))).isEqualTo(Phase.SUCCEEDED);
    assertThat(l.endedAt(t0.plusSeconds(9))).isEqualTo(t0.plusSeconds(7));
    assertThat(l.progress(t0.plusMillis(4500))).isEqualTo(0.5);
  }

  @Test
  void cancelBeforeStartNeverStartsAndCancelAfterEndDoesNothing() {
    Lifecycle l = life(null, null);
    assertThat(l.cancel(t0.plusSeconds(1))).isTrue();
    assertThat(l.phase(t0.plusSeconds(10))).isEqualTo(Phase.CANCELED);
    assertThat(l.neverStarted(t0.plusSeconds(10))).isTrue();
    Lifecycle done = life(null, null);
    assertThat(done.cancel(t0.plusSeconds(8))).isFalse();
    assertThat(done.phase(t0.plusSeconds(9))).isEqualTo(Phase.SUCCEEDED);
  }

  @Test
  void deadlineAndRunLimitCutTheRun() {
    assertThat(life(null, t0.plusSeconds(1)).neverStarted(t0.plusSeconds(9))).isTrue();
    Lifecycle late = life(null, t0.plusSeconds(4));
    assertThat(late.phase(t0.plusSeconds(9))).isEqualTo(Phase.CANCELED);
    assertThat(late.neverStarted(t0.plusSeconds(9))).isFalse();
    Lifecycle limited = life(Duration.ofSeconds(3), null);
    assertThat(limited.phase(t0.plusSeconds(5))).isEqualTo(Phase.TIMED_OUT);
  }

  @Test
  void forcingChangesOnlyAnUnfinishedJob() {
    Lifecycle l = life(null, null);
    l.force(Outcome.FAIL, t0.plusSeconds(3));
    assertThat(l.phase(t0.plusSeconds(8))).isEqualTo(Phase.FAILED);
    l.force(Outcome.TIMEOUT, t0.plusSeconds(8));
    assertThat(l.phase(t0.plusSeconds(8))).isEqualTo(Phase.FAILED);
    l.restart(t0.plusSeconds(10));
    assertThat(l.phase(t0.plusSeconds(11))).isEqualTo(Phase.QUEUED);
    assertThat(l.phase(t0.plusSeconds(17))).isEqualTo(Phase.SUCCEEDED);
  }
}

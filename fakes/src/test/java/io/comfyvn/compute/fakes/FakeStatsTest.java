package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FakeStatsTest {
  @Test
  void findsTheBusiestWindow() {
    FakeStats stats = new FakeStats();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    for (long ms : new long[] {0, 9_000, 9_500, 10_000, 19_999, 25_000}) {
      stats.record("runpod", "create", t0.plusMillis(ms));
    }
    stats.record("runpod", "status", t0);
    assertThat(stats.count("runpod", "create")).isEqualTo(6);
    assertThat(stats.creates("runpod")).isEqualTo(6);
    // [9.0, 19.0) holds 9.0, 9.5, 10.0; [10.0, 20.0) holds 10.0 and 19.999.
    assertThat(stats.maxInWindow("runpod", "create", Duration.ofSeconds(10))).isEqualTo(3);
    assertThat(stats.maxInWindow("runpod", "create", Duration.ofMillis(1))).isEqualTo(1);
    assertThat(stats.maxInWindow("replicate", "create", Duration.ofSeconds(10))).isZero();
    assertThat(stats.counts()).containsEntry("runpod.status", 1).containsEntry("runpod.create", 6);
  }

  @Test
  void huggingFaceInferenceCountsAsASubmit() {
    FakeStats stats = new FakeStats();
    Instant t = Instant.EPOCH;
    stats.record("huggingface", "inference", t);
    stats.record("huggingface", "create", t);
    stats.record("huggingface", "endpoint_get", t);
    assertThat(stats.creates("huggingface")).isEqualTo(2);
  }
}

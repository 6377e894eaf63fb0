package io.comfyvn.compute.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class SplitMix64Test {

  @Test
  void matchesTheReferenceSequence() {
    // Vigna's splitmix64.c from state 0.
    SplitMix64 r = new SplitMix64(0);
    assertThat(r.nextLong()).isEqualTo(0xe220a8397b1dcdafL);
    assertThat(r.nextLong()).isEqualTo(0x6e789e6aa1b965f4L);
    assertThat(r.nextLong()).isEqualTo(0x06c45d188009454fL);
  }

  @Test
  void uniformsAndGaussiansHaveTheRightShape() {
    SplitMix64 r = new SplitMix64(42);
    int n = 200_000;
    double sum = 0;
    double sumSq = 0;
    double gSum = 0;
    double gSq = 0;
    for (int i = 0; i < n; i++) {
      double u = r.nextDouble();
      assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      sum += u;
      sumSq += u * u;
      double g = r.nextGaussian();
      gSum += g;
      gSq += g * g;
    }
    assertThat(sum / n).isCloseTo(0.5, Offset.offset(0.005));
    assertThat(sumSq / n - (sum / n) * (sum / n)).isCloseTo(1.0 / 12, Offset.offset(0.002));
    assertThat(gSum / n).isCloseTo(0, Offset.offset(0.01));
    assertThat(gSq / n).isCloseTo(1, Offset.offset(0.02));
  }

  @Test
  void logNormalIsCappedAndCentredOnItsMedian() {
    SplitMix64 r = new SplitMix64(7);
    int below = 0;
    for (int i = 0; i < 10_000; i++) {
      long v = r.logNormal(1000, 0.5, 3000);
      assertThat(v).isBetween(0L, 3000L);
      if (v < 1000) {
        below++;
      }
    }
    assertThat(below / 10_000.0).isCloseTo(0.5, Offset.offset(0.03));
  }

  @Test
  void mixingTextGivesDifferentStreams() {
    assertThat(SplitMix64.mix(1, "runpod")).isNotEqualTo(SplitMix64.mix(1, "modal"));
    assertThat(SplitMix64.mix(1, "runpod")).isEqualTo(SplitMix64.mix(1, "runpod"));
  }
}

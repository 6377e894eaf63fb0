package io.comfyvn.compute.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.config.ProviderSettings.ConfiguredMode;
import io.comfyvn.compute.gpu.ModeDecision.Requested;
import io.comfyvn.compute.status.Mode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every combination of the five inputs: live only when all allow it; sim only when asked. */
class ModeDecisionTest {

  static Stream<Arguments> everyCombination() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (boolean flag : new boolean[] {false, true}) {
      for (boolean secrets : new boolean[] {false, true}) {
        for (ConfiguredMode configured : ConfiguredMode.values()) {
          for (boolean live : new boolean[] {false, true}) {
            for (Requested req : Requested.values()) {
              b.add(Arguments.of(flag, secrets, configured, live, req));
            }
          }
        }
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "flag={0} secrets={1} configured={2} live={3} requested={4}")
  @MethodSource("everyCombination")
  void decides(
      boolean flag, boolean secrets, ConfiguredMode configured, boolean live, Requested req) {
    ModeDecision d =
        ModeDecision.decide(flag, secrets ? List.of() : List.of("x.key"), configured, live, req);
    Mode expected;
    if (req == Requested.SIM) {
      expected = Mode.SIM;
    } else if (flag
        && secrets
        && configured == ConfiguredMode.LIVE
        && live
        && req == Requested.AUTO) {
      expected = Mode.LIVE;
    } else {
      expected = Mode.DRY_RUN;
    }
    assertThat(d.mode()).isEqualTo(expected);
    assertThat(d.reasons().isEmpty()).isEqualTo(expected == Mode.LIVE);
    if (!flag && req != Requested.SIM) {
      assertThat(d.reasons()).anyMatch(r -> r.contains("enable_public_gpu_adapters"));
    }
  }
}

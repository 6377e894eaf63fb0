package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each {@code with*} of {@link FakeSettings} changes the components it names and keeps every other
 * one: they share one copy, so a component copied into the wrong place shows here, not as a fake
 * with an odd timing somewhere else.
 */
class FakeSettingsTest {
  /** Values unlike every default, so a change is always visible. */
  private static final Duration D = Duration.ofMillis(1234);

  private static final List<Duration> L = List.of(Duration.ofMillis(7));

  static Stream<Arguments> withers() {
    return Stream.of(
        with("withJobTimes", s -> s.withJobTimes(D, D), "queueTime", "runTime"),
        with(
            "withRetention",
            s -> s.withRetention(D, D, D),
            "runpodRetention",
            "replicateRetention",
            "modalRetention"),
        with("withModalRequestCap", s -> s.withModalRequestCap(D), "modalRequestCap"),
        with("withHfInitTime", s -> s.withHfInitTime(D), "hfInitTime"),
        with("withHfIdleTimeout", s -> s.withHfIdleTimeout(D), "hfIdleTimeout"),
        with("withHfStartsRunning", s -> s.withHfStartsRunning(true), "hfStartsRunning"),
        with(
            "withWebhookRetries",
            s -> s.withWebhookRetries(L, L),
            "runpodWebhookRetries",
            "replicateWebhookRetries"));
  }

  private static Arguments with(String name, UnaryOperator<FakeSettings> w, String... changed) {
    return arguments(named(name, w), Set.of(changed));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("withers")
  void changesWhatItNamesAndKeepsTheRest(UnaryOperator<FakeSettings> with, Set<String> changed)
      throws Exception {
    FakeSettings before = FakeSettings.defaults();
    FakeSettings after = with.apply(before);
    for (RecordComponent c : FakeSettings.class.getRecordComponents()) {
      Object was = c.getAccessor().invoke(before);
      Object is = c.getAccessor().invoke(after);
      if (changed.contains(c.getName())) {
        assertThat(is).as(c.getName()).isNotEqualTo(was);
      } else {
        assertThat(is).as(c.getName()).isEqualTo(was);
      }
    }
    assertThat(FakeSettings.class.getRecordComponents())
        .extracting(RecordComponent::getName)
        .containsAll(changed);
  }
}

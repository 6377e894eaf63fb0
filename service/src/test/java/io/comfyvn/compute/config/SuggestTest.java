package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestTest {
  private static final List<String> WORDS =
      List.of("dry_run", "live", "enable_public_gpu_adapters", "endpoint_id", "endpoint");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "liev, live",
    "LIVE, live",
    "lve, live",
    "dry-run, dry_run",
    "dryrun, dry_run",
    "enable_public_gpu_adapter, enable_public_gpu_adapters",
    "enable_pubilc_gpu_adapters, enable_public_gpu_adapters",
    "endpointid, endpoint_id",
    "endpont, endpoint",
  })
  void findsTheNearestWord(String typed, String expected) {
    assertThat(Suggest.nearest(typed, WORDS)).contains(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"turbo", "x", "completely_different", "mode"})
  void suggestsNothingWhenNothingIsClose(String typed) {
    assertThat(Suggest.nearest(typed, WORDS)).isEmpty();
  }

  @ParameterizedTest(name = "{0} {1} = {2}")
  @CsvSource({"live, liev, 1", "abc, abc, 0", "abc, '', 3", "kitten, sitting, 3", "ab, ba, 1"})
  void distanceCountsASwapAsOneEdit(String a, String b, int d) {
    assertThat(Suggest.distance(a, b)).isEqualTo(d);
  }
}

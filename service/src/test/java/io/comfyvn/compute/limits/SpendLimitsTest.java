package io.comfyvn.compute.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code limits} in {@code config/comfyvn.json}. */
class SpendLimitsTest {
  private static final ObjectMapper M = Json.mapper();
  private static final Function<String, Optional<String>> SLUGS =
      n ->
          switch (n.toLowerCase(java.util.Locale.ROOT)) {
            case "runpod" -> Optional.of("runpod");
            case "hf", "huggingface" -> Optional.of("huggingface");
            default -> Optional.empty();
          };

  private static SpendLimits parse(String json) throws Exception {
    return SpendLimits.fromJson(M.readTree(json), SLUGS);
  }

  @Test
  void theShippedDefaultsProtectANewUser(@TempDir Path home) {
    JsonNode shipped = new ConfigLoader(M).load(home).section("limits");
    SpendLimits l = SpendLimits.fromJson(shipped, SLUGS);
    assertThat(l.total())
        .isEqualTo(new SpendLimits.Limit(OptionalInt.of(30), OptionalLong.of(5_000_000)));
    assertThat(l.providers()).isEmpty();
  }

  @Test
  void providersAreNamedByAnyAliasAndNullMeansNoLimit() throws Exception {
    SpendLimits l =
        parse(
            "{\"max_live_submits_per_minute\": null, \"max_estimated_usd_per_day\": 2.5,"
                + "\"providers\": {\"hf\": {\"max_live_submits_per_minute\": 4},"
                + " \"RunPod\": {\"max_estimated_usd_per_day\": 0}}}");
    assertThat(l.total())
        .isEqualTo(new SpendLimits.Limit(OptionalInt.empty(), OptionalLong.of(2_500_000)));
    assertThat(l.providers())
        .isEqualTo(
            Map.of(
                "huggingface",
                new SpendLimits.Limit(OptionalInt.of(4), OptionalLong.empty()),
                "runpod",
                new SpendLimits.Limit(OptionalInt.empty(), OptionalLong.of(0))));
    assertThat(l.provider("modal")).isEqualTo(SpendLimits.Limit.NONE);
    assertThat(SpendLimits.fromJson(MissingNode.getInstance(), SLUGS).total())
        .isEqualTo(SpendLimits.Limit.NONE);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"max_live_submits_per_minute\": -1}|limits.max_live_submits_per_minute",
        "{\"max_live_submits_per_minute\": 2.5}|limits.max_live_submits_per_minute",
        "{\"max_live_submits_per_minute\": \"30\"}|limits.max_live_submits_per_minute",
        "{\"max_live_submits_per_minute\": 1e12}|limits.max_live_submits_per_minute",
        "{\"max_estimated_usd_per_day\": -0.01}|limits.max_estimated_usd_per_day",
        "{\"max_estimated_usd_per_day\": \"5\"}|limits.max_estimated_usd_per_day",
        "{\"max_estimated_usd_per_day\": 1e10}|limits.max_estimated_usd_per_day",
        "{\"providers\": []}|limits.providers",
        "{\"providers\": {\"runpod\": 5}}|limits.providers.runpod",
        "{\"providers\": {\"nope\": {}}}|limits.providers.nope: no such provider",
        "{\"providers\": {\"hf\": {}, \"huggingface\": {}}}|named twice",
        "{\"providers\": {\"runpod\": {\"max_estimated_usd_per_day\": -1}}}"
            + "|limits.providers.runpod.max_estimated_usd_per_day",
        "[]|limits must be an object"
      })
  void anUnusableValueNamesItsKey(String json, String named) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config/comfyvn.json")
        .hasMessageContaining(named);
  }
}

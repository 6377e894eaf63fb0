package io.comfyvn.compute.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlaceholdersTest {
  @Test
  void everyValueOfTheShippedSampleAndEveryProvidersPlaceholderIsOne() throws Exception {
    JsonNode sample =
        Json.mapper()
            .readTree(
                io.comfyvn.compute.support.Repo.file("config/comfyvn.secrets.json.sample")
                    .toFile());
    List<String> values = new ArrayList<>();
    sample.forEach(section -> section.forEach(v -> values.add(v.asText())));
    for (GpuProvider p : GpuProviders.discover().all()) {
      for (ProviderDescriptor.SecretSpec s : p.descriptor().secrets()) {
        values.add(s.placeholder());
      }
    }
    assertThat(values).hasSizeGreaterThanOrEqualTo(6).allMatch(Placeholders::is);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "RP_...",
        "r8_...",
        "hf_\u2026",
        "<your key>",
        "<at least 16 characters, e.g. the output of: openssl rand -hex 32>",
        "changeme",
        "CHANGE_ME",
        "change-me",
        "YOUR_API_KEY",
        "your-token-here",
        "<YOUR_REPLICATE_TOKEN>",
        "xxxxxxxx",
        "********",
        "replace_me",
        "TODO",
        "placeholder",
        "insert key here"
      })
  void standInsArePlaceholders(String value) {
    assertThat(Placeholders.is(value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "v",
        "rp",
        "r8_x",
        "r8_testtoken",
        "hf_testtoken",
        "rpa_TESTKEY",
        "MY-REAL-KEY",
        "keep-me",
        "comfyui-testkey0123456789",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "correct horse battery staple"
      })
  void keysAreNot(String value) {
    assertThat(Placeholders.is(value)).isFalse();
  }

  static Stream<Arguments> seeds() {
    return IntStream.range(0, 25).mapToObj(i -> Arguments.of(700L + i));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void freshKeysInEachProvidersFormAreNotPlaceholders(long seed) {
    Random r = new Random(seed);
    String hex = Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong());
    byte[] raw = new byte[24];
    r.nextBytes(raw);
    String b64 = java.util.Base64.getEncoder().encodeToString(raw);
    assertThat(
            List.of(
                "rpa_" + hex.toUpperCase(java.util.Locale.ROOT),
                "r8_" + hex,
                "hf_" + hex,
                "wk-" + hex.substring(0, 12),
                "ws-" + hex.substring(4),
                "whsec_" + b64,
                "comfyui-" + hex,
                b64))
        .noneMatch(Placeholders::is);
  }
}

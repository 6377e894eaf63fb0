package io.comfyvn.compute.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeedsTest {
  private final ObjectMapper m = Json.mapper();

  private ObjectNode obj(String json) throws Exception {
    return (ObjectNode) m.readTree(json);
  }

  @Test
  void requestSeedWinsThenJobSeedThenHash() throws Exception {
    ObjectNode job = obj("{\"seed\": 9, \"x\": 1}");
    assertThat(Seeds.resolve(m.readTree("4"), job)).isEqualTo(4);
    assertThat(Seeds.resolve(null, job)).isEqualTo(9);
    long h = Seeds.resolve(null, obj("{\"x\": 1}"));
    assertThat(h).isBetween(0L, Seeds.MAX_SEED);
  }

  @ParameterizedTest
  @ValueSource(longs = {1L, 7L, 42L, 20261129L})
  void hashIgnoresKeyOrderAtEveryLevel(long seed) throws Exception {
    Random rnd = new Random(seed);
    ObjectNode a = m.createObjectNode();
    ObjectNode b = m.createObjectNode();
    String[] keys = {"k1", "k2", "k3", "k4", "k5"};
    int[] values = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      values[i] = rnd.nextInt(1000);
    }
    for (int i = 0; i < keys.length; i++) {
      a.putObject(keys[i]).put("v", values[i]).put("w", i);
    }
    for (int i = keys.length - 1; i >= 0; i--) {
      b.putObject(keys[i]).put("w", i).put("v", values[i]);
    }
    assertThat(Seeds.resolve(null, a)).isEqualTo(Seeds.resolve(null, b));
    assertThat(Seeds.fingerprint(a)).isEqualTo(Seeds.fingerprint(b));
    a.put("extra", 1);
    assertThat(Seeds.fingerprint(a)).isNotEqualTo(Seeds.fingerprint(b));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "1.5", "\"7\"", "true", "[1]", "9007199254740992"})
  void rejectsSeedsThatAreNotSmallWholeNumbers(String seed) throws Exception {
    assertThatThrownBy(() -> Seeds.resolve(m.readTree(seed), obj("{}")))
        .isInstanceOf(ComputeException.class)
        .hasMessageContaining("seed");
  }

  @Test
  void mockIdsRoundTrip() {
    assertThat(MockIds.of("runpod", 42)).isEqualTo("mock-runpod-42");
    assertThat(MockIds.parse("mock-runpod-42")).hasValue(new MockIds.MockId("runpod", 42));
    assertThat(MockIds.parse("mock-runpod-")).isEmpty();
    assertThat(MockIds.parse("mock--1")).isEmpty();
    assertThat(MockIds.parse("mock-runpod-99999999999999999")).isEmpty();
  }
}

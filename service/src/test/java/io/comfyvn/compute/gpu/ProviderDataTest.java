package io.comfyvn.compute.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.support.LiveContexts;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Provider rate-limit and timeout data is checked when it is read (at start-up), and a bad entry is
 * reported by file and entry, not as an exception on every submit.
 */
class ProviderDataTest {
  private static final String FILE = "io/comfyvn/compute/gpu/testprov/provider.json";

  private static ProviderDescriptor read(String limits, String timeouts) {
    String json =
        "{\"slug\":\"testprov\",\"name\":\"T\",\"aliases\":[],\"secrets\":[],\"docs_url\":\"\","
            + "\"pricing_url\":\"\",\"pricing_as_of\":\"2026-01-01\",\"hints\":{\"base_url\":\"\","
            + "\"regions\":[],\"hardware\":[],\"settings\":{}},\"capabilities\":[]"
            + (limits == null ? "" : ",\"limits\":" + limits)
            + (timeouts == null ? "" : ",\"timeouts_ms\":" + timeouts)
            + "}";
    return ProviderDescriptor.read(
        FILE, new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void everyShippedProviderLoadsWithLimitsAndTimeoutsForEveryOperation() {
    GpuProviders all = GpuProviders.discover();
    assertThat(all.slugs()).isNotEmpty();
    for (String slug : all.slugs()) {
      ProviderDescriptor d = all.require(slug).descriptor();
      assertThat(d.limits()).as(slug).containsOnlyKeys("create", "read", "cancel");
      assertThat(d.timeoutsMs()).as(slug).containsOnlyKeys("create", "read", "cancel");
      var s = d.resilience(LiveContexts.settings("{}"));
      for (Op op : Op.values()) {
        assertThat(s.timeout(op)).as(slug + " " + op).isPositive();
      }
    }
  }

  @ParameterizedTest(name = "{0} / {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"create\":{\"permits\":0,\"period_ms\":1000}} | | limits.create: permits must be a whole"
            + " number of at least 1",
        "{\"read\":{\"permits\":5,\"period_ms\":0}} | | limits.read: period_ms must be a whole number"
            + " of at least 1",
        "{\"read\":{\"permits\":\"many\",\"period_ms\":10}} | | limits.read.permits: unreadable value",
        "{\"creat\":{\"permits\":5,\"period_ms\":10}} | | limits.creat: not an operation (create,"
            + " read, cancel)",
        " | {\"create\":0} | timeouts_ms.create: must be a whole number of ms, at least 1",
        " | {\"poll\":1000} | timeouts_ms.poll: not an operation (create, read, cancel)",
      })
  void aBadEntryIsNamedByFileAndEntry(String limits, String timeouts, String message) {
    assertThatThrownBy(() -> read(limits, timeouts))
        .isInstanceOf(ConfigException.class)
        .hasMessage(FILE + ": " + message);
  }

  @Test
  void documentedFiguresAreTheDefaultsAndTheConfigOverridesThem() {
    ProviderDescriptor d =
        read("{\"create\":{\"permits\":1,\"period_ms\":1000}}", "{\"create\":60000,\"read\":2000}");
    var shipped = d.resilience(LiveContexts.settings("{}"));
    assertThat(shipped.limits().get(Op.CREATE).permits()).isEqualTo(1);
    assertThat(shipped.timeout(Op.CREATE)).isEqualTo(Duration.ofMinutes(1));
    assertThat(shipped.timeout(Op.READ)).isEqualTo(Duration.ofSeconds(2));
    assertThat(shipped.timeout(Op.CANCEL)).isEqualTo(Duration.ofSeconds(10));
    ProviderSettings overridden =
        withResilience(
            "{\"rate_limits\":{\"create\":{\"permits\":3}},\"timeouts\":{\"read_ms\":500},"
                + "\"limiter_max_wait_ms\":100}");
    var s = d.resilience(overridden);
    assertThat(s.limits().get(Op.CREATE).permits()).isEqualTo(3);
    assertThat(s.limits().get(Op.CREATE).periodMs()).isEqualTo(1000);
    assertThat(s.timeout(Op.READ)).isEqualTo(Duration.ofMillis(500));
    assertThat(s.limiterMaxWait()).isEqualTo(Duration.ofMillis(100));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"rate_limits\":{\"create\":{\"permits\":0}}} | providers_gpu.testprov.resilience"
            + ".rate_limits.create: permits must be a whole number of at least 1",
        "{\"rate_limits\":{\"read\":{\"period_ms\":-1}}} | providers_gpu.testprov.resilience"
            + ".rate_limits.read.period_ms must be a whole number of at least 0",
        "{\"timeouts\":{\"create_ms\":0}} | providers_gpu.testprov.resilience.timeouts.create_ms"
            + " must be at least 1",
        "{\"timeouts\":{\"cancel_ms\":\"soon\"}} | providers_gpu.testprov.resilience.timeouts"
            + ".cancel_ms must be a whole number of at least 0",
      })
  void aBadOverrideIsNamedBySetting(String resilience, String message) {
    ProviderDescriptor d = read(null, null);
    assertThatThrownBy(() -> d.resilience(withResilience(resilience)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  private static ProviderSettings withResilience(String json) {
    try {
      ProviderSettings s = LiveContexts.settings("{}");
      s.settings().set("resilience", LiveContexts.MAPPER.readTree(json));
      return s;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}

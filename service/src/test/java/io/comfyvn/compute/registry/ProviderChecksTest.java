package io.comfyvn.compute.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Per-service checks against a scripted transport: every outcome is an answer, never a throw. */
class ProviderChecksTest {
  private static final ProviderTemplates TEMPLATES =
      new ProviderTemplates(PricingCatalog.load(AdvisorSettings.DEFAULTS));
  private static final String KEY = "RP_unit_canary_9";

  @TempDir Path home;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T12:00:00Z"));
  private final ScriptedTransport transport = new ScriptedTransport();

  private ProviderChecks checks() {
    SecretStore secrets = new SecretStore(home, Json.mapper());
    return new ProviderChecks(
        new EgressGuard(transport, LiveContexts.testPolicy(), secrets::all),
        secrets,
        Json.mapper(),
        clock,
        Duration.ofSeconds(1));
  }

  private static ComputeProvider entry(String service, String baseUrl) {
    ObjectNode in = JsonNodeFactory.instance.objectNode();
    in.put("id", "p1").put("service", service).put("base_url", baseUrl);
    return Entries.parse(in, null, Instant.EPOCH, false);
  }

  @ParameterizedTest(name = "{0} -> ok={2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "comfyui | 200 {\"system\":{\"comfyui_version\":\"1\"},\"devices\":[]} | true",
        "lan | 200 {} | true",
        "unraid | 500 {\"error\":\"boom\"} | false",
        "comfyui | 200 not json | false",
        "local | 404 gone | false",
      })
  void comfyuiBoxesAreCheckedThroughSystemStats(String service, String answer, boolean ok) {
    int status = Integer.parseInt(answer.substring(0, 3));
    transport.reply(status, answer.substring(4));
    ObjectNode h = checks().health(entry(service, "http://127.0.0.1:8188/"));
    assertThat(h.path("ok").asBoolean()).isEqualTo(ok);
    assertThat(h.path("provider_id").asText()).isEqualTo("p1");
    assertThat(h.has("error")).isEqualTo(!ok);
    assertThat(transport.call(0).uri().toString()).isEqualTo("http://127.0.0.1:8188/system_stats");
    assertThat(transport.call(0).headers()).doesNotContainKey("Authorization");
  }

  @Test
  void anUnreachableBoxIsAnAnswer() {
    transport.fail(false);
    ObjectNode h = checks().health(entry("comfyui", "http://127.0.0.1:1"));
    assertThat(h.path("ok").asBoolean()).isFalse();
    assertThat(h.path("error").asText()).startsWith("unreachable");
  }

  @Test
  void runpodWithoutAKeySendsNothing() {
    ObjectNode h = checks().health(entry("runpod", "http://127.0.0.1:1/v2"));
    assertThat(h.path("missing_secrets").toString()).contains("runpod.api_key");
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void runpodUsesTheKeyFromTheNamedSectionAndScrubsIt() {
    new TestHome(home).secrets("{\"team_rp\":{\"token\":\"" + KEY + "\"}}");
    ObjectNode in = JsonNodeFactory.instance.objectNode();
    in.put("id", "rp").put("service", "runpod").put("base_url", "http://127.0.0.1:1/v2");
    in.putObject("meta").put("credentials", "team_rp");
    ComputeProvider p = Entries.parse(in, null, Instant.EPOCH, false);
    transport.json(403, "{\"title\":\"Forbidden\",\"detail\":\"key " + KEY + " lacks read\"}");

    ObjectNode h = checks().health(p);

    assertThat(transport.call(0).headers().get("Authorization")).isEqualTo("Bearer " + KEY);
    assertThat(h.path("status_code").asInt()).isEqualTo(403);
    assertThat(h.toString()).doesNotContain(KEY).contains("key *** lacks read");
  }

  @ParameterizedTest
  @CsvSource({"vast.ai", "aws", "ssh", "custom"})
  void otherServicesAreNotSupported(String service) {
    ProviderChecks c = checks();
    ComputeProvider p = entry(service, "http://127.0.0.1:1");
    assertThat(c.health(p).path("error").asText()).contains("not supported");
    assertThat(c.quota(p).path("error").asText()).isEqualTo("quota inspection not supported");
    assertThat(c.templates(p).path("error").asText())
        .isEqualTo("template enumeration not available");
    assertThat(transport.calls()).isEmpty();
  }

  static List<ProviderTemplates.Template> templates() {
    return TEMPLATES.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("templates")
  void everyTemplateMakesAValidEntry(ProviderTemplates.Template t) {
    ComputeProvider p =
        Entries.parse(
            TEMPLATES.payload(t, JsonNodeFactory.instance.objectNode()),
            null,
            clock.instant(),
            false);
    assertThat(p.id()).isEqualTo(t.id());
    assertThat(ComputeProvider.KINDS).contains(p.kind());
    assertThat(p.meta().path("template").asText()).isEqualTo(t.id());
    assertThat(p.credentialsSection()).isEqualTo(t.service());
  }
}

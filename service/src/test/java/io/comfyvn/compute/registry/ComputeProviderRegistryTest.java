package io.comfyvn.compute.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.fakes.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ComputeProviderRegistryTest {
  private static final ObjectMapper MAPPER = Json.mapper();
  private static final ProviderTemplates TEMPLATES =
      new ProviderTemplates(PricingCatalog.load(AdvisorSettings.DEFAULTS));

  @TempDir Path home;
  private final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T12:00:00Z"));

  private ComputeProviderRegistry open(String config) {
    return ComputeProviderRegistry.open(
        home, json(config), TEMPLATES.localDefault(clock.instant()), MAPPER, clock);
  }

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) MAPPER.readTree(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String file() throws IOException {
    return Files.readString(home.resolve(ComputeProviderRegistry.FILE));
  }

  @Test
  void firstStartSeedsFromComfyvnJsonAndAlwaysHasLocal() throws IOException {
    ComputeProviderRegistry r =
        open(
            "{\"providers\":[{\"id\":\"rp\",\"kind\":\"runpod\",\"base\":\"http://127.0.0.1:9/v2\"},"
                + "{\"id\":\"attic\",\"kind\":\"unraid\",\"endpoint\":\"http://127.0.0.1:8/\"}]}");

    assertThat(r.list()).extracting(ComputeProvider::id).containsExactly("local", "attic", "rp");
    ComputeProvider rp = r.get("rp").orElseThrow();
    assertThat(rp.kind()).isEqualTo("remote");
    assertThat(rp.service()).isEqualTo("runpod");
    assertThat(rp.baseUrl()).isEqualTo("http://127.0.0.1:9/v2");
    assertThat(r.get("attic").orElseThrow().kind()).isEqualTo("lan");
    assertThat(r.get("local").orElseThrow().service()).isEqualTo("comfyui");
    assertThat(json(file()).path("providers")).hasSize(3);
  }

  @Test
  void seedIsSkippedWhenComputeIsTurnedOff() {
    ComputeProviderRegistry r =
        open(
            "{\"features\":{\"enable_compute\":false},"
                + "\"providers\":[{\"id\":\"rp\",\"base_url\":\"http://127.0.0.1:9\"}]}");
    assertThat(r.list()).extracting(ComputeProvider::id).containsExactly("local");
  }

  @Test
  void aBadSeedIsAConfigErrorNamingTheEntry() {
    assertThatThrownBy(() -> open("{\"providers\":[{\"id\":\"rp\"}]}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providers[0]")
        .hasMessageContaining("base_url");
  }

  @Test
  void changesPersistAndReloadWithUnknownKeysKept() throws IOException {
    ComputeProviderRegistry r = open("{}");
    r.register(
        json(
            "{\"id\":\"runpod\",\"name\":\"RunPod\",\"kind\":\"remote\",\"service\":\"runpod\","
                + "\"base_url\":\"http://127.0.0.1:9/v2\",\"meta\":{\"gpu\":\"A10G\"},"
                + "\"future_field\":{\"x\":1}}"));
    ObjectNode onDisk = json(file());
    onDisk.put("schema_note", "kept");
    Files.writeString(home.resolve(ComputeProviderRegistry.FILE), onDisk.toString());

    ComputeProviderRegistry again = open("{}");
    ComputeProvider rp = again.get("runpod").orElseThrow();
    assertThat(rp.meta().path("gpu").asText()).isEqualTo("A10G");
    assertThat(rp.extra().path("future_field").path("x").asInt()).isEqualTo(1);
    again.setActive("runpod", false);
    JsonNode rewritten = json(file());
    assertThat(rewritten.path("schema_note").asText()).isEqualTo("kept");
    assertThat(rewritten.toString()).contains("future_field");
    assertThat(open("{}").get("runpod").orElseThrow().active()).isFalse();
  }

  @Test
  void localCannotBeRemovedButOthersCan() {
    ComputeProviderRegistry r = open("{}");
    r.register(json("{\"id\":\"lan1\",\"kind\":\"lan\",\"base_url\":\"http://127.0.0.1:8\"}"));
    assertThatThrownBy(() -> r.remove("local"))
        .isInstanceOfSatisfying(
            ComputeException.class, e -> assertThat(e.code()).isEqualTo("local_not_removable"));
    assertThat(r.remove("lan1").id()).isEqualTo("lan1");
    assertThat(open("{}").list()).extracting(ComputeProvider::id).containsExactly("local");
  }

  @Test
  void aRegistryFileWithoutLocalGetsItBack() throws IOException {
    Files.createDirectories(home.resolve("config"));
    Files.writeString(
        home.resolve(ComputeProviderRegistry.FILE),
        "{\"providers\":[{\"id\":\"x\",\"base_url\":\"http://127.0.0.1:7\"}]}");
    assertThat(open("{}").list()).extracting(ComputeProvider::id).contains("local", "x");
    assertThat(file()).contains("\"local\"");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"providers\": [",
        "[]",
        "{\"providers\": {}}",
        "{\"providers\": [42]}",
        "{\"providers\": [{\"id\": \"x\"}]}",
        "{\"providers\": [{\"id\": \"x\", \"base_url\": \"http://127.0.0.1\"},"
            + " {\"id\": \"x\", \"base_url\": \"http://127.0.0.1\"}]}"
      })
  void aCorruptFileIsReportedAndNeverOverwritten(String text) throws IOException {
    Files.createDirectories(home.resolve("config"));
    Files.writeString(home.resolve(ComputeProviderRegistry.FILE), text);

    ComputeProviderRegistry r = open("{}");

    assertThat(r.problem()).hasValueSatisfying(p -> assertThat(p).contains("compute_providers"));
    assertThat(r.list()).extracting(ComputeProvider::id).containsExactly("local");
    assertThatThrownBy(() -> r.register(json("{\"id\":\"y\",\"base_url\":\"http://127.0.0.1:1\"}")))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.CONFLICT);
              assertThat(e.code()).isEqualTo("registry_unreadable");
            });
    r.recordHealth("local", json("{\"ok\":false}"));
    assertThat(file()).isEqualTo(text);
  }

  @Test
  void secretsAreRefusedAndSecretLookingValuesMasked() {
    ComputeProviderRegistry r = open("{}");
    assertThatThrownBy(
            () ->
                r.register(
                    json(
                        "{\"id\":\"rp\",\"base_url\":\"http://127.0.0.1:1\","
                            + "\"config\":{\"api_key\":\"RP_live_123\"}}")))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.code()).isEqualTo("secret_not_allowed");
              assertThat(e.getMessage()).contains("config.api_key").doesNotContain("RP_live_123");
            });
    assertThatThrownBy(
            () -> r.register(json("{\"id\":\"rp\",\"base_url\":\"http://u:pw@127.0.0.1:1\"}")))
        .isInstanceOf(ComputeException.class);
    // an export's masked placeholders are no secret and import again
    ComputeProvider p =
        r.register(
            json(
                "{\"id\":\"rp\",\"base_url\":\"http://127.0.0.1:1\","
                    + "\"config\":{\"api_key\":\"***\",\"region\":\"eu\"}}"));
    assertThat(Entries.masked(p).path("config").path("region").asText()).isEqualTo("eu");

    ObjectNode nested =
        json(
            "{\"a\":{\"Password\":\"p\",\"list\":[{\"access_token\":\"t\"}]},"
                + "\"blank_key\":\"\",\"keep\":\"v\"}");
    ObjectNode masked = Entries.mask(nested);
    assertThat(masked.toString())
        .doesNotContain("\"p\"")
        .doesNotContain("\"t\"")
        .contains("\"keep\":\"v\"");
    assertThat(masked.path("a").path("Password").asText()).isEqualTo("***");
    assertThat(masked.path("blank_key").asText()).isEmpty();
  }

  @Test
  void orderAndActivateChangePriorityAndState() {
    ComputeProviderRegistry r = open("{}");
    r.register(json("{\"id\":\"a\",\"base_url\":\"http://127.0.0.1:1\"}"));
    r.register(json("{\"id\":\"b\",\"base_url\":\"http://127.0.0.1:2\"}"));
    assertThat(r.order(List.of("b", "a")))
        .extracting(ComputeProvider::id)
        .containsExactly("b", "a", "local");
    assertThatThrownBy(() -> r.order(List.of("a", "a"))).isInstanceOf(ComputeException.class);
    assertThatThrownBy(() -> r.order(List.of("nope")))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> assertThat(e.kind()).isEqualTo(ComputeException.Kind.NOT_FOUND));
  }

  @Test
  void importSkipsOrOverwritesAndReplaceKeepsLocal() {
    ComputeProviderRegistry r = open("{}");
    r.register(json("{\"id\":\"a\",\"name\":\"A\",\"base_url\":\"http://127.0.0.1:1\"}"));
    List<ObjectNode> batch =
        List.of(
            json("{\"id\":\"a\",\"name\":\"A2\",\"base_url\":\"http://127.0.0.1:1\"}"),
            json("{\"id\":\"b\",\"base_url\":\"http://127.0.0.1:2\"}"));

    ComputeProviderRegistry.ImportResult first = r.importAll(batch, false, false);
    assertThat(first.imported()).containsExactly("b");
    assertThat(first.skipped()).containsExactly("a");
    assertThat(r.get("a").orElseThrow().name()).isEqualTo("A");

    assertThat(r.importAll(batch, false, true).imported()).containsExactly("a", "b");
    assertThat(r.get("a").orElseThrow().name()).isEqualTo("A2");

    r.importAll(List.of(json("{\"id\":\"c\",\"base_url\":\"http://127.0.0.1:3\"}")), true, false);
    assertThat(r.list()).extracting(ComputeProvider::id).containsExactlyInAnyOrder("local", "c");
  }

  @Test
  void oneBadEntryRefusesTheWholeImport() {
    ComputeProviderRegistry r = open("{}");
    assertThatThrownBy(
            () ->
                r.importAll(
                    List.of(
                        json("{\"id\":\"ok1\",\"base_url\":\"http://127.0.0.1:1\"}"),
                        json("{\"id\":\"bad\"}")),
                    false,
                    false))
        .hasMessageContaining("providers[1]");
    assertThat(r.get("ok1")).isEmpty();
  }

  @Test
  void concurrentRegistrationsAllLand() throws Exception {
    ComputeProviderRegistry r = open("{}");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<ComputeProvider>> futures = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String id = "p" + i;
        futures.add(
            pool.submit(
                () ->
                    r.register(
                        json("{\"id\":\"" + id + "\",\"base_url\":\"http://127.0.0.1:1\"}"))));
      }
      for (Future<ComputeProvider> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(r.list()).hasSize(65);
    assertThat(open("{}").list()).hasSize(65);
    try (var files = Files.list(home.resolve("config"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactly("compute_providers.json");
    }
  }

  @Test
  void templatesComeFromTheCatalogsLegacyProfiles() {
    assertThat(TEMPLATES.all())
        .extracting(ProviderTemplates.Template::id)
        .contains("local", "runpod_pods", "unraid", "vast", "lambda", "onprem_ssh")
        .doesNotContain("huggingface", "replicate", "modal");
    assertThat(TEMPLATES.find("runpod").orElseThrow().id()).isEqualTo("runpod_pods");
    ProviderTemplates.Template unraid = TEMPLATES.require("unraid");
    assertThat(unraid.kind()).isEqualTo("lan");
    assertThatThrownBy(() -> TEMPLATES.require("nope"))
        .isInstanceOfSatisfying(
            ComputeException.class, e -> assertThat(e.code()).isEqualTo("unknown_template"));
  }
}

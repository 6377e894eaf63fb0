package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeConfigWriterTest {
  private static final ObjectMapper MAPPER = Json.mapper();
  @TempDir Path home;

  /** The handshake the fakes really print, for fixed credentials. */
  private static ObjectNode handshake() {
    FakeProviders fakes =
        new FakeProviders(Clock.systemUTC(), FakeSettings.forCli(), FakeCredentials.random());
    return fakes.cliConfig();
  }

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private JsonNode read(String relative) throws Exception {
    return MAPPER.readTree(home.resolve(relative).toFile());
  }

  @Test
  void anEmptyHomeGetsLiveSettingsTheServiceReadsAndOwnerOnlySecrets() throws Exception {
    ObjectNode h = handshake();
    FakeConfigWriter.Written w = new FakeConfigWriter(MAPPER).write(home, h);

    assertThat(w.backups()).isEmpty();
    JsonNode config = read(FakeConfigWriter.CONFIG);
    assertThat(config.at("/features/enable_public_gpu_adapters").asBoolean()).isTrue();
    assertThat(config.get("providers_gpu")).isEqualTo(h.get("providers_gpu"));
    assertThat(config.has("secrets")).isFalse();
    assertThat(read(FakeConfigWriter.SECRETS)).isEqualTo(h.get("secrets"));
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(home.resolve(FakeConfigWriter.SECRETS))))
        .isEqualTo("rw-------");
    // The service's own loader sees live mode for every provider the fakes serve.
    var loaded = new ConfigLoader(MAPPER).load(home);
    h.get("providers_gpu")
        .fieldNames()
        .forEachRemaining(
            slug ->
                assertThat(loaded.provider(slug).mode())
                    .as(slug)
                    .isEqualTo(ProviderSettings.ConfiguredMode.LIVE));
    // no temp file left behind
    try (var files = Files.list(home.resolve("config"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("comfyvn.json", "comfyvn.secrets.json");
    }
  }

  @Test
  void whatTheFilesAlreadyHoldIsKeptAndTheOldFilesAreBackedUp() throws Exception {
    new TestHome(home)
        .config(
            "{\"features\":{\"my_flag\":true},\"advisor\":{\"sim\":{\"time_scale\":0.5}},"
                + "\"providers_gpu\":{\"runpod\":{\"region\":\"EU\",\"mode\":\"dry_run\"}}}")
        .secrets("{\"runpod\":{\"api_key\":\"MY-REAL-KEY\"},\"custom\":{\"token\":\"keep-me\"}}");
    ObjectNode h = handshake();
    FakeConfigWriter.Written w = new FakeConfigWriter(MAPPER).write(home, h);

    JsonNode config = read(FakeConfigWriter.CONFIG);
    assertThat(config.at("/features/my_flag").asBoolean()).isTrue();
    assertThat(config.at("/advisor/sim/time_scale").asDouble()).isEqualTo(0.5);
    assertThat(config.at("/providers_gpu/runpod/region").asText()).isEqualTo("EU");
    assertThat(config.at("/providers_gpu/runpod/mode").asText()).isEqualTo("live");
    JsonNode secrets = read(FakeConfigWriter.SECRETS);
    assertThat(secrets.at("/custom/token").asText()).isEqualTo("keep-me");
    assertThat(secrets.at("/runpod/api_key").asText())
        .isEqualTo(h.at("/secrets/runpod/api_key").asText());

    Path secretsBackup = home.resolve(FakeConfigWriter.SECRETS + ".bak");
    assertThat(w.backups())
        .containsExactly(home.resolve(FakeConfigWriter.CONFIG + ".bak"), secretsBackup);
    assertThat(Files.readString(secretsBackup)).contains("MY-REAL-KEY");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretsBackup)))
        .isEqualTo("rw-------");
  }

  @Test
  void writingTheSameHandshakeAgainChangesNothing() throws Exception {
    ObjectNode h = handshake();
    new FakeConfigWriter(MAPPER).write(home, h);
    FakeConfigWriter.Written again = new FakeConfigWriter(MAPPER).write(home, h);
    assertThat(again.backups()).isEmpty();
  }

  @Test
  void aBrokenSecretsFileIsLeftAloneAndNotQuoted() throws Exception {
    String broken = "{\"runpod\": {\"api_key\": \"CANARY-7f3a\",}";
    new TestHome(home).secrets(broken);
    assertThatThrownBy(() -> new FakeConfigWriter(MAPPER).write(home, handshake()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("comfyvn.secrets.json")
        .hasMessageContaining("line 1")
        .hasMessageNotContaining("CANARY");
    assertThat(Files.readString(home.resolve(FakeConfigWriter.SECRETS))).isEqualTo(broken);
    // nothing half-done: the config file was not written either
    assertThat(home.resolve(FakeConfigWriter.CONFIG)).doesNotExist();
  }

  @Test
  void theUsersAllowedOriginsAreKeptAndTheFakesOriginAddedOnce() throws Exception {
    new TestHome(home)
        .config(
            "{\"egress\":{\"allowed_base_urls\":[\"https://comfy.lan:8443\","
                + "\"http://10.0.0.7:8188\"]}}");
    ObjectNode h = handshake();
    String fakes = h.at("/egress/allowed_base_urls/0").asText();
    new FakeConfigWriter(MAPPER).write(home, h);
    new FakeConfigWriter(MAPPER).write(home, h); // a second run adds nothing

    JsonNode urls = read(FakeConfigWriter.CONFIG).at("/egress/allowed_base_urls");
    assertThat(urls)
        .extracting(JsonNode::asText)
        .containsExactly("https://comfy.lan:8443", "http://10.0.0.7:8188", fakes);
  }

  @Test
  void listsMergeAsASetUnionInTheirOrderAtAnyDepth() {
    ObjectNode base = (ObjectNode) json("{\"a\":{\"l\":[1,{\"x\":2},3]},\"b\":[\"k\"]}");
    ObjectNode over = (ObjectNode) json("{\"a\":{\"l\":[3,4,{\"x\":2}]},\"b\":\"s\"}");
    ObjectNode merged = FakeConfigWriter.deepMerge(base, over);
    assertThat(merged.toString()).isEqualTo("{\"a\":{\"l\":[1,{\"x\":2},3,4]},\"b\":\"s\"}");
    // the inputs are not changed
    assertThat(base.toString()).isEqualTo("{\"a\":{\"l\":[1,{\"x\":2},3]},\"b\":[\"k\"]}");
  }
}

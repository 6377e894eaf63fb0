package io.comfyvn.compute.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretStoreTest {
  @TempDir Path dir;

  private ProviderDescriptor descriptor(String slug) {
    return GpuProviders.discover().require(slug).descriptor();
  }

  @ParameterizedTest(name = "{0} from {1}")
  @CsvSource({
    "runpod, '{\"runpod\":{\"api_key\":\"v\"}}'",
    "runpod, '{\"RunPod\":{\"token\":\"v\"}}'",
    "huggingface, '{\"huggingface\":{\"api_key\":\"v\"}}'",
    "huggingface, '{\"hf_inference_endpoints\":{\"token\":\"v\"}}'",
    "huggingface, '{\"hf_inference_endpoints\":{\"api_token\":\"v\"}}'",
    "replicate, '{\"replicate\":{\"api_token\":\"v\"}}'",
    "replicate, '{\"replicate\":{\"api_key\":\"v\"}}'",
    "modal, '{\"modal\":{\"token_id\":\"v\",\"token_secret\":\"w\"}}'",
  })
  void acceptsTheWorkOrderLayoutAndComfyVnSpellings(String slug, String json) {
    new TestHome(dir).secrets(json);
    SecretStore store = new SecretStore(dir, Json.mapper());
    assertThat(store.missing(descriptor(slug).secretKeys())).isEmpty();
  }

  @Test
  void modalNeedsBothHalves() {
    new TestHome(dir).secrets("{\"modal\":{\"token_id\":\"v\",\"token_secret\":\"  \"}}");
    SecretStore store = new SecretStore(dir, Json.mapper());
    assertThat(store.missing(descriptor("modal").secretKeys()))
        .containsExactly("modal.token_secret");
  }

  @Test
  void absentFileMeansEverythingMissingAndNoProblem() {
    SecretStore store = new SecretStore(dir, Json.mapper());
    assertThat(store.missing(descriptor("runpod").secretKeys())).containsExactly("runpod.api_key");
    assertThat(store.problem()).isEmpty();
  }

  @Test
  void rereadsTheFileWhenItChanges() throws Exception {
    TestHome home = new TestHome(dir).secrets("{}");
    SecretStore store = new SecretStore(dir, Json.mapper());
    assertThat(store.missing(descriptor("replicate").secretKeys())).hasSize(1);
    home.secrets("{\"replicate\":{\"api_token\":\"r8_new\"}}");
    Files.setLastModifiedTime(
        dir.resolve(SecretStore.SECRETS_FILE), FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(store.missing(descriptor("replicate").secretKeys())).isEmpty();
    assertThat(store.find(descriptor("replicate").secretKeys().get(0)).orElseThrow().reveal())
        .isEqualTo("r8_new");
  }

  @Test
  void malformedFileIsEmptyAndReportedWithoutContent() {
    new TestHome(dir).secrets("{\"runpod\": {\"api_key\": SECRET-VALUE}}");
    SecretStore store = new SecretStore(dir, Json.mapper());
    assertThat(store.missing(descriptor("runpod").secretKeys())).hasSize(1);
    assertThat(store.problem())
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("comfyvn.secrets.json", "line 1")
                    .doesNotContain("SECRET-VALUE"));
  }

  @Test
  void secretNeverPrintsItself() {
    Secret s = Secret.of("hunter2");
    assertThat(s.toString()).isEqualTo("***");
    assertThat(String.valueOf(List.of(s))).doesNotContain("hunter2");
    assertThat(s.reveal()).isEqualTo("hunter2");
  }

  private static List<SecretKey> known() {
    List<SecretKey> out = new java.util.ArrayList<>();
    GpuProviders.discover()
        .all()
        .forEach(
            p -> {
              out.addAll(p.descriptor().secretKeys());
              out.addAll(p.descriptor().optionalSecretKeys());
            });
    out.add(SecretStore.API_TOKEN);
    out.add(SecretStore.STORE_USER);
    out.add(SecretStore.STORE_PASSWORD);
    return out;
  }

  private void touch(int seconds) throws Exception {
    Files.setLastModifiedTime(
        dir.resolve(SecretStore.SECRETS_FILE),
        FileTime.from(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(seconds)));
  }

  @Test
  void theSamplesPlaceholdersCountAsMissingAndAreReportedByNameOnly() throws Exception {
    String sample =
        Files.readString(
            io.comfyvn.compute.support.Repo.file("config/comfyvn.secrets.json.sample"));
    new TestHome(dir).secrets(sample);
    SecretStore store = new SecretStore(dir, Json.mapper());
    for (GpuProvider p : GpuProviders.discover().all()) {
      assertThat(store.missing(p.descriptor().secretKeys()))
          .as(p.descriptor().slug())
          .hasSameSizeAs(p.descriptor().secretKeys());
    }
    assertThat(store.all().values()).allSatisfy(fields -> assertThat(fields).isEmpty());
    assertThat(store.problem())
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("runpod.api_key", "modal.token_secret", "placeholder")
                    .doesNotContain("RP_...", "r8_...", "hf_..."));
    assertThat(store.problems(known()))
        .filteredOn(c -> c.message().contains("placeholder"))
        .extracting(c -> c.path())
        .containsExactlyInAnyOrder(
            "comfy_cloud.api_key",
            "huggingface.api_key",
            "modal.token_id",
            "modal.token_secret",
            "replicate.api_token",
            "runpod.api_key");
  }

  @Test
  void aFileBrokenOnAReReadKeepsTheSecretsReadBefore() throws Exception {
    TestHome home = new TestHome(dir).secrets("{\"replicate\":{\"api_token\":\"r8_good\"}}");
    touch(1);
    SecretStore store = new SecretStore(dir, Json.mapper());
    SecretKey key = descriptor("replicate").secretKeys().get(0);
    assertThat(store.find(key)).isPresent();

    home.secrets("{\"replicate\":{\"api_token\":\"r8_half-saved");
    touch(2);
    assertThat(store.find(key).orElseThrow().reveal()).isEqualTo("r8_good");
    assertThat(store.problem())
        .hasValueSatisfying(
            p -> assertThat(p).contains("not valid JSON", "keeping").doesNotContain("half"));
    home.secrets("{\"replicate\":{\"api_token\":\"r8_half-saved-again");
    touch(3);
    assertThat(store.find(key).orElseThrow().reveal()).isEqualTo("r8_good");

    home.secrets("{\"replicate\":{\"api_token\":\"r8_fixed\"}}");
    touch(4);
    assertThat(store.find(key).orElseThrow().reveal()).isEqualTo("r8_fixed");
    assertThat(store.problem()).isEmpty();
  }

  @Test
  void unknownFieldsOfKnownSectionsAndNearMissSectionsAreWarnedWithTheNearestName() {
    new TestHome(dir)
        .secrets(
            "{\"runpod\":{\"apikey\":\"k1\"},\"replicat\":{\"api_token\":\"k2\"},"
                + "\"my_lan_box\":{\"token\":\"k3\"},\"modal\":{\"token_id\":7}}");
    SecretStore store = new SecretStore(dir, Json.mapper());
    List<io.comfyvn.compute.config.ConfigProblem> p = store.problems(known());
    assertThat(p)
        .anySatisfy(
            w -> {
              assertThat(w.path()).isEqualTo("runpod.apikey");
              assertThat(w.didYouMean()).contains("api_key");
            })
        .anySatisfy(
            w -> {
              assertThat(w.path()).isEqualTo("replicat");
              assertThat(w.didYouMean()).contains("replicate");
            })
        .anySatisfy(
            w -> {
              assertThat(w.path()).isEqualTo("modal.token_id");
              assertThat(w.message()).contains("must be a string");
            })
        // a section no provider names may be a registry entry's credentials: not reported
        .noneSatisfy(w -> assertThat(w.path()).startsWith("my_lan_box"))
        .allSatisfy(w -> assertThat(w.describe()).doesNotContain("k1", "k2", "k3"));
  }
}

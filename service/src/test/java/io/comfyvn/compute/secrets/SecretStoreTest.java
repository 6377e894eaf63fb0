package io.comfyvn.compute.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
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
}

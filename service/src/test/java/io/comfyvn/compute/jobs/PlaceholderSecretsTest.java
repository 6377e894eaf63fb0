package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.ModeDecision.Requested;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped sample's values are placeholders: with the flag on and RunPod and Replicate
 * configured live, a home holding only the sample is not ready, answers "missing token", and the
 * transport (which fails any request it was not told to expect) sees nothing.
 */
class PlaceholderSecretsTest {
  @TempDir Path dir;

  private static GpuRequest request(String provider) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.putObject("input").put("prompt", "a lighthouse");
    return new GpuRequest(
        provider,
        job,
        JsonNodeFactory.instance.objectNode(),
        JsonNodeFactory.instance.numberNode(42L),
        Requested.AUTO,
        null);
  }

  @Test
  void theSampleSecretsAreNeverSentAndNothingIsReady() throws Exception {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      // the real keys first, so the store has read a good file before the sample replaces it
      assertThat(w.gpu.providers().providers())
          .filteredOn(p -> p.slug().equals("runpod"))
          .singleElement()
          .satisfies(p -> assertThat(p.mode()).isEqualTo(Mode.LIVE));
      w.home.secrets(
          Files.readString(
              io.comfyvn.compute.support.Repo.file("config/comfyvn.secrets.json.sample")));
      Files.setLastModifiedTime(
          dir.resolve(SecretStore.SECRETS_FILE),
          FileTime.from(Instant.parse("2031-01-01T00:00:00Z")));

      for (String provider : new String[] {"runpod", "replicate"}) {
        Results.Submit s = w.gpu.submit(request(provider));
        assertThat(s.ok()).as(provider).isFalse();
        assertThat(s.mode()).isEqualTo(Mode.DRY_RUN);
        assertThat(s.reason()).isEqualTo("missing token");
        assertThat(s.missingSecrets()).isNotEmpty();
        assertThat(w.gpu.health(provider, Requested.AUTO).ok()).isFalse();
      }
      Results.Providers answer = w.gpu.providers();
      assertThat(answer.providers())
          .filteredOn(p -> !p.requiredSecrets().isEmpty())
          .allSatisfy(
              p -> {
                assertThat(p.ready()).as(p.slug()).isFalse();
                assertThat(p.secretsPresent()).isFalse();
              });
      assertThat(answer.secretsProblem()).contains("placeholder", "runpod.api_key");
      assertThat(w.transport.calls()).isEmpty();
    }
  }
}

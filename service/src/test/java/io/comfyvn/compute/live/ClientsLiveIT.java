package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.fakes.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Replicate, Hugging Face and Modal live clients against their fakes through the whole service:
 * submit, the tracker's polls, artifacts on disk, failure, cancel.
 */
class ClientsLiveIT {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"replicate, succeeded", "huggingface, completed", "modal, SUCCESS"})
  void aPromptRunsToAPngArtifactWithOneCreate(String provider, String providerStatus)
      throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub = h.submit(provider, "castle at dusk");
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();
      assertThat(sub.get("mode").asText()).isEqualTo("live");
      String task = sub.get("task_id").asText();

      JsonNode done = h.await(task, LiveHarness.status("done"));

      assertThat(done.get("provider_status").asText()).isEqualTo(providerStatus);
      assertThat(done.get("artifacts")).as(done.toString()).isNotEmpty();
      Path file = dir.resolve(done.get("artifacts").get(0).get("path").asText());
      byte[] png = Files.readAllBytes(file);
      assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("PNG");
      String creates = provider.equals(FakeProviders.HUGGINGFACE) ? "inference" : "create";
      assertThat(h.fakes.stats().count(provider, creates)).isEqualTo(1);
    }
  }

  @Test
  void anHfJobRunsOnHfJobsAndItsPrintedArtifactIsKept() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode sub =
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"huggingface\",\"seed\":7,\"job\":{\"docker_image\":"
                      + "\"python:3.12\",\"command\":[\"python\",\"render.py\"],"
                      + "\"input\":{\"prompt\":\"harbor\"}}}")
              .json();
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();

      JsonNode done = h.await(sub.get("task_id").asText(), LiveHarness.status("done"));

      assertThat(done.get("provider_status").asText()).isEqualTo("COMPLETED");
      assertThat(done.get("id").asText()).startsWith("comfyvn/");
      assertThat(done.get("artifacts")).as(done.toString()).isNotEmpty();
      assertThat(done.get("logs").toString()).contains("artifact: ");
      assertThat(h.fakes.stats().creates(FakeProviders.HUGGINGFACE)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @CsvSource({"replicate, failed", "modal, FAILURE"})
  void aFailedJobIsAnErrorWithTheProvidersWord(String provider, String providerStatus) {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.forceNextOutcome(provider, Outcome.FAIL);
      String task = h.submit(provider, "x").get("task_id").asText();

      JsonNode j = h.await(task, LiveHarness.status("error"));

      assertThat(j.get("provider_status").asText()).isEqualTo(providerStatus);
    }
  }

  @Test
  void aFailedInferenceIsAnErrorAndIsNotResent() {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.fakes.forceNextOutcome(FakeProviders.HUGGINGFACE, Outcome.FAIL);
      String task = h.submit("huggingface", "x").get("task_id").asText();

      JsonNode j = h.await(task, LiveHarness.status("error"));

      assertThat(j.get("provider_status").asText()).isEqualTo("failed");
      assertThat(h.fakes.stats().count(FakeProviders.HUGGINGFACE, "inference")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @CsvSource({"replicate", "modal"})
  void cancelReachesTheProvider(String provider) {
    try (LiveHarness h = new LiveHarness(dir)) {
      String task = h.submit(provider, "x").get("task_id").asText();

      JsonNode c = h.server.post("/api/providers/gpu/cancel/" + task, "").json();

      assertThat(c.get("status").asText()).as(c.toString()).isEqualTo("canceled");
      assertThat(h.fakes.stats().count(provider, "cancel")).isEqualTo(1);
    }
  }

  @Test
  void aThrottledReplicateCreateIsRetriedAndCreatesOneJob() {
    try (LiveHarness h = new LiveHarness(dir)) {
      // Retry-After: 0 is waited as told; a longer one than the door waits is handed back
      // (LiveLimitsIT), never shortened
      h.fakes.inject(Fault.tooManyRequests(FakeProviders.REPLICATE, "create", 0, 2));
      JsonNode sub = h.submit("replicate", "x");
      assertThat(sub.get("ok").asBoolean()).as(sub.toString()).isTrue();

      h.await(sub.get("task_id").asText(), LiveHarness.status("done"));

      // two 429s were refused; the third request is the only prediction the provider made
      assertThat(h.fakes.stats().creates(FakeProviders.REPLICATE)).isEqualTo(3);
    }
  }

  @ParameterizedTest
  @CsvSource({"replicate", "huggingface", "modal"})
  void healthIsLiveAndAuthenticated(String provider) {
    try (LiveHarness h = new LiveHarness(dir)) {
      JsonNode j =
          h.server.post("/api/providers/gpu/health", "{\"provider\":\"" + provider + "\"}").json();
      assertThat(j.get("ok").asBoolean()).as(j.toString()).isTrue();
      assertThat(j.get("mode").asText()).isEqualTo("live");
    }
  }
}

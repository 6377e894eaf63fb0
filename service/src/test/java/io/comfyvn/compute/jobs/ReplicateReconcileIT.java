package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Replicate workflow job (cog-comfyui) whose create answer was never read, then a restart: the
 * reconciler finds its prediction in Replicate's list by the input the client sent ({@code
 * workflow_json}, {@code input_file}, ...), not by the job as the user gave it, and a prediction of
 * the same job with another seed is never taken for it. Two worlds on one task store are the
 * process before and after the crash; the fake providers run on loopback on their own manual clock.
 */
class ReplicateReconcileIT {
  private static final String R = FakeProviders.REPLICATE;
  @TempDir Path dir;
  private FakeProviders fakes;

  @BeforeEach
  void startFakes() {
    fakes = JobsWorld.startFakes();
  }

  @AfterEach
  void stopFakes() {
    fakes.close();
  }

  /** An img2img workflow job with its input inline (small: the task keeps it). */
  private static GpuRequest img2img(int seed) throws Exception {
    return img2img(seed, 16);
  }

  private static GpuRequest img2img(int seed, int side) throws Exception {
    return JobsWorld.img2img(R, seed, side);
  }

  /** A create whose answer is never read; the task is left {@code sent} (a crash before it). */
  private String createThenCrash(MemoryTaskStore store, GpuRequest request) {
    return JobsWorld.createThenCrash(
        () -> JobsWorld.onFakeReplicate(dir, store, fakes), fakes, R, request, SubmitState.SENT);
  }

  /** A prediction as the fake's API shows it. */
  private JsonNode prediction(String id) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(fakes.baseUrl() + "/replicate/v1/predictions/" + id))
                    .header("Authorization", "Bearer " + fakes.credentials().replicateToken())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return Json.mapper().readTree(r.body());
  }

  private static String sha256(String s) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void aWorkflowJobsPredictionIsFoundByTheInputSentAndNotByAnotherSeeds() throws Exception {
    // the same job with another seed, created first (so older, as a match taken by its time
    // alone would pick it) by a process whose tasks this store does not hold
    createThenCrash(new MemoryTaskStore(), img2img(2));
    MemoryTaskStore store = new MemoryTaskStore();
    String id = createThenCrash(store, img2img(1));
    assertThat(fakes.stats().creates(R)).isEqualTo(2);

    try (JobsWorld after = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      after.clock.advance(Duration.ofSeconds(11)); // past the settle time: "not there" is believed
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.details().path("reconcile").toString())
          .as(t.message() + " " + t.details().path("reconcile"))
          .contains("\"outcome\":\"found\"");
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
      assertThat(t.providerJobId()).isNotBlank();
      // the prediction whose workflow_json carries seed 1, not the other one
      JsonNode input = prediction(t.providerJobId()).path("input");
      assertThat(sha256(input.path("workflow_json").asText()))
          .isEqualTo(t.details().path(LiveSubmits.WORKFLOW).path("hash").asText());
      assertThat(fakes.stats().creates(R)).isEqualTo(2);
    }
  }

  @Test
  void onlyAnotherSeedsPredictionInTheListIsNotOursAndTheTaskEndsNotCreated() throws Exception {
    createThenCrash(new MemoryTaskStore(), img2img(2));
    MemoryTaskStore store = new MemoryTaskStore();
    String id;
    try (JobsWorld before = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      // refused before the handler runs: nothing is made
      fakes.inject(new Fault(R, "create", Fault.Kind.DROP, 1, 0, null, null));
      assertThatThrownBy(() -> before.gpu.submit(img2img(1))).isInstanceOf(ProviderException.class);
      id = before.tasks.list(10).get(0).id();
    }
    assertThat(fakes.stats().creates(R)).isEqualTo(2);
    try (JobsWorld after = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      after.clock.advance(Duration.ofSeconds(11)); // past the settle time
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.providerJobId()).isNullOrEmpty();
      assertThat(t.details().path("reconcile").path("outcome").asText()).isEqualTo("not_there");
      assertThat(t.status()).isEqualTo(TaskStatus.ERROR);
      assertThat(t.message()).startsWith("Not created at Replicate");
    }
  }

  @Test
  void aWorkflowJobThatCannotBeRebuiltIsFoundByItsRecordedHashesAndNotByAnotherInputs()
      throws Exception {
    // a near miss first (older): the same graph and seed, another castle_sketch.png
    createThenCrash(new MemoryTaskStore(), img2img(1, 65));
    MemoryTaskStore store = new MemoryTaskStore();
    GpuRequest big = img2img(1, 64);
    assertThat(big.job().path("inputs").path("castle_sketch.png").asText().length())
        .isGreaterThan(SubmitJob.INLINE_KEPT);
    String id = createThenCrash(store, big);
    assertThat(fakes.stats().creates(R)).isEqualTo(2);
    try (JobsWorld after = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      // what the create sent cannot be rebuilt (the inline input is not kept)
      assertThat(after.tasks.get(id).orElseThrow().details().path("payload").toString())
          .contains("inline_chars");
      after.clock.advance(Duration.ofSeconds(11));
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.details().path("reconcile").toString())
          .as(t.message() + " " + t.details().path("reconcile"))
          .contains("\"outcome\":\"found\"");
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
      assertThat(t.providerJobId()).isNotBlank();
      // the prediction whose zip holds this task's input, not the near miss's
      JsonNode input = prediction(t.providerJobId()).path("input");
      JsonNode sent = t.details().path(LiveSubmits.WORKFLOW);
      assertThat(sha256(input.path("workflow_json").asText()))
          .isEqualTo(sent.path("hash").asText());
      assertThat(zipEntries(input.path("input_file").asText()))
          .isEqualTo(
              java.util.Map.of(
                  "castle_sketch.png", sent.path("inputs").path("castle_sketch.png").asText()));
      assertThat(fakes.stats().creates(R)).isEqualTo(2);
    }
  }

  @Test
  void aNearMissOfAWorkflowJobThatCannotBeRebuiltIsNotTakenAndTheTaskEndsNotCreated()
      throws Exception {
    // the same graph and seed with another input, by a process whose tasks this store lacks
    createThenCrash(new MemoryTaskStore(), img2img(1, 65));
    MemoryTaskStore store = new MemoryTaskStore();
    String id;
    try (JobsWorld before = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      // refused before the handler runs: nothing is made
      fakes.inject(new Fault(R, "create", Fault.Kind.DROP, 1, 0, null, null));
      assertThatThrownBy(() -> before.gpu.submit(img2img(1, 64)))
          .isInstanceOf(ProviderException.class);
      id = before.tasks.list(10).get(0).id();
    }
    assertThat(fakes.stats().creates(R)).isEqualTo(2);
    try (JobsWorld after = JobsWorld.onFakeReplicate(dir, store, fakes)) {
      after.clock.advance(Duration.ofSeconds(11));
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.providerJobId()).isNullOrEmpty();
      assertThat(t.details().path("reconcile").path("outcome").asText()).isEqualTo("not_there");
      assertThat(t.status()).isEqualTo(TaskStatus.ERROR);
      assertThat(t.message()).startsWith("Not created at Replicate");
    }
  }

  /** Each entry's name and sha256 in a zip data URL. */
  private static java.util.Map<String, String> zipEntries(String dataUrl) throws Exception {
    String b64 = dataUrl.substring(dataUrl.indexOf(',') + 1);
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    try (java.util.zip.ZipInputStream z =
        new java.util.zip.ZipInputStream(
            new java.io.ByteArrayInputStream(Base64.getDecoder().decode(b64)))) {
      for (java.util.zip.ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
        out.put(
            e.getName(),
            java.util.HexFormat.of()
                .formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(z.readAllBytes())));
      }
    }
    return out;
  }
}

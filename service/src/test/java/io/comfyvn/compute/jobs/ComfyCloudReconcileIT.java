package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Comfy API v2 create whose answer was never read, then a restart: the reconciler rebuilds the
 * create from what the task keeps and resends it under the task's {@code Idempotency-Key}; the fake
 * (which answers a byte-identical keyed create with the job it made, as the API does) shows exactly
 * one job upstream. Two worlds on one task store are the process before and after the crash; the
 * fake providers run on loopback on their own manual clock.
 */
class ComfyCloudReconcileIT {
  private static final String CC = FakeProviders.COMFY_CLOUD;
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

  private static GpuRequest img2img(int side) throws Exception {
    return JobsWorld.img2img(CC, null, side);
  }

  private String createThenCrash(MemoryTaskStore store, GpuRequest request, SubmitState left) {
    return JobsWorld.createThenCrash(
        () -> JobsWorld.onFakeComfyCloud(dir, store, fakes), fakes, CC, request, left);
  }

  @ParameterizedTest
  @EnumSource(
      value = SubmitState.class,
      names = {"SENT", "AMBIGUOUS"})
  void theCreateResentUnderItsKeyAfterARestartIsTheJobAlreadyMadeAndOnlyOneExists(SubmitState left)
      throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    String id = createThenCrash(store, img2img(16), left);
    assertThat(fakes.comfyCloudJobs()).isEqualTo(1);

    try (JobsWorld after = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
      assertThat(t.providerJobId()).startsWith("job_");
      assertThat(t.status()).isIn(TaskStatus.QUEUED, TaskStatus.RUNNING);
      assertThat(t.details().path("reconcile").path("outcome").asText()).isEqualTo("found");
      assertThat(t.details().path("reconcile").path("how").asText())
          .contains("made by the first create", t.providerJobId());
      // two creates reached the API, byte for byte the same under one key: one job, and the
      // input was not stored twice either
      assertThat(fakes.stats().count(CC, "create")).isEqualTo(2);
      assertThat(fakes.comfyCloudJobs()).isEqualTo(1);
      assertThat(fakes.stats().count(CC, "upload")).isEqualTo(2);
      // from here on it is an ordinary poll of that job
      after.advance(Duration.ofMillis(500));
      assertThat(fakes.stats().count(CC, "get")).isPositive();
      assertThat(fakes.stats().count(CC, "create")).isEqualTo(2);
    }
  }

  @Test
  void aCreateThatNeverArrivedIsMadeByTheResentOneOnce() throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    String id;
    try (JobsWorld before = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      // refused before the handler runs: nothing is made, the answer says nothing
      fakes.inject(new Fault(CC, "create", Fault.Kind.DROP, 1, 0, null, null));
      assertThatThrownBy(() -> before.gpu.submit(img2img(16)))
          .isInstanceOf(ProviderException.class);
      id = before.tasks.list(10).get(0).id();
    }
    assertThat(fakes.comfyCloudJobs()).isZero();
    try (JobsWorld after = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
      assertThat(t.details().path("reconcile").path("how").asText())
          .contains("had not reached Comfy API v2");
      assertThat(fakes.comfyCloudJobs()).isEqualTo(1);
    }
  }

  @Test
  void aLargeInlineInputIsNotKeptSoTheCreateIsNotResentAndTheTaskIsLost() throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    GpuRequest big = img2img(64);
    assertThat(big.job().path("inputs").path("castle_sketch.png").asText().length())
        .isGreaterThan(SubmitJob.INLINE_KEPT);
    String id = createThenCrash(store, big, SubmitState.SENT);
    try (JobsWorld after = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.message()).contains("'castle_sketch.png' was sent inline and is not kept");
      assertThat(fakes.stats().count(CC, "create")).isEqualTo(1);
      assertThat(fakes.comfyCloudJobs()).isEqualTo(1);
    }
  }

  @Test
  void aGraphTheServiceWouldNowWriteOtherwiseIsNotResentAndTheTaskIsLost() throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    String id = createThenCrash(store, img2img(16), SubmitState.SENT);
    try (JobsWorld after = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      // as after an upgrade that canonicalises graphs otherwise: the recorded hash is not the
      // rebuilt graph's, so its bytes would not be the ones sent
      ObjectNode patch = TaskRegistry.newDetails();
      patch.putObject(LiveSubmits.WORKFLOW).put("hash", "0".repeat(64));
      after.tasks.update(id, t -> t.withDetails(patch));
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.message()).contains("the graph would not be the one sent");
      assertThat(fakes.stats().count(CC, "create")).isEqualTo(1);
    }
  }

  @Test
  void aCreateOlderThanItsKeysReplayWindowIsNotResentAndTheTaskIsLost() throws Exception {
    MemoryTaskStore store = new MemoryTaskStore();
    String id = createThenCrash(store, img2img(16), SubmitState.SENT);
    try (JobsWorld after = JobsWorld.onFakeComfyCloud(dir, store, fakes)) {
      after.clock.advance(Duration.ofHours(23).plusMinutes(1)); // the service was down a day
      after.tracker.resume();
      after.advance(Duration.ofMillis(100));
      Task t = after.tasks.get(id).orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.LOST);
      assertThat(t.message()).contains("too old to resend under its key");
      assertThat(fakes.stats().count(CC, "create")).isEqualTo(1);
    }
  }
}

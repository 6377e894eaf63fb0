package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.ModeDecision.Requested;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed task's poll answer says why: {@code error: {code, message}}, the message being the one
 * {@code /jobs/status} shows; a lost task's says so ({@code lost}) with its {@code message}; a task
 * that did neither has no {@code error}.
 */
class PollErrorTest {
  @TempDir Path dir;

  private static GpuRequest request(String provider) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.putObject("input").put("prompt", "a castle");
    return new GpuRequest(
        provider, job, JsonNodeFactory.instance.objectNode(), null, Requested.AUTO, null);
  }

  private static String taskOf(ComputeException e) {
    return (String) e.details().get("task_id");
  }

  @Test
  void aJobTheProviderFailedCarriesTheProvidersReason() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      w.transport.json(200, "{\"id\":\"rp-1\",\"status\":\"IN_QUEUE\"}");
      String id = w.gpu.submit(request("runpod")).taskId();
      assertThat(w.gpu.poll(id, null).error()).isNull();
      w.transport.json(
          200, "{\"id\":\"rp-1\",\"status\":\"FAILED\",\"error\":\"CUDA out of memory\"}");
      w.advance(Duration.ofSeconds(1));

      Task t = w.tasks.get(id).orElseThrow();
      assertThat(t.status()).isEqualTo(TaskStatus.ERROR);
      Results.Poll p = w.gpu.poll(id, null);
      assertThat(p.status()).isEqualTo("error");
      assertThat(p.error().code()).isEqualTo("provider_failed");
      assertThat(p.error().message()).isEqualTo(t.message()).contains("CUDA out of memory");
    }
  }

  @Test
  void aJobTheProviderForgotSaysSo() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      w.transport.json(200, "{\"id\":\"rp-2\",\"status\":\"IN_PROGRESS\"}");
      String id = w.gpu.submit(request("runpod")).taskId();
      w.transport.json(404, "{\"error\":\"request does not exist\"}");
      w.advance(Duration.ofSeconds(1));
      Results.Poll p = w.gpu.poll(id, null);
      assertThat(p.error().code()).isEqualTo("provider_job_gone");
      assertThat(p.error().message()).contains("no longer knows");
    }
  }

  @Test
  void aRefusedCreateCarriesTheServicesErrorCode() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      w.transport.json(400, "{\"error\":\"bad input\"}");
      ComputeException e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              ComputeException.class, () -> w.gpu.submit(request("runpod")));
      String id = taskOf(e);
      Results.Poll p = w.gpu.poll(id, null);
      assertThat(p.status()).isEqualTo("error");
      // the same code the submit's error answer had
      assertThat(p.error().code()).isEqualTo(e.code());
      assertThat(p.error().message()).startsWith("Rejected: ");
      assertThat(w.transport.calls()).hasSize(1);
    }
  }

  @Test
  void aSubmitWithoutSecretsIsMissingToken() {
    try (JobsWorld w = new JobsWorld(dir, true, false)) {
      Results.Submit s = w.gpu.submit(request("replicate"));
      Results.Poll p = w.gpu.poll(s.taskId(), null);
      assertThat(p.error().code()).isEqualTo("missing_token");
      assertThat(p.error().message()).isEqualTo("missing token");
      assertThat(w.transport.calls()).isEmpty();
    }
  }

  @Test
  void aLostTaskSaysAJobMayExistUpstreamAndWhatToDo() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      w.transport.fail(true); // the create may have arrived: ambiguous, never resent
      ComputeException e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              ComputeException.class, () -> w.gpu.submit(request("runpod")));
      String id = taskOf(e);
      assertThat(w.gpu.poll(id, null).status()).isEqualTo("queued");
      assertThat(w.gpu.poll(id, null).error()).isNull();
      assertThat(w.gpu.poll(id, null).message()).isNull();
      // RunPod has no lookup: past reconcile_after_ms (30 min) nothing can tell any more
      w.clock.advance(Duration.ofMinutes(30));
      w.advance(Duration.ofSeconds(1));

      Task t = w.tasks.get(id).orElseThrow();
      Results.Poll p = w.gpu.poll(id, null);
      assertThat(p.status()).isEqualTo("lost");
      assertThat(p.message())
          .isEqualTo(t.message())
          .contains("a job may exist at RunPod")
          .contains("not resubmitted")
          .contains("Check RunPod Serverless's console for the job")
          .contains("before you submit again (a new submit may pay twice)");
      assertThat(p.error().code()).isEqualTo("lost");
      assertThat(p.error().message()).isEqualTo(p.message());
      assertThat(w.transport.calls()).hasSize(1); // the one create
    }
  }

  @Test
  void aDryRunThatCompletedHasNoError() {
    try (JobsWorld w = new JobsWorld(dir, false, true)) {
      Results.Submit s = w.gpu.submit(request("runpod"));
      assertThat(w.gpu.poll(s.taskId(), null).status()).isEqualTo("done");
      assertThat(w.gpu.poll(s.taskId(), null).error()).isNull();
    }
  }
}

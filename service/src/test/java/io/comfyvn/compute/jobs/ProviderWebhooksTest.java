package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.tasks.TaskView;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Provider webhooks: which calls are taken, which are refused, and what they change. */
class ProviderWebhooksTest {
  @TempDir Path dir;

  private static Task register(
      JobsWorld w, String id, Mode mode, TaskStatus status, String jobId, String token) {
    Submission s =
        new Submission(
            mode,
            "runpod",
            jobId,
            jobId == null ? SubmitState.AMBIGUOUS : SubmitState.ACCEPTED,
            7,
            "fp",
            null,
            List.of(),
            null,
            token == null ? null : WebhookTokens.hash(token));
    return w.tasks
        .register(
            new TaskRegistry.Draft(
                id, GpuService.TASK_KIND, status, 0, "m", s, TaskRegistry.newDetails()))
        .task();
  }

  private static byte[] runpod(String id, String status) {
    return ("{\"id\":\"" + id + "\",\"status\":\"" + status + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void assertRefused(Runnable call, int status, String code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(statusOf(e.kind())).isEqualTo(status);
            });
  }

  private static int statusOf(ComputeException.Kind k) {
    return switch (k) {
      case BAD_REQUEST -> 400;
      case UNAUTHORIZED -> 401;
      case NOT_FOUND -> 404;
      case CONFLICT -> 409;
      default -> 500;
    };
  }

  @Test
  void aWebhookForATaskThatIsNotLiveIsRefusedWithoutBuildingAClient() {
    // No secrets at all: building a live client could only fail (it was a 500).
    try (JobsWorld w = new JobsWorld(dir, false, false)) {
      register(w, "dry", Mode.DRY_RUN, TaskStatus.DONE, "mock-runpod-7", null);
      register(w, "sim", Mode.SIM, TaskStatus.RUNNING, "sim-runpod-7", null);
      for (String id : List.of("dry", "sim", "nope")) {
        assertRefused(
            () -> w.webhooks.receive("runpod", id, "x", Map.of(), runpod("j", "COMPLETED")),
            404,
            "unknown_job");
      }
      assertRefused(
          () -> w.webhooks.receive("runpod", " ", "x", Map.of(), runpod("j", "COMPLETED")),
          400,
          "missing_field");
      assertThat(w.transport.calls()).isEmpty();
      assertThat(w.tasks.get("dry").orElseThrow().status()).isEqualTo(TaskStatus.DONE);
    }
  }

  @Test
  void aLiveTaskTakesAWebhookOnlyWithItsToken() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      register(w, "t1", Mode.LIVE, TaskStatus.QUEUED, "rp-1", "good-token");
      for (String wrong : new String[] {null, "", "good-tokeN", "good-token-and-more"}) {
        assertRefused(
            () -> w.webhooks.receive("runpod", "t1", wrong, Map.of(), runpod("rp-1", "COMPLETED")),
            401,
            "bad_webhook_signature");
      }
      // another provider's route does not reach a RunPod task
      assertRefused(
          () ->
              w.webhooks.receive(
                  "replicate", "t1", "good-token", Map.of(), runpod("rp-1", "COMPLETED")),
          404,
          "unknown_job");
      assertThat(w.tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);

      ProviderWebhooks.Result r =
          w.webhooks.receive("runpod", "t1", "good-token", Map.of(), runpod("rp-1", "IN_PROGRESS"));
      assertThat(r.status()).isEqualTo("running");
      assertThat(w.tasks.get("t1").orElseThrow().details().path("provider_status").asText())
          .isEqualTo("IN_PROGRESS");
      assertThat(w.tracker.following()).isEqualTo(1);
      assertThat(w.transport.calls()).isEmpty();
    }
  }

  @Test
  void aFinishedTaskOrAnotherJobIsRefusedAndNothingChanges() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      Task done = register(w, "done", Mode.LIVE, TaskStatus.DONE, "rp-1", "tok");
      assertRefused(
          () -> w.webhooks.receive("runpod", "done", "tok", Map.of(), runpod("rp-1", "FAILED")),
          409,
          "task_finished");
      assertThat(w.tasks.get("done").orElseThrow()).isEqualTo(done);

      register(w, "other", Mode.LIVE, TaskStatus.RUNNING, "rp-2", "tok2");
      assertRefused(
          () ->
              w.webhooks.receive("runpod", "other", "tok2", Map.of(), runpod("rp-3", "COMPLETED")),
          409,
          "job_mismatch");
      assertRefused(
          () ->
              w.webhooks.receive(
                  "runpod", "other", "tok2", Map.of(), "[1]".getBytes(StandardCharsets.UTF_8)),
          400,
          "invalid_body");
      assertThat(w.tasks.get("other").orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
    }
  }

  @Test
  void aWebhookFindsTheJobOfAnAmbiguousCreate() {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      register(w, "amb", Mode.LIVE, TaskStatus.QUEUED, null, "tok");
      w.webhooks.receive("runpod", "amb", "tok", Map.of(), runpod("rp-found", "IN_QUEUE"));
      Task t = w.tasks.get("amb").orElseThrow();
      assertThat(t.providerJobId()).isEqualTo("rp-found");
      assertThat(t.submission().state()).isEqualTo(SubmitState.ACCEPTED);
    }
  }

  @Test
  void theTokenGoesOnlyIntoTheWebhookUrlNeverIntoWhatAnyoneReads() throws Exception {
    try (JobsWorld w = new JobsWorld(dir, true, true)) {
      List<TaskEvent> events = new ArrayList<>();
      w.tasks.subscribe(events::add);
      w.transport.json(200, "{\"id\":\"rp-9\",\"status\":\"IN_QUEUE\"}");
      ObjectNode job = JsonNodeFactory.instance.objectNode();
      job.putObject("input").put("prompt", "castle");
      Results.Submit answer =
          w.gpu.submit(
              new io.comfyvn.compute.jobs.GpuRequest(
                  "runpod",
                  job,
                  JsonNodeFactory.instance.objectNode(),
                  null,
                  ModeDecision.Requested.AUTO,
                  null));
      JsonNode sent = Json.mapper().readTree(ScriptedTransport.body(w.transport.call(0)));
      URI hook = URI.create(sent.path("webhook").asText());
      assertThat(hook.toString()).startsWith(JobsWorld.SELF + "/api/providers/gpu/webhooks/runpod");
      String token = hook.getQuery().replaceAll(".*token=", "");
      assertThat(token).hasSize(32);

      Task stored = w.tasks.get(answer.taskId()).orElseThrow();
      String readable =
          Json.mapper().writeValueAsString(answer)
              + Json.mapper().writeValueAsString(TaskView.of(stored))
              + Json.mapper().writeValueAsString(events)
              + Json.mapper().writeValueAsString(w.gpu.poll(answer.taskId(), null))
              + w.home.read("logs/providers_gpu.log");
      assertThat(readable).doesNotContain(token, stored.submission().webhookTokenSha256());
      assertThat(stored.submission().webhookTokenSha256()).isEqualTo(WebhookTokens.hash(token));

      ProviderWebhooks.Result r =
          w.webhooks.receive(
              "runpod", answer.taskId(), token, Map.of(), runpod("rp-9", "IN_PROGRESS"));
      assertThat(r.status()).isEqualTo("running");
    }
  }

  @Test
  void tokensAreComparedAsDigests() {
    String h = WebhookTokens.hash("abc");
    assertThat(WebhookTokens.matches("abc", h)).isTrue();
    assertThat(WebhookTokens.matches("abd", h)).isFalse();
    assertThat(WebhookTokens.matches("abc", null)).isFalse();
    assertThat(WebhookTokens.matches(null, h)).isFalse();
    assertThat(WebhookTokens.matches("abc", "not-hex")).isFalse();
    assertThat(WebhookTokens.matches("abc", h.substring(2))).isFalse();
    assertThat(WebhookTokens.create()).hasSize(32).isNotEqualTo(WebhookTokens.create());
  }
}

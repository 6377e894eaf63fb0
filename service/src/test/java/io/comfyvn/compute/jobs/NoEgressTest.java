package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.ModeDecision.Requested;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the flag off, no path sends a byte: live tasks created while it was on are resumed, polled
 * for, canceled, called back and asked about, and the transport (which records every request and
 * fails any it was not told to expect) sees nothing.
 */
class NoEgressTest {
  @TempDir Path dir;

  private static GpuRequest request(String provider, String prompt) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.putObject("input").put("prompt", prompt);
    return new GpuRequest(
        provider, job, JsonNodeFactory.instance.objectNode(), null, Requested.AUTO, null);
  }

  @Test
  void afterTheFlagIsTurnedOffNothingLeavesTheMachine() {
    MemoryTaskStore store = new MemoryTaskStore();
    String accepted;
    String ambiguous;
    String replicate;
    try (JobsWorld on = new JobsWorld(dir, true, true, store)) {
      on.transport.json(200, "{\"id\":\"rp-1\",\"status\":\"IN_QUEUE\"}");
      accepted = on.gpu.submit(request("runpod", "castle")).taskId();
      on.transport.fail(true);
      ComputeException e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              ComputeException.class, () -> on.gpu.submit(request("runpod", "forest")));
      ambiguous = (String) e.details().get("task_id");
      on.transport.json(200, "{\"id\":\"r8-1\",\"status\":\"starting\"}");
      replicate = on.gpu.submit(request("replicate", "sea")).taskId();
      assertThat(on.transport.calls()).hasSize(3);
    }

    try (JobsWorld off = new JobsWorld(dir, false, true, store)) {
      // the tracker picks the live tasks up again, and its polls never go out
      assertThat(off.tracker.resume()).isEqualTo(3);
      for (int i = 0; i < 50; i++) {
        off.advance(Duration.ofSeconds(30));
      }
      for (String id : List.of(accepted, replicate)) {
        Results.Cancel c = off.gpu.cancel(id, null);
        assertThat(c.canceled()).isFalse();
        assertThat(c.message()).contains("are off", "feature flag");
        assertThat(off.tasks.get(id).orElseThrow().status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(off.gpu.poll(id, null).mode()).isEqualTo(Mode.LIVE);
      }
      // a create whose outcome is unknown has no job id to cancel upstream, and with the network
      // closed it cannot be found either: not canceled (that would hide a job that may run), said
      Results.Cancel unknown = off.gpu.cancel(ambiguous, null);
      assertThat(unknown.canceled()).isFalse();
      assertThat(unknown.message()).contains("job id is not known yet", "are off", "console");
      assertThat(off.tasks.get(ambiguous).orElseThrow().status().terminal()).isFalse();
      for (String[] hook :
          List.of(new String[] {"runpod", accepted}, new String[] {"replicate", replicate})) {
        assertThatThrownBy(
                () ->
                    off.webhooks.receive(
                        hook[0],
                        hook[1],
                        "any",
                        Map.of(),
                        "{\"id\":\"x\",\"status\":\"COMPLETED\"}".getBytes(StandardCharsets.UTF_8)))
            .isInstanceOfSatisfying(
                ComputeException.class, ex -> assertThat(ex.code()).isEqualTo("network_off"));
      }
      assertThat(off.gpu.health("runpod", Requested.AUTO).mode()).isEqualTo(Mode.DRY_RUN);
      assertThat(off.gpu.healthAll()).allMatch(h -> h.mode() != Mode.LIVE);
      Results.Submit dry = off.gpu.submit(request("runpod", "castle"));
      assertThat(dry.mode()).isEqualTo(Mode.DRY_RUN);
      assertThat(dry.id()).startsWith("mock-runpod-");

      // and a path that forgot to ask is stopped by the guarded transport all the same
      GpuProvider runpod = off.providers.require("runpod");
      assertThatThrownBy(() -> off.clients.require(runpod).poll("rp-1"))
          .isInstanceOfSatisfying(
              ProviderException.class,
              ex -> assertThat(ex.sent()).isEqualTo(ProviderException.Sent.NOT_SENT));

      assertThat(off.transport.calls()).isEmpty();
      Task stillThere = off.tasks.get(accepted).orElseThrow();
      assertThat(stillThere.providerJobId()).isEqualTo("rp-1");
    }
  }
}

package io.comfyvn.compute.hooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskView;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Several instances: a change relayed from another instance reaches this one's history and sockets,
 * while the outbound webhooks are left to the instance that wrote it.
 */
class HookBusOutboundTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

  private static TaskView view(TaskStatus status) {
    Instant t = Instant.parse("2026-12-01T09:59:00Z");
    return TaskView.of(
        new Task(
            "t1",
            "public.gpu.submit",
            status,
            status.terminal() ? 1 : 0,
            "m",
            new Submission(
                Mode.LIVE,
                "runpod",
                "job-1",
                SubmitState.ACCEPTED,
                3,
                "fp",
                null,
                List.of(),
                null,
                null),
            List.of(),
            Json.mapper().createObjectNode(),
            0,
            t,
            t));
  }

  @Test
  void relayedChangesAreHeardHereButSentOutOnlyByTheirWriter() {
    HookBus bus = new HookBus(clock, Json.mapper());
    List<String> heard = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    bus.subscribe(e -> heard.add(e.event()));
    bus.subscribeOutbound(e -> sent.add(e.event()));
    bus.onTask(new TaskEvent("job.created", view(TaskStatus.QUEUED), true));
    bus.onTask(new TaskEvent("job.update", view(TaskStatus.DONE), true));
    assertThat(heard)
        .containsExactly("on_gpu_job_submitted", "on_gpu_job_updated", "on_gpu_job_finished");
    assertThat(sent).isEmpty();
    assertThat(bus.history(10)).hasSize(3);
    bus.onTask(new TaskEvent("job.created", view(TaskStatus.QUEUED)));
    bus.publish("on_gpu_job_updated", Json.mapper().createObjectNode());
    assertThat(sent).containsExactly("on_gpu_job_submitted", "on_gpu_job_updated");
  }
}

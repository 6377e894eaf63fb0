package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.MockIds;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.util.List;

/**
 * The work order's dry-run contract, written once for every provider: no network, deterministic
 * answers. Missing secrets answer {@code {ok:false, reason:"missing token", missing_secrets}};
 * present secrets answer the mock id {@code mock-<provider>-<seed>}, done at once; polling an
 * unknown mock id answers done with {@code "Simulated completion"}.
 */
final class DryRun {
  /** The reason word of the work order's dry-run contract when secrets are absent. */
  static final String MISSING_TOKEN = "missing token";

  /** The log line of a completed dry-run job. */
  static final String SIMULATED_COMPLETION = "Simulated completion";

  private final TaskRegistry tasks;

  DryRun(TaskRegistry tasks) {
    this.tasks = tasks;
  }

  /** Records a dry-run submit (the same request finds the same task) and returns it. */
  TaskRegistry.Registered submit(SubmitJob j) {
    boolean missing = !j.call().secretsPresent();
    ObjectNode details = j.details();
    ArrayNode logs = (ArrayNode) details.get("logs");
    TaskStatus status;
    String message;
    if (missing) {
      status = TaskStatus.ERROR;
      message = MISSING_TOKEN;
      logs.add("Not submitted: missing secrets " + String.join(", ", j.call().missing()));
    } else {
      status = TaskStatus.DONE;
      message = SIMULATED_COMPLETION;
      logs.add(SIMULATED_COMPLETION);
    }
    return tasks.register(
        new TaskRegistry.Draft(
            j.stableTaskId(missing ? "missing" : "dry_run"),
            GpuService.TASK_KIND,
            status,
            1.0,
            message,
            j.submission(
                missing ? SubmitState.NOT_SENT : SubmitState.ACCEPTED,
                missing ? null : MockIds.of(j.slug(), j.seed()),
                null),
            details));
  }

  /** Health without a network call: secrets present or not. */
  Results.Health health(Modes.Call call, String secretsProblem, Results.FeatureState feature) {
    boolean present = call.secretsPresent();
    return new Results.Health(
        present,
        true,
        call.mode(),
        call.slug(),
        call.provider().descriptor().name(),
        present ? "present" : "missing",
        present ? null : MISSING_TOKEN,
        null,
        call.missing(),
        call.decision().reasons(),
        secretsProblem,
        feature);
  }

  /** Polling a mock id no task recorded (ComfyVN's contract: it is done). */
  Results.Poll pollUnknownMock(String slug, String id, Results.FeatureState feature) {
    return new Results.Poll(
        true,
        true,
        Mode.DRY_RUN,
        slug,
        id,
        null,
        TaskStatus.DONE.wire(),
        null,
        1.0,
        null,
        List.of(),
        List.of(SIMULATED_COMPLETION),
        null,
        null,
        null,
        feature);
  }

  /** Canceling a mock id no task recorded: nothing to cancel. */
  Results.Cancel cancelUnknownMock(String slug, String id, Results.FeatureState feature) {
    return new Results.Cancel(
        true,
        true,
        Mode.DRY_RUN,
        slug,
        id,
        null,
        TaskStatus.DONE.wire(),
        false,
        "dry-run job already finished",
        feature);
  }
}

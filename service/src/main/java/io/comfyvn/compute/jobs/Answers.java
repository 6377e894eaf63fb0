package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskView;
import java.util.ArrayList;
import java.util.List;

/**
 * The submit, poll and cancel answers of a task, cut from its public {@link TaskView} (never from
 * the stored record), so an answer cannot carry what callers may not read.
 */
final class Answers {
  private Answers() {}

  /**
   * A submit's answer.
   *
   * @param task the task as stored
   * @param call the call as resolved now (its mode reasons are today's)
   * @param ignored request config keys not taken
   * @param replayed whether an idempotency key answered with an earlier task
   * @param estimate the estimate of the job as asked now, for a task that kept none (stored before
   *     estimates were)
   */
  static Results.Submit submit(
      Task task,
      Modes.Call call,
      List<String> ignored,
      boolean replayed,
      Estimate estimate,
      Results.FeatureState f) {
    TaskView v = TaskView.of(task);
    boolean missing = task.submission().missedSecrets();
    boolean failed = v.status() == TaskStatus.ERROR;
    return new Results.Submit(
        !missing && !failed,
        v.mode() != Mode.LIVE,
        v.mode(),
        v.provider(),
        v.providerJobId(),
        v.id(),
        v.status().wire(),
        v.submitState(),
        v.seed(),
        missing ? DryRun.MISSING_TOKEN : (failed ? v.message() : null),
        missing ? task.submission().missingSecrets() : null,
        call.decision().reasons(),
        ignored.isEmpty() ? null : ignored,
        v.estimate() != null ? v.estimate() : estimate,
        replayed ? Boolean.TRUE : null,
        f);
  }

  /** A poll's answer. */
  static Results.Poll poll(Task task, Results.FeatureState f) {
    TaskView v = TaskView.of(task);
    return new Results.Poll(
        true,
        v.mode() != Mode.LIVE,
        v.mode(),
        v.provider(),
        v.providerJobId(),
        v.id(),
        v.status().wire(),
        v.progress(),
        text(v.meta().get("provider_status")),
        v.artifacts(),
        strings(v.meta().path("logs")),
        v.meta().get(LiveTracker.PROGRESS_DETAIL),
        text(v.meta().get("error")),
        v.meta().get("failure"),
        f);
  }

  /** A cancel's answer. */
  static Results.Cancel cancel(
      Task task, boolean canceled, String message, Results.FeatureState f) {
    TaskView v = TaskView.of(task);
    return new Results.Cancel(
        true,
        v.mode() != Mode.LIVE,
        v.mode(),
        v.provider(),
        v.providerJobId(),
        v.id(),
        v.status().wire(),
        canceled,
        message,
        f);
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}

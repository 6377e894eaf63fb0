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
        // a lost task is the one whose next step is the caller's (look upstream before a resubmit)
        v.status() == TaskStatus.LOST ? v.message() : null,
        v.progress(),
        text(v.meta().get("provider_status")),
        v.artifacts(),
        strings(v.meta().path("logs")),
        v.meta().get(LiveTracker.PROGRESS_DETAIL),
        failure(task, v),
        v.meta().get("failure"),
        f);
  }

  /**
   * Why a failed task failed, or that it was lost (null unless its status is {@code error} or
   * {@code lost}).
   */
  static Results.Failure failure(Task task, TaskView v) {
    if (v.status() != TaskStatus.ERROR && v.status() != TaskStatus.LOST) {
      return null;
    }
    String code;
    if (v.status() == TaskStatus.LOST) {
      code = LOST_CODE; // whatever error the create had before, the outcome is now this
    } else if (task.submission() != null && task.submission().missedSecrets()) {
      code = MISSING_TOKEN_CODE;
    } else if (task.details().path("failure").path("code").isTextual()) {
      code = task.details().path("failure").path("code").asText(); // the provider's, typed there
    } else if (task.details().path("error_code").isTextual()) {
      code = task.details().path("error_code").asText(); // the service's ProviderException code
    } else if (task.submission() != null
        && task.submission().state() == io.comfyvn.compute.status.SubmitState.REFUSED) {
      code = "provider_rejected";
    } else if (task.submission() != null
        && task.submission().state() == io.comfyvn.compute.status.SubmitState.NOT_SENT) {
      code = "not_sent";
    } else {
      code = "failed";
    }
    String message = v.message() == null || v.message().isBlank() ? code : v.message();
    return new Results.Failure(code, message);
  }

  /** The code of a submit that had no secrets to send. */
  static final String MISSING_TOKEN_CODE = "missing_token";

  /** The code of a lost task: the status word itself. */
  static final String LOST_CODE = TaskStatus.LOST.wire();

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

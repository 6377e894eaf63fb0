package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.TaskStatus;
import java.time.Instant;
import java.util.List;

/**
 * One task as stored. This record is for the service's own code: answers are cut from it by {@link
 * TaskView}, which leaves out what no caller may read (the webhook token's hash, the idempotency
 * key).
 *
 * @param id task id
 * @param kind what it is, e.g. {@code public.gpu.submit}
 * @param status where it is
 * @param progress 0..1
 * @param message a line for humans
 * @param submission the typed facts of a GPU submit, or null for other kinds of task
 * @param artifacts the outputs stored so far
 * @param details what is shown but decides nothing: logs, the provider's own status word, error
 *     text, the job payload and request config, timings, a sim run's recorded events
 * @param version bumped by every stored change; a change is written only over the version it was
 *     computed from (compare-and-set), so concurrent writers cannot lose each other's changes
 * @param createdAt when it was registered (millisecond precision)
 * @param updatedAt when it last changed (millisecond precision)
 */
public record Task(
    String id,
    String kind,
    TaskStatus status,
    double progress,
    String message,
    Submission submission,
    List<Artifact> artifacts,
    ObjectNode details,
    long version,
    Instant createdAt,
    Instant updatedAt) {

  public Task {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
  }

  /** The provider slug of a submit, or empty text. */
  public String providerSlug() {
    return submission == null ? "" : submission.provider();
  }

  /** The provider's job id of a submit, or empty text while it is not known. */
  public String providerJobId() {
    return submission == null || submission.providerJobId() == null
        ? ""
        : submission.providerJobId();
  }

  /** The mode of a submit, or null for other kinds of task. */
  public Mode mode() {
    return submission == null ? null : submission.mode();
  }

  /** Whether this is a submit that runs (or ran) against a provider's real API. */
  public boolean live() {
    return submission != null && submission.mode() == Mode.LIVE;
  }

  /** This task with another status, progress and message. */
  public Task withState(TaskStatus nextStatus, double nextProgress, String nextMessage) {
    return new Task(
        id,
        kind,
        nextStatus,
        nextProgress,
        nextMessage,
        submission,
        artifacts,
        details,
        version,
        createdAt,
        updatedAt);
  }

  /** This task with another submission. */
  public Task withSubmission(Submission next) {
    return new Task(
        id, kind, status, progress, message, next, artifacts, details, version, createdAt,
        updatedAt);
  }

  /** This task with other artifacts. */
  public Task withArtifacts(List<Artifact> next) {
    return new Task(
        id,
        kind,
        status,
        progress,
        message,
        submission,
        next,
        details,
        version,
        createdAt,
        updatedAt);
  }

  /** This task with the fields of {@code patch} set on a copy of its details. */
  public Task withDetails(ObjectNode patch) {
    if (patch == null || patch.isEmpty()) {
      return this;
    }
    ObjectNode next = details.deepCopy();
    next.setAll(patch);
    return new Task(
        id,
        kind,
        status,
        progress,
        message,
        submission,
        artifacts,
        next,
        version,
        createdAt,
        updatedAt);
  }

  /** Whether two tasks hold the same state, ignoring version and timestamps. */
  boolean sameStateAs(Task other) {
    return status == other.status
        && progress == other.progress
        && message.equals(other.message)
        && java.util.Objects.equals(submission, other.submission)
        && artifacts.equals(other.artifacts)
        && details.equals(other.details);
  }

  /** This task as stored at a new version and time. */
  Task stored(long nextVersion, Instant at) {
    return new Task(
        id,
        kind,
        status,
        progress,
        message,
        submission,
        artifacts,
        details,
        nextVersion,
        createdAt,
        at);
  }
}

package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.ShownInputs;
import java.time.Instant;
import java.util.List;

/**
 * A task as callers may see it: every answer about a task ({@code /jobs/*}, {@code /jobs/ws}, hook
 * data, GPU poll and submit answers) is cut from this view, never from the stored {@link Task}, so
 * what is private to the service (the webhook token's hash, the caller's idempotency key) cannot
 * leak by someone serializing the wrong object.
 *
 * <p>It keeps ComfyVN's job shape ({@code id, kind, status, progress, message, meta, created_at,
 * updated_at}); {@code meta} carries what ComfyVN's tools read there ({@code dry_run}, {@code
 * provider_slug}, {@code public_adapter}, {@code seed}, {@code provider_job_id}, {@code logs},
 * {@code artifacts}...), rendered from the typed fields, which are also given at the top level.
 *
 * @param id task id
 * @param kind task kind
 * @param status status word
 * @param progress 0..1
 * @param message a line for humans
 * @param mode a submit's mode
 * @param provider a submit's provider slug
 * @param providerJobId the provider's job id, when known
 * @param submitState what is known of the create request
 * @param seed a submit's seed
 * @param fingerprint sha256 of the job's canonical JSON
 * @param estimate the estimate given at submit
 * @param artifacts stored outputs
 * @param version the stored version (grows with every change)
 * @param meta ComfyVN's metadata object
 * @param createdAt when it was registered
 * @param updatedAt when it last changed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskView(
    String id,
    String kind,
    TaskStatus status,
    double progress,
    String message,
    Mode mode,
    String provider,
    String providerJobId,
    SubmitState submitState,
    Long seed,
    String fingerprint,
    Estimate estimate,
    List<Artifact> artifacts,
    long version,
    ObjectNode meta,
    Instant createdAt,
    Instant updatedAt) {

  /** The view of a stored task. */
  public static TaskView of(Task t) {
    ObjectNode meta = t.details().deepCopy();
    if (meta.has("payload")) {
      meta.set("payload", ShownInputs.of(meta.get("payload"))); // no signed URL query shown
    }
    Submission s = t.submission();
    if (s != null) {
      meta.put("provider_slug", s.provider());
      meta.put("public_adapter", true);
      meta.put("dry_run", s.mode() != Mode.LIVE);
      meta.put("mode", s.mode().wire());
      meta.put("seed", s.seed());
      meta.put("job_sha256", s.fingerprint());
      meta.put("submit_state", s.state().wire());
      if (s.providerJobId() != null) {
        meta.put("provider_job_id", s.providerJobId());
      }
      if (s.state() == SubmitState.AMBIGUOUS) {
        meta.put("reconcile", true);
      }
      if (s.missedSecrets()) {
        ArrayNode names = meta.putArray("missing_secrets");
        s.missingSecrets().forEach(names::add);
      }
    }
    ArrayNode files = meta.putArray("artifacts");
    for (Artifact a : t.artifacts()) {
      ObjectNode f = files.addObject();
      putIfSet(f, "name", a.name());
      putIfSet(f, "url", a.url());
      putIfSet(f, "path", a.path());
      putIfSet(f, "mime", a.mime());
      putIfSet(f, "sha256", a.sha256());
      if (a.bytes() != null) {
        f.put("bytes", a.bytes());
      }
    }
    return new TaskView(
        t.id(),
        t.kind(),
        t.status(),
        t.progress(),
        t.message(),
        s == null ? null : s.mode(),
        s == null ? null : s.provider(),
        s == null ? null : s.providerJobId(),
        s == null ? null : s.state(),
        s == null ? null : s.seed(),
        s == null ? null : s.fingerprint(),
        s == null ? null : s.estimate(),
        t.artifacts(),
        t.version(),
        meta,
        t.createdAt(),
        t.updatedAt());
  }

  private static void putIfSet(ObjectNode o, String field, String value) {
    if (value != null) {
      o.put(field, value);
    }
  }
}

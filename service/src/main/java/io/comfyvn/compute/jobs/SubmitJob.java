package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.workflow.InlineInput;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A submit request after resolution: where it goes and how, the job with its seed and fingerprint,
 * the request config that is honoured and the keys that are not.
 *
 * @param call the resolved call (provider, settings, missing secrets, mode decision)
 * @param job the job payload
 * @param seed the job's seed
 * @param fingerprint sha256 of the job's canonical JSON
 * @param config the request's config without the ignored keys
 * @param ignored request config keys not taken from a request
 * @param idempotencyKey the caller's key, or null
 * @param estimate the job's cost and time estimate
 * @param workflow a live workflow job with its input files read, or null
 * @param workflowJob the validated workflow job in any mode, or null when the job is not one
 */
record SubmitJob(
    Modes.Call call,
    ObjectNode job,
    long seed,
    String fingerprint,
    ObjectNode config,
    List<String> ignored,
    String idempotencyKey,
    Estimate estimate,
    WorkflowRun workflow,
    WorkflowJob workflowJob) {

  /**
   * Input values longer than this (inline files, not paths or URLs) are not kept in details; a
   * shorter one is kept as given, so the payload still reads as the job it was.
   */
  static final int INLINE_KEPT = 2048;

  String slug() {
    return call.slug();
  }

  /** The submission facts of a task for this job. */
  Submission submission(SubmitState state, String providerJobId, String webhookTokenSha256) {
    return new Submission(
        call.mode(),
        slug(),
        providerJobId,
        state,
        seed,
        fingerprint,
        estimate,
        // only a dry-run answer is about missing secrets: sim needs none, live has them all
        call.mode() == Mode.DRY_RUN ? call.missing() : List.of(),
        idempotencyKey,
        webhookTokenSha256);
  }

  /**
   * The display data every submit task starts with: the payload, the honoured config, logs. A
   * workflow job's inline input files over {@link #INLINE_KEPT} characters (up to 8 MiB each as
   * base64) are not kept in it: each is {@code {name, sha256, bytes, media_type, inline_chars}}
   * instead ({@link InlineInput}), so the task, its answers and every {@code /jobs/ws} update stay
   * small, and the sha256 matches the provenance sidecars'; {@code inline_chars} says the file was
   * not kept. Another long value is only {@code {inline_chars}}; a path, a URL or a short value is
   * kept as given.
   */
  ObjectNode details() {
    ObjectNode d = TaskRegistry.newDetails();
    ObjectNode payload = job.deepCopy();
    if (payload.path("inputs").isObject()) {
      Map<String, InlineInput> inline =
          workflowJob == null ? Map.of() : InlineInput.of(workflowJob);
      ObjectNode inputs = (ObjectNode) payload.get("inputs");
      inputs
          .properties()
          .forEach(
              e -> {
                String text =
                    e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString();
                if (text.length() <= INLINE_KEPT) {
                  return;
                }
                ObjectNode kept = TaskRegistry.newDetails();
                InlineInput f = inline.get(e.getKey());
                if (f != null) {
                  kept.put("name", f.name()).put("sha256", f.sha256()).put("bytes", f.bytes());
                  if (f.mediaType() != null) {
                    kept.put("media_type", f.mediaType());
                  }
                }
                e.setValue(kept.put("inline_chars", text.length()));
              });
    }
    d.set("payload", payload);
    d.set("config", config.deepCopy());
    d.putArray("logs");
    return d;
  }

  /**
   * A task id derived from what makes the answer what it is (used where the answer is
   * deterministic: dry-run and sim), so the same request finds the same task, across restarts.
   * Without a key the formula is the one tasks were always named by.
   */
  String stableTaskId(String outcome) {
    String name = outcome + "|" + slug() + "|" + seed + "|" + fingerprint;
    if (idempotencyKey != null) {
      name += "|key|" + idempotencyKey;
    }
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }
}

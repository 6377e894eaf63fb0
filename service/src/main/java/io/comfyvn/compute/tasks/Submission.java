package io.comfyvn.compute.tasks;

import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import java.util.List;

/**
 * What a GPU submit task knows about its job, as typed fields (and table columns), not keys in a
 * JSON bag: these values decide what the service does next (replay, poll, reconcile, refuse a
 * webhook).
 *
 * @param mode how it runs
 * @param provider canonical provider slug
 * @param providerJobId the provider's (or mock's, or simulator's) id for the job, null until known
 * @param state what is known about the create request
 * @param seed the job's seed
 * @param fingerprint sha256 of the job's canonical JSON (with provider and seed, what makes two
 *     submits "the same job")
 * @param estimate the cost and time estimate given when it was submitted, when priced
 * @param missingSecrets the provider's secret keys that were absent (a dry-run "missing token"
 *     answer); empty otherwise
 * @param idempotencyKey the caller's key, or null
 * @param webhookTokenSha256 hex SHA-256 of the per-task webhook token, or null; the token itself is
 *     never stored, and this never leaves the service (see {@link TaskView})
 */
public record Submission(
    Mode mode,
    String provider,
    String providerJobId,
    SubmitState state,
    long seed,
    String fingerprint,
    Estimate estimate,
    List<String> missingSecrets,
    String idempotencyKey,
    String webhookTokenSha256) {

  public Submission {
    missingSecrets = missingSecrets == null ? List.of() : List.copyOf(missingSecrets);
    providerJobId = providerJobId == null || providerJobId.isEmpty() ? null : providerJobId;
  }

  /** Whether it ran without secrets it needed (dry-run's "missing token" answer). */
  public boolean missedSecrets() {
    return !missingSecrets.isEmpty();
  }

  /** This submission with a provider job id and the state that came with it. */
  public Submission accepted(String jobId) {
    return new Submission(
        mode,
        provider,
        jobId,
        SubmitState.ACCEPTED,
        seed,
        fingerprint,
        estimate,
        missingSecrets,
        idempotencyKey,
        webhookTokenSha256);
  }

  /** This submission in another submit state. */
  public Submission withState(SubmitState next) {
    return new Submission(
        mode,
        provider,
        providerJobId,
        next,
        seed,
        fingerprint,
        estimate,
        missingSecrets,
        idempotencyKey,
        webhookTokenSha256);
  }

  /** Whether another submit names the same job: same provider, seed and job fingerprint. */
  public boolean sameJob(String otherProvider, long otherSeed, String otherFingerprint) {
    return provider.equals(otherProvider)
        && seed == otherSeed
        && fingerprint != null
        && fingerprint.equals(otherFingerprint);
  }
}

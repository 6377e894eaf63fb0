package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.gpu.ProviderDescriptor;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.tasks.Artifact;
import java.util.List;

/** The answers of the {@code /api/providers/gpu} operations, serialized as they are. */
public final class Results {
  private Results() {}

  /**
   * The state of the public GPU feature flag, carried by every answer.
   *
   * @param name always {@code enable_public_gpu_adapters}
   * @param enabled whether it is on
   */
  public record FeatureState(String name, boolean enabled) {}

  /** The answer to {@code POST /health}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Health(
      boolean ok,
      boolean dryRun,
      Mode mode,
      String provider,
      String name,
      String credential,
      String reason,
      String detail,
      List<String> missingSecrets,
      List<String> modeReasons,
      String secretsProblem,
      FeatureState feature) {}

  /**
   * The answer to {@code POST /submit}.
   *
   * @param submitState what is known of the create request
   * @param replayed true when an idempotency key answered with an earlier task (else absent)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Submit(
      boolean ok,
      boolean dryRun,
      Mode mode,
      String provider,
      String id,
      String taskId,
      String status,
      SubmitState submitState,
      Long seed,
      String reason,
      List<String> missingSecrets,
      List<String> modeReasons,
      List<String> ignoredConfigKeys,
      Estimate estimate,
      Boolean replayed,
      FeatureState feature) {}

  /** The answer to {@code GET /poll/{id}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Poll(
      boolean ok,
      boolean dryRun,
      Mode mode,
      String provider,
      String id,
      String taskId,
      String status,
      String message,
      Double progress,
      String providerStatus,
      List<Artifact> artifacts,
      List<String> logs,
      JsonNode progressDetail,
      Failure error,
      JsonNode failure,
      FeatureState feature) {}

  /**
   * Why a task failed, on the poll answer of a task whose status is {@code error}, or that it was
   * lost (status and code {@code lost}); ComfyVN reads it there, {@code /jobs/status} keeps the
   * reason in {@code message}.
   *
   * @param code a stable word: the provider's failure code ({@code missing_model}...), the
   *     service's error code ({@code egress_denied}...), {@code missing_token}, {@code
   *     provider_failed}, {@code provider_rejected}, {@code not_sent}, {@code provider_job_gone},
   *     {@code lost}, else {@code failed}
   * @param message the reason in words (the task's message)
   */
  public record Failure(String code, String message) {}

  /** The answer to {@code POST /cancel/{id}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cancel(
      boolean ok,
      boolean dryRun,
      Mode mode,
      String provider,
      String id,
      String taskId,
      String status,
      boolean canceled,
      String message,
      FeatureState feature) {}

  /** One provider in {@code GET /providers}. */
  public record ProviderStatus(
      String slug,
      String name,
      List<String> aliases,
      List<String> requiredSecrets,
      boolean secretsPresent,
      List<String> missingSecrets,
      Mode mode,
      String configuredMode,
      boolean ready,
      String readiness,
      List<String> modeReasons,
      ProviderDescriptor.Hints hints,
      String docsUrl,
      String pricingUrl,
      String pricingAsOf,
      List<String> capabilities) {}

  /** The answer to {@code GET /providers}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Providers(
      boolean ok,
      List<ProviderStatus> providers,
      String secretsFile,
      String secretsProblem,
      ObjectNode sampleSecrets,
      FeatureState feature) {}
}

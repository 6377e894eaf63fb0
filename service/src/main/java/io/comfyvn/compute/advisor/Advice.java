package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The advisor's answer in ComfyVN's {@code advice} shape (python reference §10.1), plus ranked
 * {@code candidates} and the catalog it used.
 *
 * @param workload the request's workload, echoed
 * @param localCandidate the local GPU, or null when none is known
 * @param remoteCandidate the best remote offer, or null when none fits
 * @param analysis what the advisor read from the request
 * @param reason the rationale, {@code "; "}-joined
 * @param choice {@code local}, {@code remote} or {@code cpu}
 * @param override {@code cpu} when {@code hardware_override} forced it
 * @param fallback what the choice would have been without the override
 * @param estimatedCost {@code "$0.23"}, or null for cpu
 * @param jobSummary the short form Studio shows
 * @param candidates remote offers, eligible ones first by rank, then the rejected with why
 * @param catalog how much of the catalog was considered
 */
public record Advice(
    ObjectNode workload,
    LocalCandidate localCandidate,
    RemoteCandidate remoteCandidate,
    Analysis analysis,
    String reason,
    String choice,
    @JsonInclude(JsonInclude.Include.NON_NULL) String override,
    @JsonInclude(JsonInclude.Include.NON_NULL) String fallback,
    String estimatedCost,
    JobSummary jobSummary,
    List<Candidate> candidates,
    CatalogSummary catalog) {

  /**
   * The local GPU.
   *
   * @param id always {@code local}
   * @param name GPU model
   * @param kind always {@code gpu}
   * @param memoryTotal memory in MB (ComfyVN's field)
   * @param vramGb memory in GB
   * @param source {@code request} or {@code config}
   * @param fits whether it meets the VRAM floor
   */
  public record LocalCandidate(
      String id,
      String name,
      String kind,
      long memoryTotal,
      double vramGb,
      String source,
      boolean fits) {}

  /**
   * ComfyVN's {@code cost} object of a remote candidate.
   *
   * @param hourlyUsd price per hour
   * @param billingIncrementMinutes billing increment in minutes
   */
  public record Cost(double hourlyUsd, double billingIncrementMinutes) {}

  /**
   * The best remote offer, in ComfyVN's shape plus the offer, adapter and estimate.
   *
   * @param id provider id
   * @param name provider name
   * @param service ComfyVN's service word
   * @param baseUrl API base
   * @param meta capabilities, gpu, auth fields, preferred workloads
   * @param cost hourly price and billing increment
   * @param costEstimate the job's expected cost in USD
   * @param costEstimateStr the same as {@code "$0.08"}
   * @param policyHint why this kind of provider suits the job
   * @param score higher is better
   * @param adapter which code would run it
   * @param dryRun true when it is a public adapter that would not run live now
   * @param offer the GPU offer
   * @param estimate the cost and time estimate
   */
  public record RemoteCandidate(
      String id,
      String name,
      String service,
      String baseUrl,
      ObjectNode meta,
      Cost cost,
      double costEstimate,
      String costEstimateStr,
      String policyHint,
      double score,
      String adapter,
      boolean dryRun,
      Offer offer,
      Estimate estimate) {}

  /**
   * One ranked offer.
   *
   * @param rank 1 for the best eligible offer; rejected offers rank after all eligible ones
   * @param provider provider id
   * @param name provider name
   * @param kind public, legacy, self_hosted
   * @param adapter which code would run it
   * @param sku offer SKU
   * @param gpu GPU model
   * @param vramGb its memory
   * @param eligible whether it fits the VRAM floor, the budget and the pin
   * @param dryRun true when it is a public adapter that would not run live now
   * @param usd expected cost
   * @param costStr the same as {@code "$0.08"}
   * @param seconds expected time to result
   * @param score higher is better (10 / (1 + weighted cost))
   * @param why the reasons behind its place
   * @param estimate the full estimate
   */
  public record Candidate(
      int rank,
      String provider,
      String name,
      String kind,
      String adapter,
      String sku,
      String gpu,
      double vramGb,
      boolean eligible,
      boolean dryRun,
      double usd,
      String costStr,
      double seconds,
      double score,
      List<String> why,
      Estimate estimate) {}

  /**
   * The advisor's reading of the request (ComfyVN's fields, plus the workflow's analysis).
   *
   * @param workloadType the type, or {@code generic}
   * @param assets the assets with sizes in MB
   * @param totalAssetMb their total
   * @param largestAssetMb the largest
   * @param requiresGpu whether a GPU is needed
   * @param requiresPersistentStorage whether persistent storage is needed
   * @param expectedRuntimeMinutes the run time used
   * @param runtimeSource {@code request}, {@code workflow} or {@code default}
   * @param burstMode runs of 20 minutes or less
   * @param batchHours the run time in hours
   * @param minVramGb the floor used: the larger of the stated and the inferred
   * @param inferredMinVramGb the floor inferred from the workflow (or the workload type)
   * @param vramFloorSource {@code workflow}, {@code workload_type} or {@code none}
   * @param cachedWorkflows workflows cached remotely
   * @param uncachedWorkflows workflows not cached
   * @param hasCachedWorkflows whether any is cached
   * @param pipelineTranslationGpu whether the translation pipeline needs a GPU
   * @param costSensitivity high, medium or low (from the budget mode)
   * @param budgetLimitUsd the budget, or null
   * @param budgetMode the budget mode
   * @param recommendedRemoteId the best remote provider, or null
   * @param recommendedRemoteScore its score, or null
   * @param workflow the workflow analysis, or null when the request had none
   */
  public record Analysis(
      String workloadType,
      List<AdviceRequest.Asset> assets,
      double totalAssetMb,
      double largestAssetMb,
      boolean requiresGpu,
      boolean requiresPersistentStorage,
      double expectedRuntimeMinutes,
      String runtimeSource,
      boolean burstMode,
      double batchHours,
      double minVramGb,
      double inferredMinVramGb,
      String vramFloorSource,
      int cachedWorkflows,
      int uncachedWorkflows,
      boolean hasCachedWorkflows,
      boolean pipelineTranslationGpu,
      String costSensitivity,
      Double budgetLimitUsd,
      String budgetMode,
      String recommendedRemoteId,
      Double recommendedRemoteScore,
      WorkflowAnalysis workflow) {}

  /**
   * ComfyVN's {@code job_summary}.
   *
   * @param recommendedProvider the chosen provider id, {@code local} or {@code cpu}
   * @param choice local, remote or cpu
   * @param estimatedCost {@code "$0.23"} or null
   * @param policyHint the remote candidate's hint, or null
   * @param minVramGb the floor used
   * @param assetTotalMb total asset size
   */
  public record JobSummary(
      String recommendedProvider,
      String choice,
      String estimatedCost,
      String policyHint,
      double minVramGb,
      double assetTotalMb) {}

  /**
   * How much of the catalog the advice covered.
   *
   * @param providers providers in the catalog
   * @param offers offers in the catalog
   * @param considered offers weighed for this request
   * @param eligible offers that fit
   * @param oldestPriceAsOf the oldest price date among the considered offers
   */
  public record CatalogSummary(
      int providers, int offers, int considered, int eligible, String oldestPriceAsOf) {}

  /**
   * The decision Studio badges: where the job would go and whether it would only be simulated.
   *
   * @param choice local, remote or cpu
   * @param provider provider id, {@code local} or {@code cpu}
   * @param sku the offer's SKU (remote only)
   * @param gpu GPU model (remote and local)
   * @param adapter which code would run it
   * @param dryRun true when the pick is a public adapter that would not run live now
   * @param mode {@code live}/{@code dry_run} for public adapters, {@code external} for legacy and
   *     self-hosted profiles (run outside the public adapters), {@code local}, {@code cpu}
   * @param modeReasons why a public adapter would not run live
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Decision(
      String choice,
      String provider,
      String sku,
      String gpu,
      String adapter,
      boolean dryRun,
      String mode,
      List<String> modeReasons) {}
}

package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.Estimate;

/** Prices a job on a provider's configured hardware, for the {@code estimate} of submit answers. */
public interface CostEstimator {

  /**
   * The expected cost and time of a job.
   *
   * @param slug canonical provider slug
   * @param job the job payload (a workflow in it sizes the job; unreadable parts are ignored)
   */
  Estimate estimate(String slug, ObjectNode job);
}

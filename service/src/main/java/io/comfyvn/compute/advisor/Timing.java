package io.comfyvn.compute.advisor;

/**
 * Expected times of one job on one provider (means of the sim profile's distributions).
 *
 * @param queueS expected wait in the provider's queue
 * @param coldStartProbability how often a job meets a cold worker
 * @param coldStartS how long a cold start takes when it happens
 * @param runS expected run time of the job itself
 */
public record Timing(double queueS, double coldStartProbability, double coldStartS, double runS) {

  /** The cold start a job should expect on average: probability times duration. */
  public double expectedColdStartS() {
    return coldStartProbability * coldStartS;
  }
}

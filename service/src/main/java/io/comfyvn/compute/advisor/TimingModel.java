package io.comfyvn.compute.advisor;

/**
 * Where the advisor gets expected queue, cold-start and run times. The sim profiles implement it,
 * so the advisor and Sim mode agree on what a provider is like.
 */
public interface TimingModel {

  /**
   * Expected times of a job on a provider.
   *
   * @param providerId catalog provider id (providers without a profile get a generic model)
   * @param workUnits the job's size in work units (see {@link WorkflowAnalysis#workUnits()})
   * @param relativeSpeed the GPU's speed relative to the reference ({@link GpuSpeeds})
   */
  Timing expected(String providerId, double workUnits, double relativeSpeed);
}

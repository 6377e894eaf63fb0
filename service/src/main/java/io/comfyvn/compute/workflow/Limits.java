package io.comfyvn.compute.workflow;

/**
 * How much a workflow job may hold. The defaults stay below every runner's own payload limit
 * (RunPod takes 10 MB on {@code /run} and 20 MB on {@code /runsync}, inputs included).
 *
 * @param maxNodes nodes in one graph
 * @param maxGraphBytes bytes of the canonical graph
 * @param maxInputBytes bytes of one input file
 * @param maxTotalInputBytes bytes of all input files together
 * @param maxInputs input files in one job
 */
public record Limits(
    int maxNodes, long maxGraphBytes, long maxInputBytes, long maxTotalInputBytes, int maxInputs) {
  /** The service's defaults: 5000 nodes, 2 MiB of graph, 8 MiB per input, 16 MiB in all, 16. */
  public static final Limits DEFAULT =
      new Limits(5000, 2L * 1024 * 1024, 8L * 1024 * 1024, 16L * 1024 * 1024, 16);

  public Limits {
    if (maxNodes < 1 || maxGraphBytes < 1 || maxInputBytes < 1 || maxInputs < 0) {
      throw new IllegalArgumentException("workflow limits must be positive");
    }
    if (maxTotalInputBytes < maxInputBytes) {
      throw new IllegalArgumentException("maxTotalInputBytes must hold at least one input");
    }
  }
}

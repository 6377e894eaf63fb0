package io.comfyvn.compute.workflow;

/**
 * A seed written into the graph: which node, which input, what value.
 *
 * @param nodeId the node id
 * @param classType its class
 * @param input {@code seed}, {@code noise_seed} or {@code rand_seed}
 * @param value the seed written
 */
public record SeedWrite(String nodeId, String classType, String input, long value) {}

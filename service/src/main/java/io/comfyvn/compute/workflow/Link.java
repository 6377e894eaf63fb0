package io.comfyvn.compute.workflow;

/**
 * A node input fed by another node's output, written {@code [node_id, output_index]} in the API
 * format.
 */
public record Link(String node, int output) {
  public Link {
    if (node == null || output < 0) {
      throw new IllegalArgumentException("a link names a node and an output index >= 0");
    }
  }
}

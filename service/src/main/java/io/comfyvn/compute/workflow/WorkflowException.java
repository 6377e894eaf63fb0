package io.comfyvn.compute.workflow;

import io.comfyvn.compute.errors.ComputeException;

/**
 * A workflow job refused before anything was sent. The answer carries {@code problem} and, where
 * there is one, the {@code node_id} and {@code input} it is about, so a caller can point at the
 * exact place in the graph.
 */
public final class WorkflowException extends ComputeException {
  private static final long serialVersionUID = 1L;

  private final Problem problem;

  WorkflowException(Problem problem, String message, String nodeId, String input) {
    super(problem.kind(), problem.code(), message);
    this.problem = problem;
    detail("problem", problem.wire());
    if (nodeId != null) {
      detail("node_id", nodeId);
    }
    if (input != null) {
      detail("input", input);
    }
  }

  /** What is wrong. */
  public Problem problem() {
    return problem;
  }

  static WorkflowException of(Problem problem, String message) {
    return new WorkflowException(problem, message, null, null);
  }

  static WorkflowException at(Problem problem, String nodeId, String input, String message) {
    return new WorkflowException(problem, message, nodeId, input);
  }

  /** Text from the caller shortened for a message: ids and names are bounded, but not by us. */
  static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}

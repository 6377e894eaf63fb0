package io.comfyvn.compute.workflow;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A workflow job ready to send: the validated job and its input files as bytes (read from the
 * request, the data folder or the web before anything is sent upstream).
 *
 * @param job the validated job (its graph is what every runner is sent)
 * @param inputs the input files, in name order
 */
public record WorkflowRun(WorkflowJob job, List<InputFile> inputs) {
  public WorkflowRun {
    inputs = List.copyOf(inputs);
  }

  /** The input files' SHA-256 by name, as provenance records them. */
  public Map<String, String> inputHashes() {
    Map<String, String> out = new TreeMap<>();
    inputs.forEach(f -> out.put(f.name(), f.sha256()));
    return out;
  }
}

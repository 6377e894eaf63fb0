package io.comfyvn.compute.workflow;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A validated workflow job: the graph to send (seeds written in, canonical), the input files it
 * names, what it returns and which model files it needs. Built by {@link WorkflowJobs#read}.
 *
 * @param graph the graph every provider is sent, byte for byte
 * @param seed the request's seed, from which every seed input was derived
 * @param seeds the seeds written into the graph (empty when the job kept the graph's own)
 * @param inputs the job's input files by name (the name the graph's loaders use)
 * @param inputRefs the files the graph's loaders read, given or not
 * @param outputs the nodes whose results the run returns
 * @param models the model files the graph's loaders name
 */
public record WorkflowJob(
    Graph graph,
    long seed,
    List<SeedWrite> seeds,
    Map<String, InputSource> inputs,
    List<InputRef> inputRefs,
    List<OutputNode> outputs,
    List<ModelRef> models) {
  public WorkflowJob {
    seeds = List.copyOf(seeds);
    inputs = java.util.Collections.unmodifiableMap(new TreeMap<>(inputs));
    inputRefs = List.copyOf(inputRefs);
    outputs = List.copyOf(outputs);
    models = List.copyOf(models);
  }

  /** Loader file names the job gives no input for: files the runner must already have. */
  public List<String> unsuppliedInputs() {
    return inputRefs.stream()
        .map(InputRef::name)
        .filter(n -> !inputs.containsKey(n))
        .distinct()
        .sorted()
        .toList();
  }
}

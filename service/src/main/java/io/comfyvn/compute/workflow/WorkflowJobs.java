package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the workflow job inside a request's {@code job} object:
 *
 * <pre>
 * {"workflow": {API-format graph}, "inputs": {"cat.png": file, ...}, "outputs": ["9"],
 *  "keep_graph_seeds": false}
 * </pre>
 *
 * A job without {@code workflow} is not a workflow job ({@code job.input} passes through to the
 * provider as before). Everything is checked here, before anything is sent: the graph ({@link
 * Graph#parse}), that every input is named by one of the graph's loaders, that {@code outputs}
 * names real nodes. Pure: no files, no network (input files are fetched by {@link InputFiles}).
 */
public final class WorkflowJobs {
  /** The seeds are 32-bit: some custom samplers refuse larger ones, and numpy takes no more. */
  public static final long SEED_MASK = 0xFFFF_FFFFL;

  /** A plain file name with an extension: every runner can place it in ComfyUI's input folder. */
  private static final Pattern INPUT_NAME =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,126}\\.[A-Za-z0-9]{1,8}");

  private WorkflowJobs() {}

  /** Whether a job is a workflow job (it has a {@code workflow}, or ComfyUI's {@code prompt}). */
  public static boolean isWorkflowJob(ObjectNode job) {
    return graphOf(job) != null;
  }

  private static JsonNode graphOf(ObjectNode job) {
    JsonNode w = job.get("workflow");
    if (w != null && !w.isNull()) {
      return w;
    }
    // ComfyUI's own name for the graph; a text prompt is another job's field.
    JsonNode p = job.get("prompt");
    return p != null && p.isObject() ? p : null;
  }

  /**
   * The workflow job in a request's job, or empty when the job has no graph.
   *
   * @param job the request's {@code job}
   * @param seed the request's resolved seed
   * @param limits size limits
   * @throws WorkflowException when anything in it is wrong
   */
  public static Optional<WorkflowJob> read(ObjectNode job, long seed, Limits limits) {
    JsonNode raw = graphOf(job);
    if (raw == null) {
      return Optional.empty();
    }
    Graph parsed = Graph.parse(raw, limits);
    List<OutputNode> outputs = outputs(parsed, job.get("outputs"));
    JsonNode keep = job.get("keep_graph_seeds");
    if (keep != null && !keep.isNull() && !keep.isBoolean()) {
      throw WorkflowException.of(Problem.BAD_INPUTS, "job.keep_graph_seeds must be true or false");
    }
    List<SeedWrite> seeds =
        keep != null && keep.asBoolean(false) ? List.of() : seedWrites(parsed, seed);
    Map<String, Map<String, JsonNode>> changes = new LinkedHashMap<>();
    for (SeedWrite w : seeds) {
      changes
          .computeIfAbsent(w.nodeId(), k -> new TreeMap<>())
          .put(w.input(), LongNode.valueOf(w.value()));
    }
    Graph graph = parsed.with(changes, limits);
    List<InputRef> refs = new ArrayList<>();
    List<ModelRef> models = new ArrayList<>();
    for (Node n : graph.nodes()) {
      NodeCatalog.input(n).ifPresent(refs::add);
      models.addAll(NodeCatalog.models(n));
    }
    Map<String, InputSource> inputs = inputs(job.get("inputs"), refs, limits);
    return Optional.of(new WorkflowJob(graph, seed, seeds, inputs, refs, outputs, models));
  }

  /**
   * The value written into a seed input: the first 32 bits of SHA-256 over the request's seed, the
   * node id and the input name. Two samplers in one graph get different seeds; the same request
   * gets the same ones on every provider.
   */
  public static long deriveSeed(long seed, String nodeId, String input) {
    byte[] h =
        Graph.sha256(
            ("comfyvn-seed/1\u0000" + seed + "\u0000" + nodeId + "\u0000" + input)
                .getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v = (v << 8) | (h[i] & 0xff);
    }
    return v & SEED_MASK;
  }

  private static List<SeedWrite> seedWrites(Graph g, long seed) {
    List<SeedWrite> out = new ArrayList<>();
    for (Node n : g.nodes()) {
      for (String input : NodeCatalog.SEED_INPUTS) {
        if (n.isNumber(input)) {
          out.add(new SeedWrite(n.id(), n.classType(), input, deriveSeed(seed, n.id(), input)));
        }
      }
    }
    return out;
  }

  /**
   * The nodes whose results return: those {@code job.outputs} names, else every saving output node
   * the catalog knows, else (a graph that only previews) its preview nodes.
   */
  private static List<OutputNode> outputs(Graph g, JsonNode wanted) {
    if (wanted != null && !wanted.isNull()) {
      if (!wanted.isArray() || wanted.isEmpty() || wanted.size() > g.size()) {
        throw WorkflowException.of(
            Problem.BAD_OUTPUTS, "job.outputs must be a non-empty array of node ids");
      }
      TreeSet<String> ids = new TreeSet<>(Graph.NODE_ORDER);
      for (JsonNode id : wanted) {
        if (!id.isTextual()) {
          throw WorkflowException.of(
              Problem.BAD_OUTPUTS, "job.outputs must be a non-empty array of node ids");
        }
        ids.add(id.asText());
      }
      List<OutputNode> out = new ArrayList<>();
      for (String id : ids) {
        Node n =
            g.node(id)
                .orElseThrow(
                    () ->
                        WorkflowException.at(
                            Problem.UNKNOWN_OUTPUT,
                            WorkflowException.clip(id),
                            null,
                            "job.outputs names node '"
                                + WorkflowException.clip(id)
                                + "', which the graph does not have"));
        out.add(
            NodeCatalog.output(n)
                .orElse(new OutputNode(n.id(), n.classType(), MediaKind.FILE, null, false)));
      }
      return out;
    }
    List<OutputNode> saved = new ArrayList<>();
    List<OutputNode> previews = new ArrayList<>();
    for (Node n : g.nodes()) {
      NodeCatalog.output(n).ifPresent(o -> (o.preview() ? previews : saved).add(o));
    }
    if (!saved.isEmpty()) {
      return saved;
    }
    if (!previews.isEmpty()) {
      return previews;
    }
    throw WorkflowException.of(
        Problem.NO_OUTPUTS,
        "job.workflow has no output node (SaveImage, SaveVideo, VHS_VideoCombine, SaveAudio, ...);"
            + " for a custom output node, name it in job.outputs");
  }

  private static Map<String, InputSource> inputs(
      JsonNode given, List<InputRef> refs, Limits limits) {
    Map<String, InputSource> out = new TreeMap<>();
    if (given == null || given.isNull()) {
      return out;
    }
    if (!given.isObject()) {
      throw WorkflowException.of(
          Problem.BAD_INPUT_LIST, "job.inputs must be an object {\"<file name>\": file}");
    }
    if (given.size() > limits.maxInputs()) {
      throw WorkflowException.of(
          Problem.INPUT_TOO_LARGE,
          "job.inputs has " + given.size() + " files; at most " + limits.maxInputs());
    }
    for (Map.Entry<String, JsonNode> e : given.properties()) {
      String name = e.getKey();
      if (!INPUT_NAME.matcher(name).matches() || name.contains("..")) {
        throw WorkflowException.at(
            Problem.BAD_INPUT_NAME,
            null,
            WorkflowException.clip(name),
            "input name '"
                + WorkflowException.clip(name)
                + "' must be a plain file name with an extension (letters, digits, . _ - +"
                + " ( ) and spaces; no folders), as the graph's loader names it");
      }
      if (refs.stream().noneMatch(r -> r.name().equals(name))) {
        throw WorkflowException.at(
            Problem.UNREFERENCED_INPUT,
            null,
            name,
            "input '"
                + name
                + "' is named by no LoadImage/LoadImageMask/LoadVideo/LoadAudio node of the"
                + " graph"
                + (refs.isEmpty()
                    ? ""
                    : " (they read: "
                        + String.join(
                            ", ",
                            refs.stream()
                                .map(r -> WorkflowException.clip(r.name()))
                                .distinct()
                                .sorted()
                                .limit(10)
                                .toList())
                        + ")"));
      }
      out.put(name, InputForms.parse(name, e.getValue(), limits.maxInputBytes()));
    }
    return out;
  }
}

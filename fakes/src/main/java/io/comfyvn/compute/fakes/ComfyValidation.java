package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * ComfyUI's answer to a {@code POST /prompt} it refuses (400 {@code {error, node_errors}}), as a
 * current ComfyUI writes it, for the fake runners that sit in front of a ComfyUI (worker-comfyui,
 * cog-comfyui) and pass it on in their own words.
 *
 * <ul>
 *   <li>a class the box lacks: {@code missing_node_type}, {@code "Node '<title>' not found. The
 *       custom node may not be installed."}, {@code details: "Node ID '#<id>'"}, {@code extra_info
 *       {node_id, class_type, node_title}}, no {@code node_errors};
 *   <li>a graph with no output node: {@code prompt_no_outputs};
 *   <li>a loader's file not in its list: {@code prompt_outputs_failed_validation} with {@code
 *       node_errors {<id>: {errors: [{type: value_not_in_list, message, details: "ckpt_name: 'x'
 *       not in [...]", extra_info {input_name, input_config, received_value}}], dependent_outputs,
 *       class_type}}};
 *   <li>an input file the box lacks: {@code custom_validation_failed}, {@code "image - Invalid
 *       image file: x"}.
 * </ul>
 */
final class ComfyValidation {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private ComfyValidation() {}

  /** Whether the graph has a node ComfyUI counts as an output. */
  static boolean hasOutputs(ObjectNode graph) {
    for (var e : graph.properties()) {
      if (FakeExecutor.OUTPUTS.containsKey(e.getValue().path("class_type").asText(""))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The 400 body for a graph the executor refused, or for one without outputs ({@code failure}
   * null).
   */
  static ObjectNode answer(ObjectNode graph, FakeExecutor.Failure failure) {
    ObjectNode out = F.objectNode();
    ObjectNode error = out.putObject("error");
    if (failure instanceof FakeExecutor.MissingNode m) {
      String title = graph.path(m.nodeId()).path("_meta").path("title").asText(m.classType());
      error
          .put("type", "missing_node_type")
          .put("message", "Node '" + title + "' not found. The custom node may not be installed.")
          .put("details", "Node ID '#" + m.nodeId() + "'");
      error
          .putObject("extra_info")
          .put("node_id", m.nodeId())
          .put("class_type", m.classType())
          .put("node_title", title);
      out.putObject("node_errors");
      return out;
    }
    if (failure == null) {
      error
          .put("type", "prompt_no_outputs")
          .put("message", "Prompt has no outputs")
          .put("details", "")
          .putObject("extra_info");
      out.putObject("node_errors");
      return out;
    }
    error
        .put("type", "prompt_outputs_failed_validation")
        .put("message", "Prompt outputs failed validation")
        .put("details", "")
        .putObject("extra_info");
    ObjectNode node = out.putObject("node_errors").putObject(failure.nodeId());
    ObjectNode err = node.putArray("errors").addObject();
    if (failure instanceof FakeExecutor.MissingModel m) {
      err.put("type", "value_not_in_list")
          .put("message", "Value not in list")
          .put("details", m.input() + ": '" + m.name() + "' not in " + PythonRepr.list(m.have()));
      ObjectNode extra = err.putObject("extra_info").put("input_name", m.input());
      ArrayNode config = extra.putArray("input_config");
      m.have().forEach(config.addArray()::add);
      extra.put("received_value", m.name());
    } else if (failure instanceof FakeExecutor.MissingInput m) {
      err.put("type", "custom_validation_failed")
          .put("message", "Custom validation failed for node")
          .put("details", m.input() + " - Invalid image file: " + m.name());
      err.putObject("extra_info").put("input_name", m.input());
    }
    ArrayNode dependent = node.putArray("dependent_outputs");
    dependentOutputs(graph, failure.nodeId()).forEach(dependent::add);
    node.put("class_type", failure.classType());
    return out;
  }

  /** The output nodes whose inputs reach {@code nodeId}, in ComfyUI's id order. */
  static List<String> dependentOutputs(ObjectNode graph, String nodeId) {
    TreeSet<String> out = new TreeSet<>(FakeExecutor.NODE_ORDER);
    for (var e : graph.properties()) {
      if (!FakeExecutor.OUTPUTS.containsKey(e.getValue().path("class_type").asText(""))) {
        continue;
      }
      Set<String> seen = new HashSet<>();
      Deque<String> todo = new ArrayDeque<>(List.of(e.getKey()));
      while (!todo.isEmpty()) {
        String at = todo.pop();
        if (!seen.add(at)) {
          continue;
        }
        if (at.equals(nodeId)) {
          out.add(e.getKey());
          break;
        }
        for (JsonNode in : graph.path(at).path("inputs")) {
          if (in.isArray() && in.size() == 2 && in.get(0).isTextual()) {
            todo.push(in.get(0).asText());
          }
        }
      }
    }
    return new ArrayList<>(out);
  }
}

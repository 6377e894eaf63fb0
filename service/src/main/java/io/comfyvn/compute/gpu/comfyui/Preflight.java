package io.comfyvn.compute.gpu.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.workflow.ModelRef;
import io.comfyvn.compute.workflow.Node;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What a workflow needs that the box lacks, asked before anything is queued: {@code GET
 * /object_info} lists every node class the box has; {@code GET /models/<folder>} lists the files of
 * one model folder (newer ComfyUI). Where the box has no {@code /models} route, the loader's own
 * list in {@code /object_info} ({@code input.required.<input>[0]}, ComfyUI's combo) is read
 * instead. A missing class is {@code missing_node}, a missing file {@code missing_model} ({@code
 * <folder>/<file>}), both 422 and never sent.
 */
final class Preflight {
  private Preflight() {}

  /**
   * @param get a GET of a ComfyUI path: its JSON, or empty when the box answers 404
   * @throws ProviderException {@code missing_node} or {@code missing_model} (nothing was sent)
   */
  static void check(Function<String, Optional<JsonNode>> get, WorkflowRun run) {
    JsonNode objects =
        get.apply("/object_info")
            .orElseThrow(
                () ->
                    refusal(
                        "provider_bad_answer",
                        "comfyui: GET /object_info answered 404; cannot check the workflow"));
    TreeSet<String> missingNodes = new TreeSet<>();
    String firstNode = null;
    for (Node n : run.job().graph().nodes()) {
      if (!objects.has(n.classType())) {
        missingNodes.add(n.classType());
        firstNode = firstNode == null ? n.id() : firstNode;
      }
    }
    if (!missingNodes.isEmpty()) {
      ProviderException e =
          refusal(
              "missing_node",
              "comfyui: the box has no node class "
                  + String.join(", ", missingNodes)
                  + " (install the custom nodes; nothing was queued)");
      e.detail("missing", List.copyOf(missingNodes)).detail("node_id", firstNode);
      throw e;
    }
    Map<String, Set<String>> folders = new LinkedHashMap<>();
    TreeSet<String> missing = new TreeSet<>();
    String firstModel = null;
    for (ModelRef m : run.job().models()) {
      Set<String> have =
          folders.computeIfAbsent(
              m.folder(), f -> files(get, f).orElseGet(() -> comboList(objects, m)));
      if (!have.contains(m.name())) {
        missing.add(m.folder() + "/" + m.name());
        firstModel = firstModel == null ? m.nodeId() : firstModel;
      }
    }
    if (!missing.isEmpty()) {
      ProviderException e =
          refusal(
              "missing_model",
              "comfyui: the box lacks "
                  + String.join(", ", missing)
                  + " (put the files in ComfyUI's models folders; nothing was queued)");
      e.detail("missing", List.copyOf(missing)).detail("node_id", firstModel);
      throw e;
    }
  }

  private static Optional<Set<String>> files(
      Function<String, Optional<JsonNode>> get, String folder) {
    return get.apply("/models/" + folder)
        .map(
            list -> {
              Set<String> out = new HashSet<>();
              list.forEach(f -> out.add(f.asText()));
              return out;
            });
  }

  /** The file list of a loader's input as {@code /object_info} gives it. */
  private static Set<String> comboList(JsonNode objects, ModelRef m) {
    JsonNode spec = objects.path(m.classType()).path("input");
    List<JsonNode> places = new ArrayList<>();
    places.add(spec.path("required").path(m.input()));
    places.add(spec.path("optional").path(m.input()));
    Set<String> out = new HashSet<>();
    for (JsonNode p : places) {
      JsonNode first = p.path(0);
      // old form [[files...], {...}]; newer ["COMBO", {"options": [files...]}]
      JsonNode list = first.isArray() ? first : p.path(1).path("options");
      list.forEach(f -> out.add(f.asText()));
    }
    return out;
  }

  private static ProviderException refusal(String code, String message) {
    return new ProviderException(
        Kind.UNPROCESSABLE, code, message, false, Sent.NOT_SENT, 0, null, null);
  }
}

package io.comfyvn.compute.gpu.comfycloud;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.LiveClient.Failure;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.workflow.ModelRef;
import io.comfyvn.compute.workflow.Node;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Comfy API v2's error envelope {@code {"error": {code, message, details}}} on a refused create, as
 * the service's own failures. A workflow the deployment cannot run is refused synchronously (422,
 * no job, no GPU time): its {@code details.node_errors} name the nodes, and a loader's value not in
 * the deployment's list is a missing model, an unknown class a missing node.
 *
 * <p>{@code node_errors} is read in both shapes seen: the OpenAPI example's {@code {"<node>":
 * [{field, reason}]}} and ComfyUI's own {@code {"<node>": {errors: [{type, message, details,
 * extra_info: {input_name, received_value}}], class_type}}}, which comfy-api-proxy passes on.
 */
final class ErrorEnvelope {
  /** Reasons that say a loader's file is not on the deployment. */
  private static final Set<String> MISSING_MODEL =
      Set.of("value_not_in_list", "missing_model", "model_not_found");

  /** Reasons that say a node class is not installed. */
  private static final Set<String> MISSING_NODE =
      Set.of("missing_node", "missing_node_type", "unknown_node", "unknown_class_type");

  private ErrorEnvelope() {}

  /** The failure a refused create (402 or 422) stands for; nothing runs, nothing is billed. */
  static ProviderException refused(
      String provider,
      HttpCall call,
      HttpReply reply,
      WorkflowRun run,
      ProviderHttp http,
      ObjectMapper mapper) {
    JsonNode error = error(reply, mapper);
    String code = error.path("code").asText("");
    String message = http.scrub(error.path("message").asText("")).strip();
    String what = provider + " " + call.describe() + " -> HTTP " + reply.status() + ": ";
    if (reply.status() == 402 || code.equals("insufficient_credits")) {
      return refusal(
          Kind.UPSTREAM_FAILED,
          "insufficient_credits",
          what + "the account has too few credits to run this job" + tail(message),
          reply.status());
    }
    switch (code) {
      case "missing_asset" -> {
        return refusal(
            Kind.UNPROCESSABLE,
            "missing_asset",
            what + "an input asset is not ready or not the account's" + tail(message),
            reply.status());
      }
      case "idempotency_key_reuse" -> {
        return refusal(
            Kind.CONFLICT,
            "idempotency_key_reuse",
            what + "this task's key was used for another body" + tail(message),
            reply.status());
      }
      default -> {}
    }
    Missing missing = missing(error.path("details").path("node_errors"), run);
    if (!missing.models().isEmpty()) {
      ProviderException e =
          refusal(
              Kind.UNPROCESSABLE,
              "missing_model",
              what
                  + "the deployment lacks "
                  + String.join(", ", missing.models())
                  + " (refused before running; nothing billed)",
              reply.status());
      e.detail("missing", missing.models());
      missing.nodeId().ifPresent(id -> e.detail("node_id", id));
      return e;
    }
    if (!missing.nodes().isEmpty()) {
      ProviderException e =
          refusal(
              Kind.UNPROCESSABLE,
              "missing_node",
              what
                  + "the deployment has no node class "
                  + String.join(", ", missing.nodes())
                  + " (refused before running; nothing billed)",
              reply.status());
      e.detail("missing", missing.nodes());
      missing.nodeId().ifPresent(id -> e.detail("node_id", id));
      return e;
    }
    return refusal(
        Kind.UNPROCESSABLE,
        "provider_rejected",
        what + (code.isEmpty() ? "" : code + ": ") + clip(message.isEmpty() ? "refused" : message),
        reply.status());
  }

  /** A failed run's {@code error} as a typed failure, when it names a missing model or node. */
  static Failure runFailure(JsonNode err) {
    String code = err.path("code").asText("").toLowerCase(Locale.ROOT);
    String node = ProviderAnswers.text(err, "node_id");
    String cls = ProviderAnswers.text(err, "class_type");
    if (MISSING_MODEL.contains(code)) {
      return new Failure("missing_model", node, cls, List.of());
    }
    if (MISSING_NODE.contains(code)) {
      return new Failure("missing_node", node, cls, cls == null ? List.of() : List.of(cls));
    }
    return null;
  }

  private record Missing(List<String> models, List<String> nodes, Optional<String> nodeId) {}

  private static Missing missing(JsonNode nodeErrors, WorkflowRun run) {
    TreeSet<String> models = new TreeSet<>();
    TreeSet<String> nodes = new TreeSet<>();
    String first = null;
    for (var e : nodeErrors.properties()) {
      String nodeId = e.getKey();
      JsonNode entry = e.getValue();
      JsonNode errors = entry.isArray() ? entry : entry.path("errors");
      String cls =
          run.job()
              .graph()
              .node(nodeId)
              .map(Node::classType)
              .orElse(entry.path("class_type").asText(""));
      for (JsonNode err : errors) {
        String reason =
            err.path("reason").asText(err.path("type").asText("")).toLowerCase(Locale.ROOT);
        String field =
            err.path("field").asText(err.path("extra_info").path("input_name").asText(""));
        String text = err.path("message").asText("");
        if (MISSING_MODEL.contains(reason)) {
          String named = model(run, nodeId, field);
          if (named == null) {
            named = err.path("extra_info").path("received_value").asText("");
          }
          if (!named.isBlank()) {
            models.add(named);
            first = first == null ? nodeId : first;
          }
        } else if (MISSING_NODE.contains(reason) || text.contains("does not exist")) {
          if (!cls.isBlank()) {
            nodes.add(cls);
            first = first == null ? nodeId : first;
          }
        }
      }
    }
    return new Missing(new ArrayList<>(models), new ArrayList<>(nodes), Optional.ofNullable(first));
  }

  /** {@code <folder>/<file>} of the model a loader input names, as the graph gives it. */
  private static String model(WorkflowRun run, String nodeId, String field) {
    for (ModelRef m : run.job().models()) {
      if (m.nodeId().equals(nodeId) && (field.isEmpty() || m.input().equals(field))) {
        return m.folder() + "/" + m.name();
      }
    }
    return null;
  }

  private static JsonNode error(HttpReply reply, ObjectMapper mapper) {
    try {
      JsonNode j = mapper.readTree(reply.body());
      return j == null ? MissingNode.getInstance() : j.path("error");
    } catch (IOException notJson) {
      return MissingNode.getInstance();
    }
  }

  private static ProviderException refusal(Kind kind, String code, String message, int status) {
    return new ProviderException(kind, code, message, false, Sent.REFUSED, status, null, null);
  }

  private static String tail(String message) {
    return message.isEmpty() ? "" : " (" + clip(message) + ")";
  }

  private static String clip(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}

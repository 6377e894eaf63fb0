package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A fake {@code runpod-workers/worker-comfyui} ({@code handler.py}) in front of the shared {@link
 * FakeExecutor}: the handler's input validation, its image upload, its rendering of ComfyUI's
 * refusals, and its output shapes.
 *
 * <ul>
 *   <li>{@code validate_input}: {@code "Please provide input"}, {@code "Invalid JSON format in
 *       input"} (a string input is parsed), {@code "Missing 'workflow' parameter"}, {@code
 *       "'images' must be a list of objects with 'name' and 'image' keys"}.
 *   <li>Uploads: each {@code image} is stripped up to its first comma (a data URL) and base64
 *       decoded; a bad one fails the job with {@code "Failed to upload one or more input images"}
 *       and {@code details}. Any bytes are stored (ComfyUI's {@code /upload/image} does not look at
 *       them), so video and audio inputs work too.
 *   <li>ComfyUI's 400 ({@link ComfyValidation}) becomes the handler's {@code ValueError} text:
 *       {@code "Workflow validation failed:\n• Node 4 (errors): [...]\n• Node 4
 *       (dependent_outputs): [...]\n• Node 4 (class_type): ..."}, plus the available checkpoints
 *       when a {@code ckpt_name} is not in the list; without {@code node_errors}, {@code
 *       "<message>. Raw response: <body>"}.
 *   <li>Output: {@code images[{filename, type: "base64", data}]} for what ComfyUI lists under
 *       {@code images} and not as {@code temp} (or {@code type: "s3_url"} with a URL when the
 *       worker has a bucket); other keys ({@code gifs}, {@code audio}, {@code text}, {@code
 *       latents}) are only logged by the real handler, so they are left out; no images and no
 *       errors is {@code {"status": "success_no_images", "images": []}}.
 * </ul>
 */
final class FakeWorkerComfyui {
  /**
   * What the handler returned: RunPod's {@code error} and the rest of the handler's dict ({@code
   * output}), or the output of a run.
   *
   * @param error the {@code error} text, or null on success
   * @param output the handler's dict without {@code error} (RunPod's {@code output}), maybe empty
   */
  record Result(String error, ObjectNode output) {
    boolean failed() {
      return error != null;
    }
  }

  private FakeWorkerComfyui() {}

  /**
   * Runs the handler on one job's {@code input}.
   *
   * @param s3 stores a file and returns its URL (the worker has {@code BUCKET_ENDPOINT_URL}), or
   *     null to return files as base64
   * @param comfy the ComfyUI the handler queues on (the fake RunPod's {@link FakeKit#execute},
   *     which records the graph it was given)
   */
  static Result handle(
      JsonNode input,
      ObjectMapper mapper,
      BiFunction<String, byte[], String> s3,
      FakeExecutor.Runner comfy) {
    if (input == null || input.isNull()) {
      return fail(mapper, "Please provide input");
    }
    if (input.isTextual()) {
      try {
        input = mapper.readTree(input.asText());
      } catch (java.io.IOException e) {
        return fail(mapper, "Invalid JSON format in input");
      }
    }
    JsonNode workflow = input.get("workflow");
    if (workflow == null || workflow.isNull()) {
      return fail(mapper, "Missing 'workflow' parameter");
    }
    JsonNode images = input.get("images");
    if (images != null && !images.isNull()) {
      boolean ok = images.isArray();
      for (JsonNode i : images) {
        ok &= i.isObject() && i.has("name") && i.has("image");
      }
      if (!ok) {
        return fail(mapper, "'images' must be a list of objects with 'name' and 'image' keys");
      }
    }
    Map<String, byte[]> inputFolder = new LinkedHashMap<>();
    List<String> uploadErrors = new ArrayList<>();
    for (JsonNode i : images == null ? mapper.createArrayNode() : images) {
      String name = i.get("name").asText("");
      String data = i.get("image").asText("");
      int comma = data.indexOf(',');
      String b64 = comma >= 0 ? data.substring(comma + 1) : data;
      try {
        byte[] blob = Base64.getMimeDecoder().decode(b64);
        if (name.isEmpty()) {
          uploadErrors.add(
              "Error uploading "
                  + name
                  + ": 400 Client Error: Bad Request for url: http://127.0.0.1:8188/upload/image");
          continue;
        }
        inputFolder.put(name, blob);
      } catch (IllegalArgumentException e) {
        uploadErrors.add("Error decoding base64 for " + name + ": Incorrect padding");
      }
    }
    if (!uploadErrors.isEmpty()) {
      Result r = fail(mapper, "Failed to upload one or more input images");
      uploadErrors.forEach(r.output().putArray("details")::add);
      return r;
    }
    if (!workflow.isObject()) {
      return fail(
          mapper,
          "Error queuing workflow: 500 Server Error: Internal Server Error for url:"
              + " http://127.0.0.1:8188/prompt");
    }
    ObjectNode graph = (ObjectNode) workflow;
    for (var e : graph.properties()) {
      if (!e.getValue().isObject() || !e.getValue().path("class_type").isTextual()) {
        ObjectNode body = mapper.createObjectNode();
        body.putObject("error")
            .put("type", "missing_node_type")
            .put(
                "message",
                "Node 'ID #"
                    + e.getKey()
                    + "' has no class_type. The workflow may be corrupted or a custom node is"
                    + " missing.")
            .put("details", "Node ID '#" + e.getKey() + "'")
            .putObject("extra_info");
        body.putObject("node_errors");
        return refused(mapper, body);
      }
    }
    FakeExecutor.Run run = comfy.run(graph, inputFolder);
    if (run.failure() instanceof FakeExecutor.MissingNode) {
      return refused(mapper, ComfyValidation.answer(graph, run.failure()));
    }
    if (!ComfyValidation.hasOutputs(graph)) {
      return refused(mapper, ComfyValidation.answer(graph, null));
    }
    if (!run.ok()) {
      return refused(mapper, ComfyValidation.answer(graph, run.failure()));
    }
    ObjectNode out = mapper.createObjectNode();
    ArrayNode saved = mapper.createArrayNode();
    for (FakeExecutor.Output o : run.outputs()) {
      if (!o.uiKey().equals("images") || o.type().equals("temp")) {
        continue; // the handler skips temp images and only logs other output keys
      }
      ObjectNode img = saved.addObject().put("filename", o.filename());
      if (s3 != null) {
        img.put("type", "s3_url").put("data", s3.apply(o.filename(), o.data()));
      } else {
        img.put("type", "base64").put("data", Base64.getEncoder().encodeToString(o.data()));
      }
    }
    out.set("images", saved);
    if (saved.isEmpty()) {
      out.put("status", "success_no_images");
    }
    return new Result(null, out);
  }

  private static Result fail(ObjectMapper mapper, String error) {
    return new Result(error, mapper.createObjectNode());
  }

  /** The handler's {@code queue_workflow} on a 400: ComfyUI's answer in its {@code ValueError}. */
  private static Result refused(ObjectMapper mapper, ObjectNode body) {
    JsonNode error = body.path("error");
    String message = "Workflow validation failed";
    if (error.isObject()) {
      message = error.path("message").asText(message);
      if ("prompt_outputs_failed_validation".equals(error.path("type").asText())) {
        message = "Workflow validation failed";
      }
    }
    List<String> details = new ArrayList<>();
    for (var e : body.path("node_errors").properties()) {
      for (var f : e.getValue().properties()) {
        JsonNode v = f.getValue();
        details.add(
            "Node "
                + e.getKey()
                + " ("
                + f.getKey()
                + "): "
                + (v.isTextual() ? v.asText() : PythonRepr.of(v)));
      }
    }
    if (details.isEmpty()) {
      String raw;
      try {
        raw = mapper.writeValueAsString(body);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
      return fail(mapper, message + ". Raw response: " + raw);
    }
    StringBuilder text = new StringBuilder(message).append(":\n");
    for (int i = 0; i < details.size(); i++) {
      text.append(i > 0 ? "\n" : "").append("\u2022 ").append(details.get(i));
    }
    if (details.stream().anyMatch(d -> d.contains("not in list") && d.contains("ckpt_name"))) {
      List<String> ckpts = FakeExecutor.MODELS.getOrDefault("checkpoints", List.of());
      text.append(
          ckpts.isEmpty()
              ? "\n\nNo checkpoint models appear to be available. Please check your model"
                  + " installation."
              : "\n\nAvailable checkpoint models: " + String.join(", ", ckpts));
    }
    return fail(mapper, text.toString());
  }
}

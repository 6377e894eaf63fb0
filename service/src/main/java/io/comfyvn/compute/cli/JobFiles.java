package io.comfyvn.compute.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * What a user hands {@code submit} and {@code simulate}: a submit body ({@code {provider, job,
 * seed...}}), a bare job ({@code {"input": {...}}}), or a ComfyUI workflow in API format (node id
 * to {@code {class_type, inputs}}), which becomes {@code {"workflow": graph}}. The command line's
 * {@code --provider}, {@code --seed}, {@code --dry-run} win over the file.
 */
final class JobFiles {
  private JobFiles() {}

  /** Reads a JSON object from a file, or from {@code stdin} for {@code -}. */
  static ObjectNode read(String file, InputStream stdin, ObjectMapper mapper) {
    JsonNode node;
    String name = "-".equals(file) ? "standard input" : file;
    try {
      node =
          "-".equals(file)
              ? mapper.readTree(stdin)
              : mapper.readTree(Files.newInputStream(Path.of(file)));
    } catch (NoSuchFileException e) {
      throw new CliException(Exit.USAGE, name + ": no such file");
    } catch (JsonProcessingException e) {
      throw new CliException(
          Exit.USAGE,
          name + ": not valid JSON" + Json.where(e) + " (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new CliException(
          Exit.USAGE, name + ": cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    if (node == null || !node.isObject()) {
      throw new CliException(Exit.USAGE, name + ": must hold a JSON object");
    }
    return (ObjectNode) node;
  }

  /** Whether an object is a ComfyUI graph in API format. */
  static boolean apiWorkflow(JsonNode node) {
    if (!node.isObject() || node.isEmpty()) {
      return false;
    }
    Iterator<JsonNode> it = node.elements();
    while (it.hasNext()) {
      JsonNode n = it.next();
      if (!n.isObject() || !n.path("class_type").isTextual()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The request body for {@code submit} or {@code simulate}.
   *
   * @param content the file's object, or null when there is no file
   * @param prompt {@code --prompt}, or null
   * @param provider {@code --provider}, or null
   * @param seed {@code --seed}, or null
   */
  static ObjectNode body(
      ObjectNode content, String prompt, String provider, Long seed, ObjectMapper mapper) {
    if (content != null && prompt != null) {
      throw new CliException(Exit.USAGE, "give a job FILE or --prompt, not both");
    }
    ObjectNode body = mapper.createObjectNode();
    if (content == null) {
      if (prompt == null) {
        throw new CliException(
            Exit.USAGE, "give a job FILE (or - for standard input) or --prompt TEXT");
      }
      body.putObject("job").putObject("input").put("prompt", prompt);
    } else if (content.has("job") || content.has("payload")) {
      body.setAll(content.deepCopy());
    } else if (content.has("nodes") && content.has("links")) {
      throw new CliException(
          Exit.USAGE,
          "this is a ComfyUI workflow in UI format; export it with 'Save (API Format)' and submit"
              + " that file");
    } else if (apiWorkflow(content)) {
      body.putObject("job").set("workflow", content.deepCopy());
    } else {
      body.set("job", content.deepCopy());
    }
    if (provider != null) {
      body.put("provider", provider);
    }
    if (seed != null) {
      body.put("seed", seed);
    }
    if (!body.path("provider").isTextual() || body.path("provider").asText().isBlank()) {
      throw new CliException(
          Exit.USAGE, "--provider is required (see 'comfyvn-compute providers' for the slugs)");
    }
    return body;
  }
}

package io.comfyvn.compute.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;

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

  /**
   * Adds {@code --input} files and {@code --output} node ids to a workflow job's {@code inputs} and
   * {@code outputs}. An input is {@code NAME=SOURCE} or just {@code SOURCE} (named by its file
   * name): an {@code https://} (or {@code http://}) URL is sent for the service to fetch, anything
   * else is a file on this machine, read here and sent as base64 (the service may run elsewhere, so
   * a local path means nothing to it). The service checks names, sizes and kinds.
   *
   * @param body the request body from {@link #body}
   * @param inputs the {@code --input} values, in order
   * @param outputs the {@code --output} node ids
   */
  static void addFiles(ObjectNode body, List<String> inputs, List<String> outputs) {
    if (inputs.isEmpty() && outputs.isEmpty()) {
      return;
    }
    JsonNode job = body.path("job");
    if (!job.path("workflow").isObject()) {
      throw new CliException(
          Exit.USAGE, "--input and --output need a ComfyUI workflow (an API-format graph file)");
    }
    if (job.has("inputs") && !job.get("inputs").isObject()) {
      throw new CliException(Exit.USAGE, "the job's inputs must be an object to add --input to");
    }
    ObjectNode into = ((ObjectNode) job).withObjectProperty("inputs");
    for (String given : inputs) {
      Input in = Input.parse(given);
      if (into.has(in.name())) {
        throw new CliException(Exit.USAGE, "--input " + in.name() + " is given twice");
      }
      into.set(in.name(), in.value(into));
    }
    if (!outputs.isEmpty()) {
      ArrayNode ids = ((ObjectNode) job).putArray("outputs");
      outputs.forEach(ids::add);
    }
  }

  /** One {@code --input}: the name the graph's loader reads, and where the file is. */
  private record Input(String name, String source) {
    static Input parse(String given) {
      int eq = given.indexOf('=');
      boolean named = eq > 0 && !isUrl(given) && !isFile(given);
      String source = named ? given.substring(eq + 1) : given;
      String name = named ? given.substring(0, eq) : lastSegment(source.split("[?#]", 2)[0]);
      if (name.isBlank() || source.isBlank()) {
        throw new CliException(Exit.USAGE, "--input " + given + ": give NAME=FILE or FILE");
      }
      return new Input(name, source);
    }

    JsonNode value(ObjectNode factory) {
      if (isUrl(source)) {
        return factory.objectNode().put("url", source);
      }
      try {
        Path file = Path.of(source);
        return factory
            .objectNode()
            .put("base64", Base64.getEncoder().encodeToString(Files.readAllBytes(file)));
      } catch (NoSuchFileException | java.nio.file.InvalidPathException e) {
        throw new CliException(Exit.USAGE, "--input " + name + ": " + source + ": no such file");
      } catch (IOException e) {
        throw new CliException(
            Exit.USAGE,
            "--input "
                + name
                + ": "
                + source
                + " cannot be read ("
                + e.getClass().getSimpleName()
                + ")");
      }
    }

    private static boolean isUrl(String s) {
      String lower = s.toLowerCase(java.util.Locale.ROOT);
      return lower.startsWith("https://") || lower.startsWith("http://");
    }

    /** A URL's or a path's last segment: its file name ({@code ""} for one ending in a slash). */
    private static String lastSegment(String path) {
      return path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    }

    private static boolean isFile(String s) {
      try {
        return Files.isRegularFile(Path.of(s));
      } catch (java.nio.file.InvalidPathException e) {
        return false;
      }
    }
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

package io.comfyvn.compute.gpu.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.LiveClient.Failure;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveOutputs;
import io.comfyvn.compute.gpu.http.ProviderAnswers;
import io.comfyvn.compute.workflow.Graph;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.MediaTypes;
import io.comfyvn.compute.workflow.ModelRef;
import io.comfyvn.compute.workflow.Node;
import io.comfyvn.compute.workflow.NodeCatalog;
import io.comfyvn.compute.workflow.OutputNode;
import io.comfyvn.compute.workflow.WorkflowException;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A workflow job as a {@code cog-comfyui} model ({@code fofr/any-comfyui-workflow}, or a user's own
 * model or deployment built from it) takes it, and its answers back.
 *
 * <ul>
 *   <li>In: {@code workflow_json} (the canonical graph as a string, byte for byte), {@code
 *       input_file} (every input file in one zip, which {@code predict.py} extracts into ComfyUI's
 *       input folder keeping the names; a single image or video would be renamed {@code
 *       input.<ext>}, so even one file goes zipped), {@code randomise_seeds: false} (the graph's
 *       seeds are ours), {@code output_format: png} and {@code output_quality: 100} (so the files
 *       come back as ComfyUI saved them: below 100 or as webp/jpg, cog re-encodes every png/jpg),
 *       {@code return_temp_files} when the job asks for previews.
 *   <li>Out: a list of file URLs, each file's kind by its extension (png, webp, gif, mp4, webm,
 *       flac, mp3, latent, ...): cog returns every file in ComfyUI's output folder (previews with
 *       {@code return_temp_files}); text outputs are no files and do not come back.
 *   <li>Failure: cog's exception text as the prediction's {@code error}. A model file the model's
 *       weights list lacks is {@code "<name> unavailable. View the list of available weights:
 *       ..."}; a node class it lacks is ComfyUI's refusal, which cog words as {@code "ComfyUI Error
 *       – Your workflow could not be run. Please check the logs for details."} while the logs hold
 *       ComfyUI's {@code invalid prompt: {'type': 'missing_node_type', ...}} line.
 * </ul>
 */
final class CogComfyui {
  static final String RUNNER = "cog-comfyui on Replicate";

  /** Replicate takes data URLs for files of 256 KB or less; larger go through the files API. */
  static final int MAX_DATA_URL_FILE = 256 * 1024;

  private static final Pattern UNAVAILABLE =
      Pattern.compile("(\\S+) unavailable\\. View the list of available weights");
  private static final Pattern INVALID_PROMPT = Pattern.compile("invalid prompt: (\\{.*\\})");
  private static final Pattern NODE_ID = Pattern.compile("'node_id': '([^']+)'");
  private static final Pattern CLASS_TYPE = Pattern.compile("'class_type': '([^']+)'");
  private static final Pattern TITLE = Pattern.compile("Node '(.+?)' not found");

  /** A fixed time for zip entries, so the same files make the same zip. */
  private static final long ZIP_TIME = 315_532_800_000L; // 1980-01-01T00:00:00Z

  private CogComfyui() {}

  /** The model's input for a workflow job; {@code inputFile} is the zip's URL or data URL. */
  static ObjectNode input(
      WorkflowRun run, String inputFile, ProviderSettings settings, ObjectMapper mapper) {
    ObjectNode input = mapper.createObjectNode();
    input.put("workflow_json", run.job().graph().text());
    if (inputFile != null) {
      input.put("input_file", inputFile);
    }
    input.put("output_format", settings.text("output_format").orElse("png"));
    JsonNode q = settings.settings() == null ? null : settings.settings().get("output_quality");
    input.put("output_quality", q != null && q.canConvertToInt() ? q.asInt() : 100);
    input.put("randomise_seeds", false);
    input.put("return_temp_files", run.job().outputs().stream().anyMatch(OutputNode::preview));
    return input;
  }

  /** The input files in one zip: name order, fixed times, so the same files give the same bytes. */
  static byte[] zip(List<InputFile> files) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      for (InputFile f : files.stream().sorted((a, b) -> a.name().compareTo(b.name())).toList()) {
        ZipEntry e = new ZipEntry(f.name());
        e.setTime(ZIP_TIME);
        z.putNextEntry(e);
        z.write(f.data());
        z.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a zip in memory does not fail", e);
    }
    return out.toByteArray();
  }

  static String dataUrl(byte[] zip) {
    return "data:application/zip;base64," + Base64.getEncoder().encodeToString(zip);
  }

  /** The files of a finished prediction, each typed by its extension. */
  static List<Output> outputs(JsonNode output) {
    List<Output> out = new ArrayList<>();
    for (Output o : LiveOutputs.collect(output)) {
      String mime = o.mime();
      if (o.name() != null) {
        mime = MediaTypes.byExtension(o.name()).map(MediaTypes.Sniffed::mime).orElse(mime);
      }
      out.add(new Output(o.name(), o.url(), o.base64(), mime));
    }
    return out;
  }

  /**
   * A missing model or node named by cog-comfyui's error text or ComfyUI's line in the logs, or
   * null. The prediction's own {@code input.workflow_json} tells the model's folder and node.
   */
  static Failure failure(String error, List<String> logs, JsonNode input) {
    if (error == null) {
      return null;
    }
    Matcher m = UNAVAILABLE.matcher(error);
    if (m.find()) {
      String name = m.group(1);
      ModelRef ref = modelRef(input, name);
      return ref == null
          ? new Failure("missing_model", null, null, List.of(name))
          : new Failure(
              "missing_model", ref.nodeId(), ref.classType(), List.of(ref.folder() + "/" + name));
    }
    for (String line : logs) {
      Matcher p = INVALID_PROMPT.matcher(line);
      if (!p.find() || !p.group(1).contains("missing_node_type")) {
        continue;
      }
      String text = p.group(1);
      String id = group(NODE_ID, text);
      String cls = group(CLASS_TYPE, text);
      if (cls == null) {
        cls = group(TITLE, text);
      }
      if (cls != null) {
        return new Failure("missing_node", id, cls, List.of(cls));
      }
    }
    return null;
  }

  private static String group(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? m.group(1) : null;
  }

  /** The loader that names {@code name} in the prediction's workflow, when it can be read. */
  private static ModelRef modelRef(JsonNode input, String name) {
    String wf = ProviderAnswers.text(input, "workflow_json");
    if (wf == null) {
      return null;
    }
    try {
      Graph g = Graph.parse(new ObjectMapper().readTree(wf), Limits.DEFAULT);
      for (Node n : g.nodes()) {
        for (ModelRef r : NodeCatalog.models(n)) {
          if (r.name().equals(name)) {
            return r;
          }
        }
      }
    } catch (IOException | WorkflowException notOurs) {
      // a workflow we did not send: the name alone
    }
    return null;
  }

  /** The error text shown: the typed failure first, then cog's words. */
  static String errorText(String error, Failure failure) {
    if (failure == null) {
      return error;
    }
    String what =
        failure.code().equals("missing_model")
            ? "the model lacks " + String.join(", ", failure.names())
            : "no node class " + String.join(", ", failure.names());
    String where = failure.nodeId() == null ? "" : " (node " + failure.nodeId() + ")";
    return what + where + ": " + error;
  }
}

package io.comfyvn.compute.workflow;

import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a task keeps of a large input file the job gave inline (base64 or a data URL), instead of
 * its bytes: up to 8 MiB each, they would otherwise be stored in the task and sent on every {@code
 * /jobs/ws} update. The SHA-256 here is the one the outputs' provenance sidecars record for the
 * same input.
 *
 * @param name the input's name, as the graph's loader reads it
 * @param sha256 hex SHA-256 of the bytes
 * @param bytes how many bytes the file has
 * @param mediaType its media type when the bytes are a format this service recognises, else null
 */
public record InlineInput(String name, String sha256, long bytes, String mediaType) {

  /**
   * The job's inline inputs by name; paths and URLs are not among them (they are kept as given).
   */
  public static Map<String, InlineInput> of(WorkflowJob job) {
    Map<String, InlineInput> out = new TreeMap<>();
    job.inputs()
        .forEach(
            (name, src) -> {
              if (src instanceof InputSource.Inline inline) {
                byte[] data = inline.data();
                out.put(
                    name,
                    new InlineInput(
                        name,
                        HexFormat.of().formatHex(Graph.sha256(data)),
                        data.length,
                        MediaTypes.sniff(data).map(MediaTypes.Sniffed::mime).orElse(null)));
              }
            });
    return out;
  }
}

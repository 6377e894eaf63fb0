package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --input} and {@code --output}: a workflow job's files and wanted output nodes, for every
 * command that sends a job ({@code submit}, {@code simulate}); {@link JobFiles#addFiles} reads
 * them.
 */
final class WorkflowFiles {
  @Option(
      names = "--input",
      paramLabel = "NAME=FILE",
      description =
          "A workflow input file (repeatable): NAME is what the graph's LoadImage/LoadVideo/"
              + "LoadAudio reads (default: the file's name); FILE is read here and sent, an"
              + " https URL is fetched by the service.")
  List<String> inputs = new ArrayList<>();

  @Option(
      names = "--output",
      paramLabel = "NODE",
      description = "Only this output node's files (repeatable; default: every output node).")
  List<String> outputs = new ArrayList<>();

  /** Adds the files and output ids to the body's workflow job (none given: nothing changes). */
  void addTo(ObjectNode body) {
    JobFiles.addFiles(body, inputs, outputs);
  }
}

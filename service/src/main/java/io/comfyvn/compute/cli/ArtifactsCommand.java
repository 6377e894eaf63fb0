package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code artifacts ID}: a task's outputs; {@code --download DIR} saves them with provenance. */
@Command(
    name = "artifacts",
    mixinStandardHelpOptions = true,
    description = {
      "List a task's outputs; --download DIR saves them with provenance.",
      "List a task's outputs; --download DIR saves each (checked against its sha256) with its"
          + " .prov.json provenance sidecar."
    })
final class ArtifactsCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
  String id;

  @Option(
      names = "--download",
      paramLabel = "DIR",
      description = "Save the files into DIR (created if missing).")
  Path download;

  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Override
  public Integer call() {
    JsonNode listing = Downloads.list(api(), id);
    if (json) {
      printJson(listing);
    } else {
      Table t = new Table("NAME", "MIME", "BYTES", "SHA256");
      for (JsonNode a : listing.path("artifacts")) {
        t.row(
            a.path("name").asText(),
            a.path("mime").asText(""),
            a.path("bytes").asText(""),
            a.path("sha256").asText(""));
      }
      t.print(out());
      if (listing.path("artifacts").isEmpty()) {
        err()
            .println(
                "no artifacts for " + id + " (status " + listing.path("status").asText("?") + ")");
        err().flush();
      }
    }
    if (download != null) {
      for (Path p : Downloads.fetch(api(), listing, download)) {
        (json ? err() : out()).println("saved " + p);
      }
      out().flush();
      err().flush();
    }
    return Exit.OK.code();
  }
}

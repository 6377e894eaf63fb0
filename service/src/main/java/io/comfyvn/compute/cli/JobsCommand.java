package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jobs}: the task registry, newest first. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = "List tasks, newest first.")
final class JobsCommand extends ClientCommand {
  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "20",
      description = "At most N tasks, 1..1000 (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--status",
      paramLabel = "WORD",
      description = "Only tasks in this status (queued, running, done, error, canceled, lost).")
  String status;

  @Option(names = "--json", description = "Print the tasks as a JSON array.")
  boolean json;

  @Override
  public Integer call() {
    if (limit < 1 || limit > 1000) {
      throw new CliException(Exit.USAGE, "--limit must be 1 to 1000");
    }
    JsonNode jobs = api().get("/jobs/all?limit=" + limit).path("jobs");
    ArrayNode shown = MAPPER.createArrayNode();
    for (JsonNode j : jobs) {
      if (status == null || status.equalsIgnoreCase(j.path("status").asText())) {
        shown.add(j);
      }
    }
    if (json) {
      printJson(shown);
      return Exit.OK.code();
    }
    Table t = new Table("ID", "STATUS", "PROGRESS", "PROVIDER", "MODE", "KIND", "UPDATED");
    for (JsonNode j : shown) {
      t.row(
          j.path("id").asText(),
          j.path("status").asText(),
          percent(j.path("progress").asDouble(0)),
          j.path("provider").asText(j.path("meta").path("provider_slug").asText("")),
          j.path("mode").asText(j.path("meta").path("mode").asText("")),
          j.path("kind").asText(),
          j.path("updated_at").asText());
    }
    t.print(out());
    if (shown.isEmpty()) {
      err().println("no tasks" + (status == null ? "" : " in status " + status));
      err().flush();
    }
    return Exit.OK.code();
  }
}

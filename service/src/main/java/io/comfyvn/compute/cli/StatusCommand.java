package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code status ID}: one task from the registry; the exit code says where it is. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show one task; the exit code says where it is.",
      "Show one task (a task id; mock-/sim- ids and provider job ids are looked up by poll).",
      "Exit 0 done, 1 failed, 6 canceled, 9 lost, 8 still queued or running, 4 unknown id."
    })
final class StatusCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
  String id;

  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Override
  public Integer call() {
    JsonNode job;
    try {
      job = api().get("/jobs/status/" + seg(id)).path("job");
    } catch (CliException e) {
      if (e.exit() != Exit.REFUSED) {
        throw e;
      }
      // not a task id: a mock id, a sim id or a provider's job id answers through poll
      job = api().get("/api/providers/gpu/poll/" + seg(id));
    }
    String status = job.path("status").asText("");
    if (json) {
      printJson(job);
    } else {
      Table t = new Table("FIELD", "VALUE");
      t.row("id", job.path("id").asText(job.path("task_id").asText(id)));
      if (job.hasNonNull("kind")) {
        t.row("kind", job.path("kind").asText());
      }
      t.row("status", status);
      t.row("progress", percent(job.path("progress").asDouble(0)));
      t.row("provider", job.path("provider").asText(""));
      t.row("mode", job.path("mode").asText(""));
      if (job.hasNonNull("provider_job_id")) {
        t.row("provider job", job.path("provider_job_id").asText());
      }
      if (job.hasNonNull("message") && !job.path("message").asText().isEmpty()) {
        t.row("message", job.path("message").asText());
      }
      if (job.hasNonNull("updated_at")) {
        t.row("updated", job.path("updated_at").asText());
      }
      for (JsonNode a : job.path("artifacts")) {
        t.row("artifact", a.path("path").asText(a.path("name").asText()));
      }
      t.print(out());
    }
    return Exit.forStatus(status).code();
  }
}

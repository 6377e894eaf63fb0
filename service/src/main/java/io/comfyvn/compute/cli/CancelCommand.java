package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cancel ID}: cancels a running job; a finished one is reported, not changed. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancel a queued or running job.",
      "Exit 0 when it is canceled now or was already finished (the line says which), 4 unknown id."
    })
final class CancelCommand extends ClientCommand {
  @Parameters(
      index = "0",
      paramLabel = "ID",
      description = "The task id (or mock/provider job id).")
  String id;

  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Override
  public Integer call() {
    JsonNode a =
        api()
            .post(
                "/api/providers/gpu/cancel/" + seg(id),
                MAPPER.createObjectNode(),
                java.util.Map.of());
    if (json) {
      printJson(a);
    } else {
      String task = a.path("task_id").asText(id);
      if (a.path("canceled").asBoolean(false)) {
        out().println("canceled " + task);
      } else {
        out()
            .println(
                task
                    + " was already "
                    + a.path("status").asText()
                    + (a.hasNonNull("message") ? ": " + a.path("message").asText() : ""));
      }
      out().flush();
    }
    return a.path("ok").asBoolean(false) ? Exit.OK.code() : Exit.FAILED.code();
  }
}

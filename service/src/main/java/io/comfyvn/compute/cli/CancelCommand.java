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
      String message = a.hasNonNull("message") ? ": " + a.path("message").asText() : "";
      if (a.path("canceled").asBoolean(false)) {
        out().println("canceled " + task);
      } else if (Exit.terminal(a.path("status").asText())) {
        out().println(task + " was already " + a.path("status").asText() + message);
      } else {
        out().println(task + " not canceled, still " + a.path("status").asText() + message);
      }
      out().flush();
    }
    if (!a.path("ok").asBoolean(false)) {
      return Exit.FAILED.code();
    }
    // not canceled and not finished (a live create whose job id is not known yet): try again
    boolean pending =
        !a.path("canceled").asBoolean(false) && !Exit.terminal(a.path("status").asText());
    return pending ? Exit.PENDING.code() : Exit.OK.code();
  }
}

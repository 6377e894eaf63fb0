package io.comfyvn.compute.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code logs ID}: a task's log as text ({@code GET /jobs/logs/{id}}). */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Print a task's log: a bootstrap run's log file, else the job's log lines.",
      "Exit 0 (nothing printed for a task without a log), or 4 for an unknown id."
    })
final class LogsCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
  String id;

  @Override
  public Integer call() {
    out().print(api().text("/jobs/logs/" + seg(id)));
    out().flush();
    return Exit.OK.code();
  }
}

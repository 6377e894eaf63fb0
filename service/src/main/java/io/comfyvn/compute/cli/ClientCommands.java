package io.comfyvn.compute.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * The client side of the command line: commands that speak the service's HTTP API, and the one
 * place their failures become an {@code error:} line and an {@link Exit} code.
 */
public final class ClientCommands {
  private ClientCommands() {}

  /** Adds the client commands to {@code root} and maps their failures to exit codes. */
  public static CommandLine install(CommandLine root) {
    for (Object c :
        new Object[] {
          new SubmitCommand(),
          new StatusCommand(),
          new WatchCommand(),
          new CancelCommand(),
          new JobsCommand(),
          new ProvidersCommand(),
          new AdviseCommand(),
          new SimulateCommand(),
          new ArtifactsCommand(),
          new LogsCommand()
        }) {
      root.addSubcommand(c);
    }
    CommandLine.IExecutionExceptionHandler previous = root.getExecutionExceptionHandler();
    root.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof CliException c) {
            PrintWriter err = cmd.getErr();
            err.println("error: " + c.getMessage());
            err.flush();
            return c.exit().code();
          }
          return previous.handleExecutionException(e, cmd, parsed);
        });
    return root;
  }
}

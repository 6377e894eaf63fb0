package io.comfyvn.compute;

import io.comfyvn.compute.cli.ClientCommands;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.config.Home;
import io.comfyvn.compute.doctor.DoctorCommand;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code comfyvn-compute} command line. */
@Command(
    name = "comfyvn-compute",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "ComfyVN Compute: one contract to run GPU jobs on public providers.",
    footer = {
      "",
      "fake-providers  Serve fake GPU providers on loopback to try live mode; a command of the"
          + " fakes jar (fakes/target/comfyvn-fakes.jar), which bin/comfyvn-compute runs for it."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      Main.Serve.class,
      Main.FakeProvidersElsewhere.class
    })
public final class Main implements Runnable {
  /** {@code serve}'s exit code for a bad option or settings it cannot start on. */
  static final int CONFIG_ERROR = 2;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * The whole command line: the service's commands. The fakes are not in this jar; {@code
   * fake-providers} is the fakes jar's command ({@code io.comfyvn.compute.fakes.FakesMain}).
   */
  static CommandLine commandLine() {
    return ClientCommands.install(new CommandLine(new Main()).addSubcommand(new DoctorCommand()));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /**
   * {@code fake-providers} asked of the service jar, which does not hold the fakes: says where they
   * are and how to run them, and fails as a usage error. Hidden: the footer of the help already
   * names the command; its own help is the fakes jar's.
   */
  @Command(
      name = "fake-providers",
      hidden = true,
      description = "Not in this jar: see fakes/target/comfyvn-fakes.jar.")
  static final class FakeProvidersElsewhere implements Callable<Integer> {
    static final String MESSAGE =
        "error: fake-providers is not in the service jar. The fake providers live in"
            + " fakes/target/comfyvn-fakes.jar; run them with 'bin/comfyvn-compute fake-providers'"
            + " (it builds and starts that jar; add --write-config to write the live-mode"
            + " settings), or 'java -jar fakes/target/comfyvn-fakes.jar fake-providers'.";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Whatever was given after the command (its options are the fakes jar's). */
    @CommandLine.Unmatched java.util.List<String> given;

    @Override
    public Integer call() {
      spec.commandLine().getErr().println(MESSAGE);
      return CommandLine.ExitCode.USAGE;
    }
  }

  /** {@code serve}: runs the service until interrupted. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Serve the HTTP API and Studio page.")
  static final class Serve implements Callable<Integer> {
    @Option(
        names = "--port",
        description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8001;

    @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(
        names = "--home",
        paramLabel = "DIR",
        description =
            "Folder holding config/, logs/ and data/ (default: $COMFYVN_HOME, else"
                + " ~/.comfyvn-compute).")
    Path home;

    @Option(
        names = "--store",
        paramLabel = "URL",
        description =
            "Task store JDBC URL over store.url in config/comfyvn.json, e.g."
                + " jdbc:postgresql://127.0.0.1:5432/comfyvn (user and password from the secrets"
                + " file's store section). Default: the home's embedded SQLite file.")
    String store;

    @Override
    public Integer call() throws InterruptedException {
      if (port < 0 || port > 65535) {
        System.err.println("error: --port must be 0 to 65535");
        return 2;
      }
      Path dir = Home.resolve(home);
      System.err.println("home: " + dir);
      Path here = Path.of("").toAbsolutePath();
      if (!dir.equals(here) && java.nio.file.Files.exists(here.resolve("config/comfyvn.json"))) {
        // Settings in the current folder were the home before it moved to ~/.comfyvn-compute.
        System.err.println(
            "note: " + here.resolve("config/comfyvn.json") + " is not read; use --home . for it");
      }
      // every problem of the settings files, in words, before anything starts
      ConfigLoader.Loaded settings = new ConfigLoader(Json.mapper()).read(dir);
      settings
          .problems()
          .forEach(p -> System.err.println((p.isError() ? "error: " : "warning: ") + p.describe()));
      if (!settings.errors().isEmpty()) {
        System.err.println(
            "error: cannot start: "
                + settings.errors().size()
                + (settings.errors().size() == 1 ? " error" : " errors")
                + " in "
                + dir.resolve(ConfigLoader.CONFIG_FILE)
                + " (comfyvn-compute doctor --home "
                + dir
                + " lists every problem)");
        return CONFIG_ERROR;
      }
      App app;
      try {
        app =
            App.start(new App.Options(dir, host, port, System.getenv(), Clock.systemUTC(), store));
      } catch (ConfigException e) {
        System.err.println("error: " + e.getMessage());
        return CONFIG_ERROR;
      } catch (RuntimeException e) {
        System.err.println("error: cannot start: " + describe(e));
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    app.close();
                    stopped.countDown();
                  }));
      String shownHost = host.contains(":") ? "[" + host + "]" : host;
      System.out.println("listening on http://" + shownHost + ":" + app.port());
      System.out.flush();
      stopped.await();
      return 0;
    }
  }

  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) {
      sb.append(": ").append(e.getMessage());
    }
    Throwable cause = e.getCause();
    if (cause != null && cause != e) {
      sb.append(" (").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        sb.append(": ").append(cause.getMessage());
      }
      sb.append(')');
    }
    return sb.toString();
  }

  /** Reports the build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"comfyvn-compute " + App.version()};
    }
  }
}

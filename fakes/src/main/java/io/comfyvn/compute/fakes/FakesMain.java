package io.comfyvn.compute.fakes;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The fakes jar's command line ({@code fakes/target/comfyvn-fakes.jar}): {@code comfyvn-compute
 * fake-providers ...}, which {@code bin/comfyvn-compute fake-providers} runs. The service jar does
 * not contain the fakes, so it cannot start them.
 */
@Command(
    name = "comfyvn-compute",
    mixinStandardHelpOptions = true,
    versionProvider = FakesMain.Version.class,
    description = "Fake GPU providers on loopback, to try ComfyVN Compute's live mode.",
    subcommands = {CommandLine.HelpCommand.class})
public final class FakesMain implements Runnable {
  /** The service's home folder variable and default folder (the service's {@code Home}). */
  static final String HOME_ENV = "COMFYVN_HOME";

  static final String HOME_DIR = ".comfyvn-compute";

  public static void main(String[] args) {
    // Before any logger exists: the fakes' own settings, not a default DEBUG console.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "io/comfyvn/compute/fakes/logback.xml");
    }
    int code = commandLine().execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  static CommandLine commandLine() {
    return new CommandLine(new FakesMain())
        .addSubcommand(
            new FakeProvidersCommand(
                () -> defaultHome(System.getenv(), System.getProperty("user.home"))));
  }

  /**
   * The folder {@code serve} uses without {@code --home}: {@code $COMFYVN_HOME}, else {@code
   * ~/.comfyvn-compute} (a service test checks this against the service's own rule).
   */
  static Path defaultHome(Map<String, String> env, String userHome) {
    String fromEnv = env.get(HOME_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv.trim()).toAbsolutePath().normalize();
    }
    return Path.of(userHome, HOME_DIR).toAbsolutePath().normalize();
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** The jar's version, from its manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FakesMain.class.getPackage().getImplementationVersion();
      return new String[] {"comfyvn-compute fakes " + (v == null ? "dev" : v)};
    }
  }
}

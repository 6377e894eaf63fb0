package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fake-providers}: serves the five fake providers on loopback with fresh random credentials
 * and the real clock, prints where and the config to paste, and runs until killed.
 */
@Command(
    name = "fake-providers",
    mixinStandardHelpOptions = true,
    description = {
      "Serve fake RunPod, Replicate, Hugging Face, Modal, ComfyUI and Comfy API v2 APIs on 127.0.0.1 to try"
          + " live mode"
          + " without accounts or a GPU.",
      "Prints 'fake providers on http://127.0.0.1:N', then one JSON line: every top-level key"
          + " but 'secrets' (providers_gpu settings, and egress.allowed_base_urls so the service"
          + " may send the fake keys to loopback) is config for config/comfyvn.json; 'secrets' is"
          + " config/comfyvn.secrets.json. With --write-config it also merges them into"
          + " HOME/config/comfyvn.json (turning enable_public_gpu_adapters on) and"
          + " HOME/config/comfyvn.secrets.json (chmod 600); restart 'serve' to use them."
    })
public final class FakeProvidersCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port = 9100;

  @Option(
      names = "--write-config",
      arity = "0..1",
      paramLabel = "HOME",
      fallbackValue = "",
      description =
          "Write the live-mode settings and secrets into HOME/config/ (HOME defaults to the"
              + " service's default home, as 'serve' uses it).")
  String writeConfig;

  @Spec CommandSpec spec;

  private final Supplier<Path> defaultHome;

  /**
   * @param defaultHome the home folder {@code --write-config} without a value writes into (the
   *     service decides it; the fakes do not know the service)
   */
  public FakeProvidersCommand(Supplier<Path> defaultHome) {
    this.defaultHome = defaultHome;
  }

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      spec.commandLine().getErr().println("error: --port must be 0 to 65535");
      return 2;
    }
    FakeProviders fakes =
        new FakeProviders(Clock.systemUTC(), FakeSettings.forCli(), FakeCredentials.random());
    try {
      fakes.start(port);
    } catch (RuntimeException e) {
      spec.commandLine()
          .getErr()
          .println("error: cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  fakes.close();
                  stopped.countDown();
                }));
    PrintWriter out = spec.commandLine().getOut();
    ObjectNode handshake = fakes.cliConfig();
    if (writeConfig != null) {
      Path home = writeConfig.isBlank() ? defaultHome.get() : Path.of(writeConfig).toAbsolutePath();
      try {
        FakeConfigWriter.Written w = new FakeConfigWriter(FakeJson.mapper()).write(home, handshake);
        PrintWriter err = spec.commandLine().getErr();
        err.println("wrote live-mode settings to " + w.config() + " and " + w.secrets());
        w.backups().forEach(b -> err.println("kept the previous file as " + b));
        err.println("(re)start the service to use them: bin/comfyvn-compute serve --home " + home);
        err.flush();
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        fakes.close();
        spec.commandLine().getErr().println("error: " + e.getMessage());
        return 1;
      }
    }
    out.println("fake providers on " + fakes.baseUrl());
    out.println(FakeJson.mapper().writeValueAsString(handshake));
    out.flush();
    stopped.await();
    return 0;
  }
}

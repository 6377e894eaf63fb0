package io.comfyvn.compute.fakes;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
      "Serve fake RunPod, Replicate, Hugging Face, Modal and ComfyUI APIs on 127.0.0.1 to try"
          + " live mode"
          + " without accounts or a GPU.",
      "Prints 'fake providers on http://127.0.0.1:N', then one JSON line with the providers_gpu"
          + " settings and the secrets to paste into config/comfyvn.json and"
          + " config/comfyvn.secrets.json."
    })
public final class FakeProvidersCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port = 9100;

  @Spec CommandSpec spec;

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
    out.println("fake providers on " + fakes.baseUrl());
    out.println(io.comfyvn.compute.Json.mapper().writeValueAsString(fakes.cliConfig()));
    out.flush();
    stopped.await();
    return 0;
  }
}

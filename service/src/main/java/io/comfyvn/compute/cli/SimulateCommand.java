package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code simulate}: the seeded handshake of a job, at once (nothing is sent, nothing billed). */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Simulate a job with a seed: outcome, transcript, cost (nothing sent).",
      "Simulate a job on a provider with a seed: outcome, cold start, retries, transcript and cost."
          + " Same job + seed = same answer. Nothing is sent.",
      "Exit 0 when the simulated job ends done, 1 when it would fail."
    })
final class SimulateCommand extends ClientCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description = "The job JSON or workflow file; - reads standard input.")
  String file;

  @Option(
      names = {"-p", "--provider"},
      paramLabel = "SLUG",
      description = "The provider to simulate.")
  String provider;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "Simulate {\"input\": {\"prompt\": TEXT}}.")
  String prompt;

  @Option(names = "--seed", paramLabel = "N", description = "The seed.")
  Long seed;

  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Mixin WorkflowFiles files;

  @Override
  public Integer call() {
    ObjectNode content = file == null ? null : JobFiles.read(file, System.in, MAPPER);
    ObjectNode body = JobFiles.body(content, prompt, provider, seed, MAPPER);
    files.addTo(body);
    JsonNode a = api().post("/api/providers/gpu/simulate", body, java.util.Map.of());
    if (json) {
      printJson(a);
    } else {
      a.path("transcript").forEach(line -> out().println(line.asText()));
      JsonNode cost = a.path("cost");
      out()
          .println(
              "outcome: "
                  + a.path("outcome").asText()
                  + ", seed "
                  + a.path("seed").asText()
                  + ", "
                  + Math.round(a.path("duration_ms").asDouble() / 1000.0)
                  + " s"
                  + (a.path("cold_start").asBoolean() ? ", cold start" : "")
                  + ", retries "
                  + a.path("retries").asInt()
                  + ", cost "
                  + money(cost.path("usd").asDouble()));
      out().flush();
    }
    return "done".equals(a.path("outcome").asText()) ? Exit.OK.code() : Exit.FAILED.code();
  }
}

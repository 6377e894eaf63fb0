package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code providers}: the public GPU adapters and whether each would run live. */
@Command(
    name = "providers",
    mixinStandardHelpOptions = true,
    description = {
      "List the GPU providers: mode, readiness, missing secrets.",
      "A provider runs live only with the public GPU flag on, its secrets present and its mode"
          + " live; the last column says what is missing."
    })
final class ProvidersCommand extends ClientCommand {
  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Override
  public Integer call() {
    JsonNode a = api().get("/api/providers/gpu/providers");
    if (json) {
      printJson(a);
      return Exit.OK.code();
    }
    Table t = new Table("PROVIDER", "NAME", "MODE", "READY", "MISSING SECRETS", "WHY NOT LIVE");
    for (JsonNode p : a.path("providers")) {
      t.row(
          p.path("slug").asText(),
          p.path("name").asText(),
          p.path("mode").asText(),
          p.path("ready").asBoolean() ? "yes" : "no",
          SubmitCommand.join(p.path("missing_secrets")),
          SubmitCommand.isLive(p) ? "" : SubmitCommand.join(p.path("mode_reasons")));
    }
    t.print(out());
    JsonNode f = a.path("feature");
    err()
        .println(
            f.path("name").asText("enable_public_gpu_adapters")
                + ": "
                + (f.path("enabled").asBoolean() ? "on" : "off"));
    if (a.hasNonNull("secrets_problem")) {
      err().println("secrets: " + a.path("secrets_problem").asText());
    }
    err().flush();
    return Exit.OK.code();
  }
}

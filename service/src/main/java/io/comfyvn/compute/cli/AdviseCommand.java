package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code advise}: the compute advisor's pick for a workflow, with cost and ranked candidates. */
@Command(
    name = "advise",
    mixinStandardHelpOptions = true,
    description = {
      "Ask the compute advisor where to run a workflow and what it costs.",
      "Ask the compute advisor where to run: local, remote or cpu, the estimated cost and the"
          + " ranked candidates. Give a ComfyUI workflow (API format), or --body with a whole"
          + " /api/gpu/advise request."
    })
final class AdviseCommand extends ClientCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "WORKFLOW",
      description = "A ComfyUI workflow in API format; - reads standard input.")
  String workflow;

  @Option(
      names = "--body",
      paramLabel = "FILE",
      description = "A whole advise request (ComfyVN's shape); other options override it.")
  String bodyFile;

  @Option(
      names = {"-p", "--provider"},
      paramLabel = "SLUG",
      description = "Pin a provider.")
  String provider;

  @Option(names = "--prefer-remote", description = "Pick remote even when the local GPU fits.")
  boolean preferRemote;

  @Option(names = "--budget", paramLabel = "USD", description = "The most this job may cost.")
  Double budget;

  @Option(
      names = "--candidates",
      paramLabel = "N",
      defaultValue = "5",
      description = "Show the first N candidates (default: ${DEFAULT-VALUE}).")
  int candidates;

  @Option(names = "--json", description = "Print the service's answer as JSON.")
  boolean json;

  @Override
  public Integer call() {
    ObjectNode body =
        bodyFile == null ? MAPPER.createObjectNode() : JobFiles.read(bodyFile, System.in, MAPPER);
    if (workflow != null) {
      ObjectNode wf = JobFiles.read(workflow, System.in, MAPPER);
      if (!JobFiles.apiWorkflow(wf)) {
        throw new CliException(
            Exit.USAGE,
            workflow + ": not a ComfyUI workflow in API format (node id -> {class_type, inputs})");
      }
      body.withObject("/workload").set("workflow", wf);
    }
    if (provider != null) {
      body.put("provider", provider);
    }
    if (preferRemote) {
      body.put("prefer_remote", true);
    }
    if (budget != null) {
      body.withObject("/workload").withObject("/budget").put("limit_usd", budget);
    }
    JsonNode a = api().post("/api/gpu/advise", body, java.util.Map.of());
    if (json) {
      printJson(a);
      return Exit.OK.code();
    }
    JsonNode adv = a.path("advice");
    JsonNode d = a.path("decision");
    out()
        .println(
            "choice: "
                + adv.path("choice").asText()
                + (d.hasNonNull("provider") ? " on " + d.path("provider").asText() : "")
                + (d.hasNonNull("gpu") ? " (" + d.path("gpu").asText() + ")" : "")
                + ", estimated cost "
                + adv.path("estimated_cost").asText("?"));
    out().println("why: " + adv.path("reason").asText(""));
    if (d.path("dry_run").asBoolean(false)) {
      out().println("it would run as dry-run now: " + SubmitCommand.join(d.path("mode_reasons")));
    }
    Table t = new Table("RANK", "PROVIDER", "SKU", "GPU", "VRAM", "USD", "SECONDS", "ELIGIBLE");
    int n = 0;
    for (JsonNode c : adv.path("candidates")) {
      if (n++ >= candidates) {
        break;
      }
      t.row(
          c.path("rank").asInt(),
          c.path("provider").asText(),
          c.path("sku").asText(),
          c.path("gpu").asText(),
          c.path("vram_gb").asText(),
          money(c.path("usd").asDouble()),
          Math.round(c.path("seconds").asDouble()),
          c.path("eligible").asBoolean() ? "yes" : "no");
    }
    t.print(out());
    return Exit.OK.code();
  }
}

package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.status.Mode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code submit}: sends a job, optionally waits for it with progress and fetches its outputs. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Submit a GPU job (a job file, a ComfyUI workflow or --prompt); --wait follows it.",
      "Submit a GPU job: a job JSON file ({\"input\": {...}} or a whole submit body {provider, job,"
          + " seed...}), a ComfyUI workflow in API format (with its --input files), or --prompt"
          + " TEXT.",
      "Prints the task id; with --wait, follows it to the end (exit 0 done, 1 failed, 6"
          + " canceled, 9 lost, 7 timeout)."
    })
final class SubmitCommand extends ClientCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "FILE",
      description = "The job JSON or workflow file; - reads standard input.")
  String file;

  @Option(
      names = {"-p", "--provider"},
      paramLabel = "SLUG",
      description = "runpod, huggingface, replicate, modal, comfyui (or an alias).")
  String provider;

  @Mixin WorkflowFiles files;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "Submit {\"input\": {\"prompt\": TEXT}}.")
  String prompt;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description = "The seed (same job + seed = same result).")
  Long seed;

  @Option(names = "--dry-run", description = "Force dry-run: nothing leaves the service.")
  boolean dryRun;

  @Option(names = "--sim", description = "Run it as a seeded simulation (mode sim).")
  boolean sim;

  @Option(
      names = "--idempotency-key",
      paramLabel = "KEY",
      description = "Sending the same key again answers with the same task, never a second job.")
  String idempotencyKey;

  @Option(names = "--wait", description = "Wait for the job to finish, showing progress on stderr.")
  boolean await;

  @Option(
      names = "--download",
      paramLabel = "DIR",
      description = "With --wait (implied): save the outputs and provenance sidecars into DIR.")
  Path download;

  @Option(
      names = "--json",
      description = "Print the service's answer (the last poll with --wait) as JSON.")
  boolean json;

  @Mixin JobWatch watch;

  @Override
  public Integer call() {
    if (dryRun && sim) {
      throw new CliException(Exit.USAGE, "--dry-run and --sim exclude each other");
    }
    ObjectNode content = file == null ? null : JobFiles.read(file, System.in, MAPPER);
    ObjectNode body = JobFiles.body(content, prompt, provider, seed, MAPPER);
    files.addTo(body);
    if (dryRun) {
      body.put("dry_run", true);
    }
    if (sim) {
      body.put("mode", "sim");
    }
    Map<String, String> headers =
        idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey);
    JsonNode answer = api().post("/api/providers/gpu/submit", body, headers);
    String taskId = answer.path("task_id").asText("");
    String id = taskId.isEmpty() ? answer.path("id").asText("") : taskId;
    boolean accepted = answer.path("ok").asBoolean(false);
    if (!accepted || !(await || download != null)) {
      if (json) {
        printJson(answer);
      } else {
        describe(answer);
      }
      return accepted ? Exit.OK.code() : Exit.FAILED.code();
    }
    if (!json) {
      err()
          .println(
              "submitted "
                  + id
                  + " to "
                  + answer.path("provider").asText()
                  + " ("
                  + answer.path("mode").asText()
                  + ")");
      err().flush();
    }
    Waiter.Outcome outcome = watch.await(this, id);
    JsonNode last = outcome.last();
    String status = last.path("status").asText("");
    List<Path> saved = List.of();
    if ("done".equals(status) && download != null) {
      saved = Downloads.fetch(api(), Downloads.list(api(), id), download);
    }
    if (json) {
      printJson(last);
    } else {
      out().println(id + " " + status);
      for (JsonNode a : last.path("artifacts")) {
        out()
            .println(
                "  "
                    + a.path("path").asText(a.path("name").asText())
                    + "  "
                    + a.path("mime").asText(""));
      }
      saved.forEach(p -> out().println("saved " + p));
      out().flush();
    }
    if (outcome.timedOut()) {
      err()
          .println(
              "still " + status + " after --timeout; follow it with: comfyvn-compute watch " + id);
      err().flush();
      return Exit.TIMEOUT.code();
    }
    JobWatch.ending(status, () -> JobWatch.reason(this, last)).ifPresent(err()::println);
    err().flush();
    return Exit.forStatus(status).code();
  }

  private void describe(JsonNode a) {
    String id = a.path("task_id").asText(a.path("id").asText(""));
    if (a.path("ok").asBoolean(false)) {
      out().println(id);
      err()
          .println(
              "submitted to "
                  + a.path("provider").asText()
                  + " ("
                  + a.path("mode").asText()
                  + "), status "
                  + a.path("status").asText()
                  + (a.hasNonNull("estimate")
                      ? ", estimate "
                          + money(a.path("estimate").path("usd").asDouble())
                          + " for ~"
                          + Math.round(a.path("estimate").path("seconds").asDouble())
                          + " s"
                      : ""));
    } else {
      err()
          .println(
              "not submitted: "
                  + a.path("reason").asText("refused")
                  + (a.path("missing_secrets").isEmpty()
                      ? ""
                      : " (missing secrets: " + join(a.path("missing_secrets")) + ")"));
    }
    if (!isLive(a) && !a.path("mode_reasons").isEmpty()) {
      err().println("not live because: " + join(a.path("mode_reasons")));
    }
    out().flush();
    err().flush();
  }

  static String join(JsonNode array) {
    StringBuilder sb = new StringBuilder();
    array.forEach(n -> sb.append(sb.length() == 0 ? "" : "; ").append(n.asText()));
    return sb.toString();
  }

  /** Whether an answer (or a provider row) says it runs live: its {@code mode}, read as a Mode. */
  static boolean isLive(JsonNode answer) {
    return Mode.fromWire(answer.path("mode").asText()).orElse(Mode.DRY_RUN) == Mode.LIVE;
  }
}

package io.comfyvn.compute.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigProblem;
import io.comfyvn.compute.config.Home;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code doctor}: prints what a home's settings amount to and every problem, without starting the
 * server. Exit 0: no problem; 1: problems (errors or warnings); 2: usage.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Check the home's settings without starting the server: what is configured, what is ready,"
          + " what each provider would run as (dry_run or live) and every problem of"
          + " config/comfyvn.json and config/comfyvn.secrets.json, with file, JSON path and the"
          + " allowed values.",
      "Exit codes: 0 no problem, 1 problems found (serve refuses to start on errors), 2 usage."
    })
public final class DoctorCommand implements Callable<Integer> {
  /** Exit code when problems were found. */
  static final int PROBLEMS = 1;

  @Option(
      names = "--home",
      paramLabel = "DIR",
      description =
          "The home folder to check (default: $COMFYVN_HOME, else ~/.comfyvn-compute), as serve"
              + " uses it.")
  Path home;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Doctor.Report r = Doctor.examine(Home.resolve(home), System.getenv());
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      try {
        out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    } else {
      print(r, out);
    }
    out.flush();
    return r.ok() ? 0 : PROBLEMS;
  }

  static void print(Doctor.Report r, PrintWriter out) {
    out.println("home: " + r.home());
    out.println(
        "config: "
            + r.config().path()
            + (r.config().present() ? "" : " (absent: the shipped defaults)"));
    out.println(
        "secrets: "
            + r.secrets().path()
            + (r.secrets().present() ? "" : " (absent: every provider misses its secrets)"));
    out.println(
        "feature "
            + r.feature().name()
            + ": "
            + (r.feature().enabled()
                ? "on (live calls allowed)"
                : "off (nothing leaves the machine)"));
    out.println(
        "api token: "
            + (r.apiTokenSet() ? "set (" + r.apiTokenFrom() + ")" : "not set (loopback only)"));
    out.println("task store: " + r.store());
    out.println();
    String format = "%-12s %-10s %-8s %-9s %s%n";
    out.printf(Locale.ROOT, format, "PROVIDER", "CONFIGURED", "READY", "WOULD RUN", "WHY NOT LIVE");
    for (Doctor.ProviderReport p : r.providers()) {
      out.printf(
          Locale.ROOT,
          format,
          p.slug(),
          p.configuredMode(),
          p.ready() ? "yes" : "no",
          p.wouldRun().wire(),
          p.notLiveBecause().isEmpty() ? "-" : String.join("; ", p.notLiveBecause()));
    }
    out.println();
    if (r.problems().isEmpty()) {
      out.println("no problems found");
      return;
    }
    out.println(
        "problems: "
            + count(r.errors(), "error")
            + ", "
            + count(r.warnings(), "warning")
            + (r.serveWouldStart() ? "" : " (serve refuses to start on errors)"));
    for (ConfigProblem.View p : r.problems()) {
      out.println("  " + p.severity() + ": " + p.text());
    }
  }

  private static String count(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }
}

package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows a job's progress while the CLI waits: a bar redrawn in place on a terminal, or one plain
 * line per change (status, or progress by tenths) when the output is a file or a pipe.
 */
final class Progress {
  /** How to show progress. */
  enum Style {
    BAR,
    PLAIN,
    NONE;

    /**
     * {@code auto} picks the bar on a terminal (and not {@code TERM=dumb}), else plain lines.
     *
     * @throws CliException (usage) for an unknown word
     */
    static Style of(String option, boolean terminal, String term) {
      return switch (option == null ? "auto" : option.toLowerCase(Locale.ROOT)) {
        case "auto" -> terminal && !"dumb".equals(term) ? BAR : PLAIN;
        case "bar" -> BAR;
        case "plain" -> PLAIN;
        case "none" -> NONE;
        default ->
            throw new CliException(
                Exit.USAGE, "--progress must be auto, bar, plain or none, got '" + option + "'");
      };
    }
  }

  static final int BAR_WIDTH = 30;
  private final Style style;
  private final PrintWriter out;
  private String lastPlain;
  private int drawn;

  Progress(Style style, PrintWriter out) {
    this.style = style;
    this.out = out;
  }

  /** Whether this process writes to a terminal (JDK 22+ asks the console; older: one exists). */
  static boolean terminal() {
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException olderJdk) {
      return true; // before JDK 22 a console exists only on a terminal
    }
  }

  /** Shows one poll answer. */
  void update(JsonNode poll) {
    String status = poll.path("status").asText("?");
    double progress = progress(poll);
    String detail = detail(poll);
    switch (style) {
      case BAR -> {
        String line = bar(progress, status, detail);
        out.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
        drawn = line.length();
        out.flush();
      }
      case PLAIN -> {
        String line = plain(progress, status, detail);
        if (!line.equals(lastPlain)) {
          out.println(line);
          out.flush();
          lastPlain = line;
        }
      }
      case NONE -> {}
    }
  }

  /** Ends the bar's line. */
  void finish() {
    if (style == Style.BAR && drawn > 0) {
      out.println();
      out.flush();
      drawn = 0;
    }
  }

  /** The progress of a poll answer, 0..1; a finished job that is not done shows what it reached. */
  static double progress(JsonNode poll) {
    double p = poll.path("progress").asDouble(0);
    if (Double.isNaN(p)) {
      return 0;
    }
    return Math.max(0, Math.min(1, p));
  }

  private static String detail(JsonNode poll) {
    String ps = poll.path("provider_status").asText("");
    return ps.isEmpty() ? "" : "(" + ps + ")";
  }

  /** {@code [##########--------------------] 33% running (processing)}. */
  static String bar(double progress, String status, String detail) {
    int filled = (int) Math.floor(progress * BAR_WIDTH);
    String pct = String.format(Locale.ROOT, "%3d%%", (int) Math.floor(progress * 100));
    String line =
        "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] " + pct + " " + status;
    return detail.isEmpty() ? line : line + " " + detail;
  }

  /** {@code running 30%}: progress rounded down to tenths, so a plain log stays short. */
  static String plain(double progress, String status, String detail) {
    int tenths = (int) Math.floor(progress * 10) * 10;
    String line = status + " " + tenths + "%";
    return detail.isEmpty() ? line : line + " " + detail;
  }
}

package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/** {@code --timeout}, {@code --interval} and {@code --progress}: how to wait for a job. */
final class JobWatch {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop waiting after this long (e.g. 90s, 10m); exit 7. Default: no limit.")
  Duration timeout;

  @Option(
      names = "--interval",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "1s",
      description = "How often to ask for progress (default: ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(
      names = "--progress",
      paramLabel = "STYLE",
      defaultValue = "auto",
      description =
          "auto (a bar on a terminal, plain lines otherwise), bar, plain or none; on stderr.")
  String progress;

  /** Waits for a job by id, showing progress on the command's stderr. */
  Waiter.Outcome await(ClientCommand cmd, String id) {
    Progress shown =
        new Progress(
            Progress.Style.of(progress, Progress.terminal(), System.getenv("TERM")), cmd.err());
    try {
      return Waiter.real(interval, timeout)
          .await(
              () -> cmd.api().get("/api/providers/gpu/poll/" + ClientCommand.seg(id)),
              shown::update);
    } finally {
      shown.finish();
    }
  }

  /**
   * Why a failed job failed, or what a lost one's service said, from the poll answer (its {@code
   * error}; a lost task's {@code message}), else from the task registry (an older service's poll
   * answer may not say).
   */
  static String reason(ClientCommand cmd, JsonNode poll) {
    String task = poll.path("task_id").asText("");
    JsonNode e = poll.path("error");
    if (Exit.forStatus(poll.path("status").asText("")) == Exit.LOST) {
      // the error's code is the status word itself; the message is the whole story
      String said = poll.path("message").asText(e.path("message").asText(""));
      if (!said.isBlank()) {
        return said;
      }
    } else if (e.isObject()) {
      return e.path("code").asText("") + ": " + e.path("message").asText("");
    }
    if (task.isEmpty()) {
      return "";
    }
    try {
      return cmd.api()
          .get("/jobs/status/" + ClientCommand.seg(task))
          .path("job")
          .path("message")
          .asText("");
    } catch (CliException ex) {
      return "";
    }
  }

  /**
   * The line a finished job leaves on stderr, decided here for both {@code submit --wait} and
   * {@code watch}: {@code failed: <why>} for a failed job; for a lost one the service's message (a
   * job may exist and be billed upstream, check the provider's console before submitting again),
   * which exit 9 alone cannot tell. Empty for done and canceled jobs.
   *
   * @param why the reason or message the service gave, possibly blank; asked only for a failed or
   *     lost job (it may cost a request)
   */
  static Optional<String> ending(String status, Supplier<String> why) {
    Exit exit = Exit.forStatus(status);
    if (exit != Exit.FAILED && exit != Exit.LOST) {
      return Optional.empty();
    }
    String said = Objects.requireNonNullElse(why.get(), "").strip();
    return switch (exit) {
      case FAILED -> Optional.of("failed" + (said.isEmpty() ? "" : ": " + said));
      // the service's lost message starts "Lost: ..."; one word is enough
      case LOST ->
          Optional.of(
              said.regionMatches(true, 0, "lost", 0, 4)
                  ? said
                  : "lost" + (said.isEmpty() ? "" : ": " + said));
      default -> throw new IllegalStateException("not a failed or lost job: " + status);
    };
  }
}

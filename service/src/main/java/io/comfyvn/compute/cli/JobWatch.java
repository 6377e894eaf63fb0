package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
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

  /** Why a failed job failed, from the task registry (the poll answer may not say). */
  static String reason(ClientCommand cmd, JsonNode poll) {
    String task = poll.path("task_id").asText("");
    if (poll.hasNonNull("error")) {
      JsonNode e = poll.get("error");
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
    } catch (CliException e) {
      return "";
    }
  }
}

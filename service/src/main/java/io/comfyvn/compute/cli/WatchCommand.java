package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code watch [ID]}: follows {@code /jobs/ws}, for one job until it ends or for every update. */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Follow task updates live (the /jobs/ws stream).",
      "With ID: show that job's progress and exit when it ends (0 done, 1 failed, 6 canceled,"
          + " 9 lost, 7 timeout). Without: print one line per update until Ctrl-C or --timeout."
    })
final class WatchCommand extends ClientCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "ID",
      description = "The task id to follow.")
  String id;

  @Option(names = "--json", description = "Print each stream message as one JSON line.")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long (e.g. 90s, 10m); exit 7 when following one job.")
  Duration timeout;

  @Option(
      names = "--progress",
      paramLabel = "STYLE",
      defaultValue = "auto",
      description = "With ID: auto, bar, plain or none (on stderr).")
  String progress;

  private final CompletableFuture<Integer> result = new CompletableFuture<>();
  private Progress shown;

  @Override
  public Integer call() {
    if (id != null) {
      shown =
          new Progress(
              Progress.Style.of(progress, Progress.terminal(), System.getenv("TERM")), err());
    }
    WebSocket ws = api().websocket("/jobs/ws", new Listener());
    try {
      if (id != null) {
        // The job may have ended before the stream opened, or be older than its snapshot.
        seen(api().get("/jobs/status/" + seg(id)).path("job"));
      }
      return timeout == null ? result.get() : result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return id == null ? Exit.OK.code() : Exit.TIMEOUT.code();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Exit.OK.code();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CliException c) {
        throw c;
      }
      throw new CliException(
          Exit.UNREACHABLE,
          "the stream broke off (" + e.getCause().getClass().getSimpleName() + ")");
    } finally {
      if (shown != null) {
        shown.finish();
      }
      ws.abort();
    }
  }

  private synchronized void message(JsonNode m) {
    if (result.isDone()) {
      return;
    }
    String type = m.path("type").asText("");
    if (json && id == null) {
      out().println(m.toString());
      out().flush();
      return;
    }
    if ("snapshot".equals(type)) {
      for (JsonNode j : m.path("jobs")) {
        if (id != null && id.equals(j.path("id").asText())) {
          seen(j);
        }
      }
    } else if ("job.update".equals(type)) {
      JsonNode j = m.path("job");
      if (id == null) {
        out()
            .println(
                j.path("updated_at").asText()
                    + "  "
                    + j.path("id").asText()
                    + "  "
                    + j.path("status").asText()
                    + "  "
                    + percent(j.path("progress").asDouble(0))
                    + "  "
                    + j.path("kind").asText()
                    + "  "
                    + j.path("provider").asText(""));
        out().flush();
      } else if (id.equals(j.path("id").asText())) {
        seen(j);
      }
    }
  }

  private synchronized void seen(JsonNode job) {
    if (result.isDone()) {
      return;
    }
    String status = job.path("status").asText("");
    if (json) {
      out().println(job.toString());
      out().flush();
    } else {
      shown.update(job);
    }
    if (Exit.terminal(status)) {
      if (!json) {
        shown.finish();
        out().println(id + " " + status);
        out().flush();
        JobWatch.ending(status, () -> job.path("message").asText("")).ifPresent(err()::println);
        err().flush();
      }
      result.complete(Exit.forStatus(status).code());
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String whole = text.toString();
        text.setLength(0);
        try {
          message(MAPPER.readTree(whole));
        } catch (IOException notJson) {
          // the stream only carries JSON; skip anything else
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      result.completeExceptionally(
          new CliException(Exit.UNREACHABLE, "the service closed the stream (" + statusCode + ")"));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      result.completeExceptionally(
          new CliException(
              Exit.UNREACHABLE, "the stream broke off (" + error.getClass().getSimpleName() + ")"));
    }
  }
}

package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * How {@code submit --wait} and {@code watch} end a job that failed or was lost: the result line on
 * stdout, the reason on stderr, the exit code by status. The commands run in this process against a
 * stub of the service's routes (the poll answer, {@code /jobs/status}, {@code /jobs/ws}), so a lost
 * task needs no provider and no restart.
 */
class JobEndingIT {
  private static final String TASK = "task-lost-1";

  /** What the service writes for a lost task ({@code Reconciler.lostMessage}'s shape). */
  private static final String LOST =
      "Lost: a job may exist at Comfy Cloud and may be billed; this service can no longer follow"
          + " it (restarted during the create); not resubmitted. Check Comfy Cloud's console for"
          + " the job before you submit again (a new submit may pay twice)";

  /** task id -> its {@code /jobs/status} job; the poll answer is built from it. */
  private final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();

  /** Whether the poll answer carries the lost task's message and error (older services: not). */
  private volatile boolean pollSaysWhy = true;

  private Javalin stub;

  /** What one command printed and how it ended. */
  record Run(int exit, String out, String err) {}

  @BeforeEach
  void serve() {
    stub =
        Javalin.create(
                c -> {
                  c.startup.showJavalinBanner = false;
                  c.routes.post(
                      "/api/providers/gpu/submit",
                      ctx ->
                          ctx.json(
                              Map.of(
                                  "ok", true,
                                  "task_id", TASK,
                                  "provider", "comfy_cloud",
                                  "mode", "live",
                                  "status", "queued")));
                  c.routes.get(
                      "/api/providers/gpu/poll/{id}",
                      ctx -> ctx.json(poll(jobs.get(ctx.pathParam("id")))));
                  c.routes.get(
                      "/jobs/status/{id}",
                      ctx -> ctx.json(Map.of("ok", true, "job", jobs.get(ctx.pathParam("id")))));
                  // the stream says nothing; watch also asks /jobs/status once
                  c.routes.ws("/jobs/ws", ws -> ws.onConnect(ctx -> {}));
                })
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    stub.stop();
  }

  @Test
  void submitWaitOfALostJobSaysTheMessageOnStderrAndExitsNine() {
    job(TASK, "lost", LOST);
    Run r = cli("submit", "-p", "comfy_cloud", "--prompt", "a tower", "--wait");
    assertThat(r.exit()).as(r.err()).isEqualTo(Exit.LOST.code());
    assertThat(r.out()).isEqualTo(TASK + " lost\n");
    assertThat(r.err()).contains(LOST + "\n").doesNotContain("lost: Lost").doesNotContain("failed");
  }

  @Test
  void submitWaitReadsTheRegistryWhenThePollAnswerDoesNotSay() {
    pollSaysWhy = false; // a service from before lost tasks' poll answer carried the message
    job(TASK, "lost", LOST);
    Run r = cli("submit", "-p", "comfy_cloud", "--prompt", "a tower", "--wait");
    assertThat(r.exit()).isEqualTo(Exit.LOST.code());
    assertThat(r.err()).contains(LOST + "\n");
  }

  @Test
  void watchOfALostJobSaysTheMessageOnStderrAndExitsNine() {
    job(TASK, "lost", LOST);
    Run r = cli("watch", TASK, "--timeout", "30s");
    assertThat(r.exit()).as(r.err()).isEqualTo(Exit.LOST.code());
    assertThat(r.out()).isEqualTo(TASK + " lost\n");
    assertThat(r.err()).contains(LOST + "\n");
  }

  @Test
  void watchOfAFailedJobSaysWhyOnStderrAsSubmitWaitDoes() {
    job(TASK, "error", "provider_failed: out of memory");
    Run w = cli("watch", TASK, "--timeout", "30s");
    assertThat(w.exit()).isEqualTo(Exit.FAILED.code());
    assertThat(w.out()).isEqualTo(TASK + " error\n");
    assertThat(w.err()).contains("failed: provider_failed: out of memory\n");
  }

  @Test
  void aDoneJobLeavesNoLineAndTheReasonIsNotAskedFor() {
    AtomicInteger asked = new AtomicInteger();
    Supplier<String> why =
        () -> {
          asked.incrementAndGet();
          return "x";
        };
    assertThat(JobWatch.ending("done", why)).isEmpty();
    assertThat(JobWatch.ending("canceled", why)).isEmpty();
    assertThat(JobWatch.ending("running", why)).isEmpty();
    assertThat(asked).hasValue(0);
  }

  @Test
  void aLostOrFailedJobWithoutAReasonStillSaysWhatHappened() {
    assertThat(JobWatch.ending("lost", () -> null)).contains("lost");
    assertThat(JobWatch.ending("lost", () -> "  ")).contains("lost");
    assertThat(JobWatch.ending("lost", () -> "restarted")).contains("lost: restarted");
    assertThat(JobWatch.ending("error", () -> "")).contains("failed");
    assertThat(JobWatch.ending("ERROR", () -> "boom")).contains("failed: boom");
  }

  private void job(String id, String status, String message) {
    ObjectNode j = ClientCommand.MAPPER.createObjectNode();
    j.put("id", id).put("kind", "gpu.job").put("status", status).put("progress", 0.0);
    j.put("provider", "comfy_cloud").put("mode", "live").put("message", message);
    jobs.put(id, j);
  }

  /** The poll answer the service gives for a registry job (Answers.poll's fields read here). */
  private ObjectNode poll(ObjectNode job) {
    ObjectNode p = ClientCommand.MAPPER.createObjectNode();
    String status = job.path("status").asText();
    p.put("ok", true).put("task_id", job.path("id").asText()).put("status", status);
    p.put("progress", job.path("progress").asDouble()).putArray("artifacts");
    if (pollSaysWhy && status.equals("lost")) {
      p.put("message", job.path("message").asText());
      p.putObject("error").put("code", "lost").put("message", job.path("message").asText());
    } else if (pollSaysWhy && status.equals("error")) {
      p.putObject("error").put("code", "failed").put("message", job.path("message").asText());
    }
    return p;
  }

  @Command(name = "comfyvn-compute")
  static final class Root implements Runnable {
    @Override
    public void run() {}
  }

  private Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = ClientCommands.install(new CommandLine(new Root()));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.add(1, "--url=http://127.0.0.1:" + stub.port());
    // no bar and no plain lines: how progress is shown is Progress's business (ProgressTest)
    all.addAll(List.of("--progress", "none"));
    int exit = cl.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }
}

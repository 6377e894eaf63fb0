package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.support.PostgresSchema;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.ServiceProcess;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three instances of the packaged service, each a process of its own with its own home, over one
 * PostgreSQL schema and one set of fake providers (on the real clock), live mode on the fake
 * RunPod. The fake enforces a read limit of 150 per 5 s sliding window; the instances share it.
 *
 * <p>The window is 5 s rather than 1 s (the same 30 a second) so that how late a loaded machine
 * delivers a poll, a few tens of milliseconds, is small against the window, as it is against
 * RunPod's real 10 s: a 1 s window left no margin (a run hit exactly 30 of 30). Waits end on state
 * (every task terminal), and give up only when nothing has progressed for longer than the slowest
 * step the settings allow ({@link #STALL}), never after a fixed count of tries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutIT {
  private static final int READ_LIMIT = 150;
  private static final Duration READ_WINDOW = Duration.ofSeconds(5);
  private static final Duration LEASE = Duration.ofMillis(3000);
  private static final Duration HEARTBEAT = Duration.ofMillis(1000);
  private static final Duration RECONCILE_AFTER = Duration.ofSeconds(20);
  private static final Duration LONGEST_JOB = Duration.ofSeconds(3);

  /**
   * The longest a wait may see no progress: a task of a dead instance is taken over within a lease
   * plus a heartbeat, then either runs (at most the longest job) or, when its create's outcome is
   * unknown, ends at its reconcile deadline; plus as much again for a loaded machine.
   */
  static final Duration STALL =
      LEASE.plus(HEARTBEAT).plus(RECONCILE_AFTER).plus(LONGEST_JOB).multipliedBy(2);

  @TempDir static Path dir;
  private PostgresSchema schema;
  private FakeProviders fakes;
  private final List<ServiceProcess> instances = new ArrayList<>();

  @BeforeAll
  void start() {
    schema = PostgresSchema.create();
    fakes =
        new FakeProviders(
                Clock.systemUTC(),
                FakeSettings.defaults().withJobTimes(Duration.ofSeconds(1), LONGEST_JOB),
                FakeCredentials.forTests())
            .start(0);
    fakes.enforceRateLimit(FakeProviders.RUNPOD, "status", READ_LIMIT, READ_WINDOW);
    Path shared = dir.resolve("shared-artifacts");
    for (String name : List.of("a", "b", "c")) {
      TestHome home = new TestHome(dir.resolve(name));
      home.config(
          "{\"features\":{\"enable_public_gpu_adapters\":true},"
              + "\"egress\":"
              + fakes.cliConfig().get("egress")
              + ",\"artifacts\":{\"dir\":\""
              + shared
              + "\"},\"cluster\":{\"lease_ms\":"
              + LEASE.toMillis()
              + ",\"heartbeat_ms\":"
              + HEARTBEAT.toMillis()
              + "},"
              + "\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400,\"workers\":2,"
              + "\"reconcile_after_ms\":"
              + RECONCILE_AFTER.toMillis()
              // a task adopted from a dead instance is one "found sent after a restart"
              + ",\"reconcile_after_restart_ms\":"
              + RECONCILE_AFTER.toMillis()
              + "},"
              + "\"providers_gpu\":{\"runpod\":{\"mode\":\"live\",\"base_url\":\""
              + fakes.baseUrl()
              + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\",\"resilience\":{"
              + "\"rate_limits\":{\"read\":{\"permits\":"
              + READ_LIMIT
              + ",\"period_ms\":"
              + READ_WINDOW.toMillis()
              + "}},"
              + "\"retry\":{\"max_attempts\":3,\"base_delay_ms\":5,\"max_delay_ms\":20,"
              + "\"max_retry_after_ms\":20},\"timeouts\":{\"connect_ms\":1000,\"read_ms\":2000}}}}}");
      home.secrets("{\"runpod\":{\"api_key\":\"" + fakes.credentials().runpodApiKey() + "\"}}");
      instances.add(ServiceProcess.start(home.root(), "--store", schema.url()));
    }
    // every instance counts the other two before any work is sent (their shares are a third)
    instances.forEach(ScaleOutIT::awaitSettledAmongThree);
  }

  @AfterAll
  void stop() {
    instances.forEach(ServiceProcess::close);
    if (fakes != null) {
      fakes.close();
    }
    if (schema != null) {
      schema.close();
    }
  }

  private static String submit(long seed) {
    return "{\"provider\":\"runpod\",\"seed\":"
        + seed
        + ",\"job\":{\"input\":{\"prompt\":\"scale out "
        + seed
        + "\"}}}";
  }

  @Test
  @Order(1)
  void theSameKeySentToTwoInstancesAtOnceIsOneTaskAndOneCreate() throws Exception {
    int before = fakes.stats().creates(FakeProviders.RUNPOD);
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Server.Reply>> replies = new ArrayList<>();
    for (ServiceProcess p : instances.subList(0, 2)) {
      replies.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return p.post(
                    "/api/providers/gpu/submit",
                    submit(900),
                    Map.of("Idempotency-Key", "same-key-1"));
              }));
    }
    go.countDown();
    Set<String> tasks = new HashSet<>();
    for (CompletableFuture<Server.Reply> r : replies) {
      Server.Reply reply = r.get();
      assertThat(reply.status()).as(reply.body()).isEqualTo(200);
      assertThat(reply.json().path("mode").asText()).isEqualTo("live");
      tasks.add(reply.json().path("task_id").asText());
    }
    assertThat(tasks).hasSize(1);
    assertThat(fakes.stats().creates(FakeProviders.RUNPOD) - before).isEqualTo(1);
    String task = tasks.iterator().next();
    assertThat(awaitAllTerminal(instances.get(2), List.of(task)).get(task).path("status").asText())
        .isEqualTo("done");
  }

  @Test
  @Order(2)
  void aJobsSocketOnOneInstanceSeesATaskSubmittedOnAnother() throws Exception {
    java.util.concurrent.BlockingQueue<String> messages =
        new java.util.concurrent.LinkedBlockingQueue<>();
    java.net.http.WebSocket socket =
        java.net.http.HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                java.net.URI.create(instances.get(0).base().replace("http", "ws") + "/jobs/ws"),
                new java.net.http.WebSocket.Listener() {
                  private final StringBuilder text = new StringBuilder();

                  @Override
                  public java.util.concurrent.CompletionStage<?> onText(
                      java.net.http.WebSocket w, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                      messages.add(text.toString());
                      text.setLength(0);
                    }
                    w.request(1);
                    return null;
                  }
                })
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
    try {
      assertThat(messages.poll(10, java.util.concurrent.TimeUnit.SECONDS)).contains("snapshot");
      Server.Reply r = instances.get(1).post("/api/providers/gpu/submit", submit(950), Map.of());
      String task = r.json().path("task_id").asText();
      List<String> about = new ArrayList<>();
      // until the socket reports the task finished (created, updates, done: all from b's writes)
      while (about.stream().noneMatch(m -> m.contains("\"done\""))) {
        String m = messages.poll(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(m).as("socket on a went quiet; saw " + about).isNotNull();
        if (m.contains(task)) {
          about.add(m);
        }
      }
      // each change once: no two messages carry the same version of the task
      List<String> versions =
          about.stream()
              .map(ScaleOutIT::json)
              .map(j -> j.path("job").path("version").asText() + j.path("event").asText())
              .toList();
      assertThat(versions).doesNotHaveDuplicates();
    } finally {
      socket.abort();
    }
  }

  @Test
  @Order(3)
  void oneInstanceKilledMidFlightAndDuringACreateLosesNothingAndNothingIsCreatedTwice()
      throws Exception {
    int before = fakes.stats().creates(FakeProviders.RUNPOD);
    List<String> tasks = new ArrayList<>();
    int n = 30;
    for (int i = 0; i < n; i++) {
      ServiceProcess p = instances.get(i % 3);
      Server.Reply r = p.post("/api/providers/gpu/submit", submit(1000 + i), Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().path("mode").asText()).isEqualTo("live");
      tasks.add(r.json().path("task_id").asText());
    }
    // c sends one more create, and the fake holds it (handled: the job exists upstream, the
    // answer never comes): c is killed while it waits for the answer
    ServiceProcess c = instances.get(2);
    fakes.inject(Fault.slow(FakeProviders.RUNPOD, "create", Duration.ofSeconds(30), 1));
    CompletableFuture<Void> held =
        CompletableFuture.runAsync(
            () -> {
              try {
                c.post(
                    "/api/providers/gpu/submit", submit(1100), Map.of("Idempotency-Key", "held"));
              } catch (RuntimeException killedMeanwhile) {
                // the connection dies with the process: that is the point
              }
            });
    awaitState(
        () -> "the held create to reach the fake",
        () -> fakes.stats().creates(FakeProviders.RUNPOD) - before == n + 1,
        Duration.ofSeconds(30));
    c.kill9();
    assertThat(c.alive()).isFalse();
    held.get(30, java.util.concurrent.TimeUnit.SECONDS);
    ServiceProcess a = instances.get(0);
    ServiceProcess b = instances.get(1);
    // the caller retries on a survivor with the same key: the task c wrote is the answer, and
    // nothing is sent again (the create may exist upstream)
    Server.Reply retry =
        a.post("/api/providers/gpu/submit", submit(1100), Map.of("Idempotency-Key", "held"));
    assertThat(retry.status()).as(retry.body()).isEqualTo(200);
    String heldTask = retry.json().path("task_id").asText();
    assertThat(heldTask).as(retry.body()).isNotBlank();
    assertThat(tasks).doesNotContain(heldTask);
    List<String> all = new ArrayList<>(tasks);
    all.add(heldTask);
    Map<String, JsonNode> end = awaitAllTerminal(a, all);
    for (String task : tasks) {
      assertThat(end.get(task).path("status").asText()).as(task).isEqualTo("done");
    }
    // the held create: its outcome cannot be learnt from RunPod (no lookup by our id), so it ends
    // at its reconcile deadline, terminal and never resent
    assertThat(end.get(heldTask).path("status").asText())
        .as(end.get(heldTask).toString())
        .isIn("error", "lost");
    // one create per task, whoever followed it, the held one included
    assertThat(fakes.stats().creates(FakeProviders.RUNPOD) - before).isEqualTo(n + 1);
    // the three together never polled more than the documented limit in any window
    int most = fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", READ_WINDOW);
    System.out.println(
        "scale-out: most status polls in any "
            + READ_WINDOW.toSeconds()
            + " s window = "
            + most
            + " (limit "
            + READ_LIMIT
            + "), status polls = "
            + fakes.stats().count(FakeProviders.RUNPOD, "status"));
    assertThat(most).isLessThanOrEqualTo(READ_LIMIT);
    // c's tasks were taken over by a or b
    double takenOver =
        metric(a, "cluster_leases_taken_over") + metric(b, "cluster_leases_taken_over");
    assertThat(takenOver).isGreaterThanOrEqualTo(1);
    awaitJson(
        a,
        "/health",
        h -> h.path("instance").path("live_instances").asInt() == 2,
        LEASE.plus(HEARTBEAT).multipliedBy(3));
    // the poll answer is the same from every instance, artifacts (in the shared folder) included
    for (String task : tasks.subList(0, 6)) {
      Server.Reply fromA = a.get("/api/providers/gpu/poll/" + task);
      assertThat(fromA.json().path("artifacts").size()).as(fromA.body()).isGreaterThan(0);
      assertThat(b.get("/api/providers/gpu/poll/" + task).body()).isEqualTo(fromA.body());
      for (JsonNode art : fromA.json().path("artifacts")) {
        assertThat(Path.of(art.path("path").asText())).exists();
      }
    }
  }

  @Test
  @Order(4)
  void aRollingRestartLosesNothing() {
    // c was killed above: it comes back on its home (and id) first
    instances.set(2, ServiceProcess.start(dir.resolve("c"), "--store", schema.url()));
    instances.forEach(ScaleOutIT::awaitSettledAmongThree);
    int before = fakes.stats().creates(FakeProviders.RUNPOD);
    List<String> tasks = new ArrayList<>();
    int n = 12;
    for (int i = 0; i < n; i++) {
      Server.Reply r =
          instances.get(i % 3).post("/api/providers/gpu/submit", submit(2000 + i), Map.of());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      tasks.add(r.json().path("task_id").asText());
    }
    // stop (SIGTERM) and start again, one instance at a time, while the jobs run
    for (int i = 0; i < 3; i++) {
      Path home = instances.get(i).home();
      instances.get(i).close();
      instances.set(i, ServiceProcess.start(home, "--store", schema.url()));
      awaitJson(instances.get(i), "/health", h -> h.path("ok").asBoolean(), STALL);
    }
    Map<String, JsonNode> end = awaitAllTerminal(instances.get(1), tasks);
    for (String task : tasks) {
      assertThat(end.get(task).path("status").asText()).as(task).isEqualTo("done");
    }
    assertThat(fakes.stats().creates(FakeProviders.RUNPOD) - before).isEqualTo(n);
    int most = fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", READ_WINDOW);
    System.out.println(
        "scale-out (rolling restart): most status polls in any "
            + READ_WINDOW.toSeconds()
            + " s window = "
            + most
            + " (limit "
            + READ_LIMIT
            + ")");
    assertThat(most).isLessThanOrEqualTo(READ_LIMIT);
  }

  /** Waits until the instance counts three and the other two count it (its share is a third). */
  private static void awaitSettledAmongThree(ServiceProcess p) {
    // joining ends one heartbeat after the others' next heartbeats; a dead row ages out in a lease
    awaitJson(
        p,
        "/health",
        h ->
            h.path("instance").path("live_instances").asInt() == 3
                && !h.path("instance").path("joining").asBoolean(true),
        LEASE.plus(HEARTBEAT.multipliedBy(3)).multipliedBy(3));
  }

  private static JsonNode json(String text) {
    try {
      return io.comfyvn.compute.Json.mapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static double metric(ServiceProcess p, String name) {
    for (String line : p.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " not in /metrics");
  }

  /**
   * Polls every task until all are terminal, and returns their last answers. Gives up only when no
   * task has become terminal for {@link #STALL}: a deadline that moves with progress, so a slow
   * machine that is still finishing tasks is never failed, and a stuck task fails within a bound
   * the settings explain.
   */
  static Map<String, JsonNode> awaitAllTerminal(ServiceProcess p, List<String> tasks) {
    Map<String, JsonNode> end = new java.util.LinkedHashMap<>();
    Map<String, JsonNode> last = new java.util.LinkedHashMap<>();
    long progressAt = System.nanoTime();
    while (end.size() < tasks.size()) {
      for (String task : tasks) {
        if (end.containsKey(task)) {
          continue;
        }
        JsonNode j = p.get("/api/providers/gpu/poll/" + task).json();
        last.put(task, j);
        if (j != null && isTerminal(j.path("status").asText())) {
          end.put(task, j);
          progressAt = System.nanoTime();
        }
      }
      if (end.size() < tasks.size()) {
        if (System.nanoTime() - progressAt > STALL.toNanos()) {
          last.keySet().removeAll(end.keySet());
          throw new AssertionError(
              (tasks.size() - end.size())
                  + " tasks made no progress for "
                  + STALL.toSeconds()
                  + " s on "
                  + p.base()
                  + "; last answers: "
                  + last);
        }
        pause();
      }
    }
    return end;
  }

  private static boolean isTerminal(String status) {
    return switch (status) {
      case "done", "error", "canceled", "lost" -> true;
      default -> false;
    };
  }

  /** Reads until the answer matches, for at most {@code within}. */
  static JsonNode awaitJson(
      ServiceProcess p, String path, Predicate<JsonNode> done, Duration within) {
    JsonNode[] last = {null};
    awaitState(
        () -> path + " on " + p.base() + " to match (last: " + last[0] + ")",
        () -> {
          Server.Reply r = p.get(path);
          last[0] = r.json();
          return last[0] != null && done.test(last[0]);
        },
        within);
    return last[0];
  }

  private static void awaitState(
      java.util.function.Supplier<String> what,
      java.util.function.BooleanSupplier done,
      Duration within) {
    long until = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("waited " + within.toSeconds() + " s for " + what.get());
      }
      pause();
    }
  }

  /**
   * Processes and the fakes run on the real clock here, so waiting is the only way to see them
   * progress; each wait above ends on state.
   */
  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

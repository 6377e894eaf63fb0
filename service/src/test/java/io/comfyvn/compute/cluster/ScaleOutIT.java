package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
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
 * RunPod. The fake enforces a read limit of 30 per second; the instances share it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutIT {
  private static final int READ_LIMIT = 30;
  private static final Duration LEASE = Duration.ofMillis(3000);

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
                FakeSettings.defaults().withJobTimes(Duration.ofSeconds(1), Duration.ofSeconds(3)),
                FakeCredentials.forTests())
            .start(0);
    fakes.enforceRateLimit(FakeProviders.RUNPOD, "status", READ_LIMIT, Duration.ofSeconds(1));
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
              + ",\"heartbeat_ms\":1000},"
              + "\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400,\"workers\":2,"
              + "\"reconcile_after_ms\":20000},"
              + "\"providers_gpu\":{\"runpod\":{\"mode\":\"live\",\"base_url\":\""
              + fakes.baseUrl()
              + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\",\"resilience\":{"
              + "\"rate_limits\":{\"read\":{\"permits\":"
              + READ_LIMIT
              + ",\"period_ms\":1000}},"
              + "\"retry\":{\"max_attempts\":3,\"base_delay_ms\":5,\"max_delay_ms\":20,"
              + "\"max_retry_after_ms\":20},\"timeouts\":{\"connect_ms\":1000,\"read_ms\":2000}}}}}");
      home.secrets("{\"runpod\":{\"api_key\":\"" + fakes.credentials().runpodApiKey() + "\"}}");
      instances.add(ServiceProcess.start(home.root(), "--store", schema.url()));
    }
    // every instance counts the other two before any work is sent (their shares are a third)
    for (ServiceProcess p : instances) {
      awaitJson(p, "/health", h -> h.path("instance").path("live_instances").asInt() == 3);
    }
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
    awaitJson(
        instances.get(2),
        "/api/providers/gpu/poll/" + tasks.iterator().next(),
        j -> "done".equals(j.path("status").asText()));
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
  void oneInstanceKilledMidFlightLosesNothingAndNothingIsCreatedTwice() {
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
    ServiceProcess c = instances.get(2);
    c.kill9();
    assertThat(c.alive()).isFalse();
    ServiceProcess a = instances.get(0);
    ServiceProcess b = instances.get(1);
    for (String task : tasks) {
      awaitJson(
          a, "/api/providers/gpu/poll/" + task, j -> "done".equals(j.path("status").asText()));
    }
    // one create per task, whoever followed it
    assertThat(fakes.stats().creates(FakeProviders.RUNPOD) - before).isEqualTo(n);
    // the three together never polled more than the documented limit in any window
    assertThat(fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", Duration.ofSeconds(1)))
        .isLessThanOrEqualTo(READ_LIMIT);
    System.out.println(
        "scale-out: most status polls in any 1 s window = "
            + fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", Duration.ofSeconds(1))
            + " (limit "
            + READ_LIMIT
            + "), status polls = "
            + fakes.stats().count(FakeProviders.RUNPOD, "status"));
    // c's tasks were taken over by a or b
    double takenOver =
        metric(a, "cluster_leases_taken_over") + metric(b, "cluster_leases_taken_over");
    assertThat(takenOver).isGreaterThanOrEqualTo(1);
    awaitJson(a, "/health", h -> h.path("instance").path("live_instances").asInt() == 2);
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
    for (ServiceProcess p : instances) {
      awaitJson(p, "/health", h -> h.path("instance").path("live_instances").asInt() == 3);
    }
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
      awaitJson(instances.get(i), "/health", h -> h.path("ok").asBoolean());
    }
    for (String task : tasks) {
      awaitJson(
          instances.get(1),
          "/api/providers/gpu/poll/" + task,
          j -> "done".equals(j.path("status").asText()));
    }
    assertThat(fakes.stats().creates(FakeProviders.RUNPOD) - before).isEqualTo(n);
    assertThat(fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", Duration.ofSeconds(1)))
        .isLessThanOrEqualTo(READ_LIMIT);
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
   * Reads until the answer matches; the bound only stops a broken run from hanging (processes and
   * the fakes run on the real clock here, so waiting is the only way to see them progress).
   */
  static JsonNode awaitJson(ServiceProcess p, String path, Predicate<JsonNode> done) {
    JsonNode last = null;
    for (int i = 0; i < 600; i++) {
      Server.Reply r = p.get(path);
      last = r.json();
      if (last != null && done.test(last)) {
        return last;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError(path + " on " + p.base() + " never matched; last: " + last);
  }
}

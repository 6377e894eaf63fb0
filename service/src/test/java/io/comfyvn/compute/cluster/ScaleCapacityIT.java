package io.comfyvn.compute.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.support.PostgresSchema;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.ServiceProcess;
import io.comfyvn.compute.support.TestHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capacity of scale-out: many in-flight live tasks spread over two instances (processes, {@code
 * -Xmx256m} each) on one PostgreSQL schema, against the fake RunPod holding every job running (an
 * hour) and enforcing RunPod's documented limits (run 1000 and status 2000 per 10 s; the fake
 * counts every request). Checks: every submit answered with a task and one create each, every task
 * leased by exactly one instance, no 10 s window over the documented limits, and heap after a full
 * GC that leaves room for the target (10,000 tasks over two instances, under 256 MB each).
 *
 * <p>{@code mvn verify} runs 500 tasks followed for 10 s (a loaded 2-core machine submits about 8
 * live tasks a second through two instances); {@code bin/bench-scale-live} runs the same test with
 * {@code -Dcapacity.tasks=10000 -Dcapacity.follow_s=60} and prints the figures.
 */
class ScaleCapacityIT {
  private static final int TASKS = Integer.getInteger("capacity.tasks", 500);
  private static final int FOLLOW_S = Integer.getInteger("capacity.follow_s", 10);
  private static final int CLIENTS = 8;
  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final long MB = 1024 * 1024;

  @TempDir Path dir;

  @Test
  void manyInFlightLiveTasksOverTwoInstancesKeepHeapBoundedAndTheProviderLimits() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create();
        FakeProviders fakes =
            new FakeProviders(
                    Clock.systemUTC(),
                    FakeSettings.defaults().withJobTimes(Duration.ofHours(1), Duration.ofHours(1)),
                    FakeCredentials.forTests())
                .start(0)) {
      fakes.enforceDocumentedRateLimits();
      List<ServiceProcess> instances = new ArrayList<>();
      try {
        for (String name : List.of("a", "b")) {
          TestHome home = new TestHome(dir.resolve(name));
          home.config(
              "{\"features\":{\"enable_public_gpu_adapters\":true},"
                  + "\"egress\":"
                  + fakes.cliConfig().get("egress")
                  + ",\"artifacts\":{\"dir\":\""
                  + dir.resolve("shared-artifacts")
                  + "\"},"
                  // thousands of live submits a minute: the spend guard's defaults would refuse
                  + "\"limits\":{\"max_live_submits_per_minute\":null,"
                  + "\"max_estimated_usd_per_day\":null},"
                  + "\"cluster\":{\"lease_ms\":6000,\"heartbeat_ms\":2000},"
                  + "\"providers_gpu\":{\"runpod\":{\"mode\":\"live\",\"base_url\":\""
                  + fakes.baseUrl()
                  + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\"}}}");
          home.secrets("{\"runpod\":{\"api_key\":\"" + fakes.credentials().runpodApiKey() + "\"}}");
          instances.add(ServiceProcess.start(home.root(), "--store", schema.url()));
        }
        for (ServiceProcess p : instances) {
          awaitSettledAmongTwo(p);
        }
        long[] heapBefore = new long[instances.size()];
        for (int i = 0; i < instances.size(); i++) {
          heapBefore[i] = heapAfterGc(instances.get(i));
        }
        long t0 = System.nanoTime();
        int refused = submitAll(instances);
        double submitS = (System.nanoTime() - t0) / 1e9;
        // followed for a while: polls at the tracker's pace, under the shared limits
        Thread.sleep(FOLLOW_S * 1000L);

        int creates = fakes.stats().creates(FakeProviders.RUNPOD);
        int statusPolls = fakes.stats().count(FakeProviders.RUNPOD, "status");
        int mostStatus = fakes.stats().maxInWindow(FakeProviders.RUNPOD, "status", WINDOW);
        int mostCreates = fakes.stats().maxInWindow(FakeProviders.RUNPOD, "create", WINDOW);
        StringBuilder report =
            new StringBuilder(
                String.format(
                    Locale.ROOT,
                    "scale capacity: %d live tasks over %d instances submitted in %.1f s"
                        + " (%d answers 429 rate_limited, sent again after Retry-After);"
                        + " after %d s following: creates %d, status polls %d (%.0f/s),"
                        + " most in any 10 s window: status %d (limit 2000), run %d (limit 1000)",
                    TASKS,
                    instances.size(),
                    submitS,
                    refused,
                    FOLLOW_S,
                    creates,
                    statusPolls,
                    statusPolls / (submitS + FOLLOW_S),
                    mostStatus,
                    mostCreates));
        double leases = 0;
        long worstProjected = 0;
        for (int i = 0; i < instances.size(); i++) {
          ServiceProcess p = instances.get(i);
          double held = metric(p, "cluster_leases_held");
          leases += held;
          long heap = heapAfterGc(p);
          long perTask = held > 0 ? (long) Math.max(0, (heap - heapBefore[i]) / held) : 0;
          // what 10,000 tasks spread evenly over two instances would need on this one
          long projected = heapBefore[i] + perTask * 5000;
          worstProjected = Math.max(worstProjected, projected);
          report.append(
              String.format(
                  Locale.ROOT,
                  "; instance %d: leases %.0f, heap after GC %.1f MB (%.1f MB before submits,"
                      + " %d bytes per task, 5,000 tasks -> %.1f MB), threads %.0f",
                  i,
                  held,
                  heap / (double) MB,
                  heapBefore[i] / (double) MB,
                  perTask,
                  projected / (double) MB,
                  metric(p, "jvm_threads_live_threads")));
          assertThat(heap).as("heap after GC").isLessThan(256 * MB);
          assertThat(held).as("instance %d follows its share of the tasks", i).isGreaterThan(0);
        }
        System.out.println(report);
        assertThat(creates).as("one create per task").isEqualTo(TASKS);
        assertThat(leases).as("every task followed by exactly one instance").isEqualTo(TASKS);
        assertThat(mostStatus).isLessThanOrEqualTo(2000);
        assertThat(mostCreates).isLessThanOrEqualTo(1000);
        assertThat(statusPolls).as("the tasks are polled").isGreaterThan(0);
        assertThat(worstProjected)
            .as("10,000 tasks over two instances fit in 256 MB each with room to spare")
            .isLessThan(200 * MB);
      } finally {
        instances.forEach(ServiceProcess::close);
      }
    }
  }

  /** Submits every task from a few client threads, spread over the instances; returns 429s. */
  private static int submitAll(List<ServiceProcess> instances) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        running.add(
            clients.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < TASKS; i = next.getAndIncrement()) {
                    ServiceProcess p = instances.get(i % instances.size());
                    while (true) {
                      Server.Reply r =
                          p.post(
                              "/api/providers/gpu/submit",
                              "{\"provider\":\"runpod\",\"seed\":"
                                  + i
                                  + ",\"job\":{\"input\":{\"prompt\":\"capacity "
                                  + i
                                  + "\"}}}",
                              Map.of("Idempotency-Key", "capacity-" + i));
                      if (r.status() == 200) {
                        assertThat(r.json().path("mode").asText()).isEqualTo("live");
                        break;
                      }
                      // past the create share the gateway refuses at once, sending nothing; a
                      // well-behaved client waits the Retry-After and sends the same key again
                      assertThat(r.status()).as(r.body()).isEqualTo(429);
                      refused.incrementAndGet();
                      long wait = Long.parseLong(r.headers().firstValue("Retry-After").orElse("1"));
                      Thread.sleep(wait * 1000);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : running) {
        f.get(30, TimeUnit.MINUTES);
      }
    } finally {
      clients.shutdownNow();
    }
    return refused.get();
  }

  private static void awaitSettledAmongTwo(ServiceProcess p) {
    ScaleOutIT.awaitJson(
        p,
        "/health",
        h ->
            h.path("instance").path("live_instances").asInt() == 2
                && !h.path("instance").path("joining").asBoolean(true),
        Duration.ofSeconds(60));
  }

  /** Heap in use right after a full collection ({@code jcmd PID GC.run}, then {@code /metrics}). */
  static long heapAfterGc(ServiceProcess p) {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    try {
      Process gc = new ProcessBuilder(jcmd, Long.toString(p.pid()), "GC.run").start();
      gc.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
        throw new IllegalStateException(
            "jcmd GC.run failed: "
                + new String(gc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    long used = 0;
    for (String line : p.get("/metrics").body().split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        used += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    assertThat(used).as("heap pools in /metrics").isGreaterThan(0);
    return used;
  }

  private static double metric(ServiceProcess p, String name) {
    for (String line : p.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " not in /metrics");
  }
}

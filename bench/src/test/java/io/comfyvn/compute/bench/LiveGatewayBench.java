package io.comfyvn.compute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.App;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * Live-mode benchmark (not a test): the gateway's added latency for submit + poll against calling
 * the fake RunPod directly, and how many in-flight tasks the tracker follows with bounded heap,
 * threads and upstream calls. Run with {@code bin/bench-live} (it fixes {@code -Xmx256m}).
 *
 * <p>Args: {@code [iterations=2000] [inflight=10000] [followSeconds=30]}.
 */
public final class LiveGatewayBench {
  private static final ObjectMapper M = Json.mapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int inflight = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int followSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    latency(iterations);
    tracker(inflight, followSeconds);
    System.exit(0);
  }

  /** Part 1: submit+poll through the gateway vs directly against the fake. */
  private static void latency(int n) throws Exception {
    FakeCredentials creds = FakeCredentials.random();
    try (FakeProviders fake = hourLongJobs(creds)) {
      Path home = Files.createTempDirectory("bench-live");
      // The tracker's first poll waits a minute, so this part isolates the request path; part 2
      // measures the tracker's load on its own.
      write(home, fake, creds, 60_000, true);
      App app = App.start(new App.Options(home, "127.0.0.1", 0, Map.of(), Clock.systemUTC()));
      String gw = "http://127.0.0.1:" + app.port();
      String direct = fake.baseUrl() + "/runpod/v2/fake-endpoint";
      String body = "{\"input\":{\"prompt\":\"bench\"}}";
      for (int i = 0; i < Math.min(500, n); i++) { // warm up both paths
        directOnce(direct, creds, body);
        gatewayOnce(gw);
      }
      long[] d = new long[n];
      long[] g = new long[n];
      for (int i = 0; i < n; i++) {
        d[i] = directOnce(direct, creds, body);
        g[i] = gatewayOnce(gw);
      }
      Arrays.sort(d);
      Arrays.sort(g);
      System.out.printf(
          "latency submit+poll, %d iterations (ms): direct p50=%.3f p99=%.3f | gateway p50=%.3f p99=%.3f | added p50=%.3f p99=%.3f%n",
          n,
          ms(d, 50),
          ms(d, 99),
          ms(g, 50),
          ms(g, 99),
          ms(g, 50) - ms(d, 50),
          ms(g, 99) - ms(d, 99));
      app.close();
    }
  }

  /** Part 2: N tasks in flight at once, followed by the tracker. */
  private static void tracker(int n, int seconds) throws Exception {
    FakeCredentials creds = FakeCredentials.random();
    try (FakeProviders fake = hourLongJobs(creds)) {
      Path home = Files.createTempDirectory("bench-track");
      write(home, fake, creds, 1000, false);
      App app = App.start(new App.Options(home, "127.0.0.1", 0, Map.of(), Clock.systemUTC()));
      String gw = "http://127.0.0.1:" + app.port();
      int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
      long t0 = System.nanoTime();
      int refused = 0;
      for (int i = 0; i < n; i++) {
        // Past RunPod's documented create limit the gateway answers 429 rate_limited at once
        // (nothing sent); a well-behaved client waits the Retry-After and submits again.
        HttpResponse<String> r =
            submit(gw, "{\"provider\":\"runpod\",\"job\":{\"input\":{\"prompt\":\"t" + i + "\"}}}");
        if (r.statusCode() == 429) {
          refused++;
          Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")));
          i--;
        }
      }
      double submitS = (System.nanoTime() - t0) / 1e9;
      Thread.sleep(seconds * 1000L);
      System.gc();
      Thread.sleep(500);
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long max = Runtime.getRuntime().maxMemory();
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();
      int creates = fake.stats().creates("runpod");
      int statusCalls = fake.stats().count("runpod", "status");
      int peak10s = fake.stats().maxInWindow("runpod", "status", Duration.ofSeconds(10));
      JsonNode jobs = M.readTree(get(gw + "/jobs/all?limit=1000"));
      long queued = 0;
      for (JsonNode j : jobs.get("jobs")) {
        queued += j.get("status").asText().equals("queued") ? 1 : 0;
      }
      System.out.printf(
          "tracker: %d in-flight tasks submitted in %.1f s (%d submits answered 429 rate_limited and sent again after Retry-After); after %d s: heap used %.1f MB of max %.0f MB, threads %d (before submits %d), creates %d, status polls %d, peak status polls in any 10 s window %d (RunPod limit 2000/10 s), newest 1000 still queued %d%n",
          n,
          submitS,
          refused,
          seconds,
          heap / 1e6,
          max / 1e6,
          threads,
          threadsBefore,
          creates,
          statusCalls,
          peak10s,
          queued);
      app.close();
    }
  }

  /**
   * @param unlimited lift the documented rate limits (the latency part measures our overhead, not
   *     the limiter; the tracker part keeps the documented limits and checks them)
   */
  /** Fakes on the real clock whose jobs stay in flight for the whole run. */
  private static FakeProviders hourLongJobs(FakeCredentials creds) {
    return new FakeProviders(
            Clock.systemUTC(),
            FakeSettings.defaults().withJobTimes(Duration.ofHours(1), Duration.ofHours(1)),
            creds)
        .start(0);
  }

  private static void write(
      Path home, FakeProviders fake, FakeCredentials c, int initialPollMs, boolean unlimited)
      throws Exception {
    String limits =
        unlimited
            ? ",\"resilience\":{\"rate_limits\":{\"create\":{\"permits\":1000000,\"period_ms\":1000},"
                + "\"read\":{\"permits\":1000000,\"period_ms\":1000}}}"
            : "";
    Files.createDirectories(home.resolve("config"));
    Files.writeString(
        home.resolve("config/comfyvn.json"),
        "{\"features\":{\"enable_public_gpu_adapters\":true},"
            + "\"egress\":"
            + fake.cliConfig().get("egress")
            + ","
            // thousands of live submits a minute: the spend guard's defaults would refuse them
            + "\"limits\":{\"max_live_submits_per_minute\":null,\"max_estimated_usd_per_day\":null},"
            + "\"tracker\":{\"initial_poll_ms\":"
            + initialPollMs
            + ",\"max_poll_ms\":30000},"
            + "\"providers_gpu\":{\"runpod\":{\"mode\":\"live\",\"base_url\":\""
            + fake.baseUrl()
            + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\""
            + limits
            + "}}}");
    Files.writeString(
        home.resolve("config/comfyvn.secrets.json"),
        "{\"runpod\":{\"api_key\":\"" + c.runpodApiKey() + "\"}}");
  }

  private static long directOnce(String base, FakeCredentials c, String body) throws Exception {
    long t = System.nanoTime();
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + "/run"))
                .header("Authorization", "Bearer " + c.runpodApiKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String id = M.readTree(r.body()).get("id").asText();
    HTTP.send(
        HttpRequest.newBuilder(URI.create(base + "/status/" + id))
            .header("Authorization", "Bearer " + c.runpodApiKey())
            .build(),
        HttpResponse.BodyHandlers.ofString());
    return System.nanoTime() - t;
  }

  private static long gatewayOnce(String gw) throws Exception {
    long t = System.nanoTime();
    String sub =
        post(
            gw + "/api/providers/gpu/submit",
            "{\"provider\":\"runpod\",\"job\":{\"input\":{\"prompt\":\"bench\"}}}");
    String task = M.readTree(sub).get("task_id").asText();
    get(gw + "/api/providers/gpu/poll/" + task);
    return System.nanoTime() - t;
  }

  private static HttpResponse<String> submit(String gw, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(gw + "/api/providers/gpu/submit"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String post(String url, String body) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String get(String url) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static double ms(long[] sorted, int pct) {
    int i = Math.min(sorted.length - 1, (int) Math.ceil(pct / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.ServiceProcess;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} in the middle of concurrent live submits, for every provider at once: the
 * packaged service in a process of its own, the six fake providers (on the real clock) in this JVM.
 * Half of each provider's creates are slow (handled at once, answered seconds later), so the kill
 * finds tasks whose create reached the provider but whose answer was never read. After a restart,
 * per provider: every accepted answer's task exists (0 lost), no create was sent again and no task
 * has more than one job upstream (0 duplicated), and every task ended (0 stuck; {@code lost} is an
 * end). Where the provider's API allows it (Replicate's list, ComfyUI's history, Modal's lookup,
 * RunPod's webhook, Comfy API v2's keyed resend) the interrupted creates are found again and finish
 * {@code done}.
 */
class CrashRecoveryIT {
  private static final List<String> PROVIDERS =
      List.of("runpod", "replicate", "huggingface", "modal", "comfyui", "comfy_cloud");

  /**
   * Providers whose API finds an interrupted create again: by a list or lookup, (RunPod) by the
   * webhook registered with the create, which reaches the service restarted on its port, or (Comfy
   * API v2) by the create rebuilt and resent under its idempotency key, which the API answers with
   * the job it made.
   */
  private static final Set<String> FINDABLE =
      Set.of("replicate", "modal", "comfyui", "runpod", "comfy_cloud");

  /**
   * Providers whose interrupted creates are resent under their idempotency key after the restart:
   * their create requests grow, so "nothing created again" is counted in jobs upstream.
   */
  private static final Set<String> RESENT_UNDER_KEY = Set.of("comfy_cloud");

  private static final int PER_PROVIDER = 4;
  private static final int SLOW = 2;

  /** Longer than the slowest provider takes to receive all creates on a loaded machine. */
  private static final Duration HOLD = Duration.ofSeconds(40);

  @TempDir Path dir;

  @Test
  void killMidFlightThenRestartLosesNothingDuplicatesNothingAndLeavesNothingStuck()
      throws Exception {
    FakeProviders fakes =
        new FakeProviders(
                Clock.systemUTC(),
                FakeSettings.defaults()
                    .withJobTimes(Duration.ofMillis(500), Duration.ofSeconds(1))
                    // RunPod retries a webhook twice, 10 s apart; shorter here, so the test is
                    .withWebhookRetries(
                        java.util.Collections.nCopies(8, Duration.ofSeconds(2)),
                        java.util.Collections.nCopies(8, Duration.ofSeconds(2))),
                FakeCredentials.forTests())
            .start(0);
    ExecutorService pool = Executors.newFixedThreadPool(PROVIDERS.size() * PER_PROVIDER);
    ServiceProcess service = null;
    try {
      TestHome home = new TestHome(dir);
      home.config(config(fakes));
      home.secrets(secrets(fakes.credentials()));
      service = ServiceProcess.start(home.root());
      for (String p : PROVIDERS) {
        // the submit's create is held: for Hugging Face the endpoint read before the hand-off, and
        // the inference request itself
        fakes.inject(
            Fault.slow(p, "huggingface".equals(p) ? "endpoint_get" : "create", HOLD, SLOW));
      }
      fakes.inject(Fault.slow("huggingface", "inference", HOLD, PER_PROVIDER));

      CountDownLatch go = new CountDownLatch(1);
      Map<String, List<CompletableFuture<Server.Reply>>> replies = new LinkedHashMap<>();
      ServiceProcess first = service;
      for (String p : PROVIDERS) {
        List<CompletableFuture<Server.Reply>> mine = new ArrayList<>();
        for (int i = 0; i < PER_PROVIDER; i++) {
          String body = submit(p, i);
          mine.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      go.await();
                      return first.post("/api/providers/gpu/submit", body, Map.of());
                    } catch (Exception e) {
                      return null; // the connection died with the service
                    }
                  },
                  pool));
        }
        replies.put(p, mine);
      }
      go.countDown();
      // kill once every create has reached its fake and the fast ones have been answered
      await(
          Duration.ofSeconds(40),
          () ->
              PROVIDERS.stream().allMatch(p -> reached(fakes, p) >= PER_PROVIDER)
                  && replies.values().stream()
                      .allMatch(l -> l.stream().filter(CompletableFuture::isDone).count() >= 1),
          "creates to reach the fakes");
      Thread.sleep(300); // answers of fast creates on their way are written
      service.kill9();
      Map<String, Integer> createsAtKill = new HashMap<>();
      PROVIDERS.forEach(p -> createsAtKill.put(p, made(fakes, p)));

      Map<String, Set<String>> answered = new HashMap<>();
      for (Map.Entry<String, List<CompletableFuture<Server.Reply>>> e : replies.entrySet()) {
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<Server.Reply> f : e.getValue()) {
          Server.Reply r = f.get();
          if (r != null && r.status() == 200 && r.json().path("ok").asBoolean()) {
            ids.add(r.json().path("task_id").asText());
          }
        }
        answered.put(e.getKey(), ids);
      }

      // the same port, so the webhooks registered with the interrupted creates reach it
      service = ServiceProcess.start(home.root(), first.port());
      ServiceProcess second = service;
      await(
          Duration.ofSeconds(45),
          () ->
              tasks(second).stream().allMatch(t -> terminal(t.path("status").asText()))
                  && tasks(second).size() >= PROVIDERS.size(),
          "every task to end");

      List<JsonNode> all = tasks(second);
      SoftAssertions soft = new SoftAssertions();
      StringBuilder summary = new StringBuilder();
      for (String p : PROVIDERS) {
        List<JsonNode> mine =
            all.stream().filter(t -> p.equals(t.path("provider").asText())).toList();
        Set<String> ids = new HashSet<>();
        mine.forEach(t -> ids.add(t.path("id").asText()));
        Set<String> jobIds = new HashSet<>();
        long withJob =
            mine.stream()
                .map(t -> t.path("provider_job_id").asText(""))
                .filter(j -> !j.isEmpty())
                .peek(jobIds::add)
                .count();
        Map<String, Integer> byStatus = new LinkedHashMap<>();
        mine.forEach(t -> byStatus.merge(t.path("status").asText(), 1, Integer::sum));
        int interrupted = mine.size() - answered.get(p).size();
        int creates = made(fakes, p);
        summary
            .append(p)
            .append(": tasks ")
            .append(mine.size())
            .append(", answered before the kill ")
            .append(answered.get(p).size())
            .append(", creates ")
            .append(creates)
            .append(", ")
            .append(byStatus)
            .append('\n');
        // 0 lost: every accepted answer's task exists
        soft.assertThat(ids).as(p + ": tasks of accepted answers").containsAll(answered.get(p));
        // 0 duplicated: nothing created after the restart, at most one job per task
        soft.assertThat(creates)
            .as(p + ": creates after the restart")
            .isEqualTo(createsAtKill.get(p));
        soft.assertThat(creates).as(p + ": creates per task").isLessThanOrEqualTo(mine.size());
        soft.assertThat(jobIds).as(p + ": one job per task").hasSize((int) withJob);
        // 0 stuck
        soft.assertThat(mine)
            .as(p + ": unfinished tasks")
            .allSatisfy(t -> assertThat(terminal(t.path("status").asText())).isTrue());
        soft.assertThat(mine.size()).as(p + ": tasks").isEqualTo(PER_PROVIDER);
        // the kill hit creates in flight, and where the API allows they were found again
        soft.assertThat(interrupted).as(p + ": creates interrupted by the kill").isPositive();
        if (FINDABLE.contains(p)) {
          soft.assertThat(byStatus.getOrDefault("done", 0))
              .as(p + ": found again and finished")
              .isEqualTo(PER_PROVIDER);
        } else {
          soft.assertThat(byStatus.getOrDefault("lost", 0))
              .as(p + ": lost (the API cannot find them)")
              .isGreaterThanOrEqualTo("huggingface".equals(p) ? PER_PROVIDER : interrupted);
        }
      }
      System.out.println("CrashRecoveryIT\n" + summary);
      soft.assertAll();
    } finally {
      if (service != null) {
        service.close();
      }
      pool.shutdownNow();
      fakes.close();
    }
  }

  /**
   * What a provider's fake created: its create requests, or for an API that replays a keyed create
   * (whose resends are requests too) the jobs it made.
   */
  private static int made(FakeProviders fakes, String provider) {
    return RESENT_UNDER_KEY.contains(provider)
        ? fakes.comfyCloudJobs()
        : fakes.stats().creates(provider);
  }

  /** Requests of the submit's create that reached a provider's fake. */
  private static int reached(FakeProviders fakes, String provider) {
    return "huggingface".equals(provider)
        ? fakes.stats().count(provider, "endpoint_get")
        : fakes.stats().creates(provider);
  }

  private static boolean terminal(String status) {
    return Set.of("done", "error", "canceled", "lost").contains(status);
  }

  private static List<JsonNode> tasks(ServiceProcess s) {
    List<JsonNode> out = new ArrayList<>();
    Server.Reply r = s.get("/jobs/all?limit=500");
    r.json().path("jobs").forEach(out::add);
    return out;
  }

  private static void await(Duration limit, BooleanSupplier done, String what)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  private static String submit(String provider, int i) {
    ObjectNode r = Json.mapper().createObjectNode().put("provider", provider).put("seed", 100 + i);
    ObjectNode job = r.putObject("job");
    if ("comfy_cloud".equals(provider)) {
      job.set("workflow", txt2img("crash recovery " + i));
    } else {
      job.putObject("input").put("prompt", "crash recovery " + provider + " " + i);
    }
    return r.toString();
  }

  /** A text-to-image graph with no input files (SDXL base, 512 x 512). */
  private static ObjectNode txt2img(String prompt) {
    ObjectNode g = Json.mapper().createObjectNode();
    g.putObject("4")
        .put("class_type", "CheckpointLoaderSimple")
        .putObject("inputs")
        .put("ckpt_name", "sd_xl_base_1.0.safetensors");
    ObjectNode pos = g.putObject("6").put("class_type", "CLIPTextEncode").putObject("inputs");
    pos.put("text", prompt).putArray("clip").add("4").add(1);
    ObjectNode neg = g.putObject("7").put("class_type", "CLIPTextEncode").putObject("inputs");
    neg.put("text", "blurry").putArray("clip").add("4").add(1);
    g.putObject("5")
        .put("class_type", "EmptyLatentImage")
        .putObject("inputs")
        .put("width", 512)
        .put("height", 512)
        .put("batch_size", 1);
    ObjectNode k = g.putObject("3").put("class_type", "KSampler").putObject("inputs");
    k.put("seed", 7)
        .put("steps", 4)
        .put("cfg", 7.0)
        .put("sampler_name", "euler")
        .put("scheduler", "normal")
        .put("denoise", 1.0);
    k.putArray("model").add("4").add(0);
    k.putArray("positive").add("6").add(0);
    k.putArray("negative").add("7").add(0);
    k.putArray("latent_image").add("5").add(0);
    ObjectNode d = g.putObject("8").put("class_type", "VAEDecode").putObject("inputs");
    d.putArray("samples").add("3").add(0);
    d.putArray("vae").add("4").add(2);
    ObjectNode save = g.putObject("9").put("class_type", "SaveImage").putObject("inputs");
    save.put("filename_prefix", "ComfyVN").putArray("images").add("8").add(0);
    return g;
  }

  private static String config(FakeProviders fakes) {
    String f = fakes.baseUrl();
    String resilience =
        "\"resilience\":{\"retry\":{\"max_attempts\":3,\"base_delay_ms\":5,\"max_delay_ms\":20,"
            + "\"max_retry_after_ms\":20},\"timeouts\":{\"create_ms\":60000,\"read_ms\":5000,"
            + "\"cancel_ms\":5000},\"circuit_breaker\":{\"window\":50}}";
    return "{\"features\":{\"enable_public_gpu_adapters\":true},"
        + "\"egress\":"
        + fakes.cliConfig().get("egress")
        + ",\"webhooks\":{\"public_url\":\"self\"}"
        + ",\"limits\":{\"max_live_submits_per_minute\":null,\"max_estimated_usd_per_day\":null},"
        + "\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400,\"workers\":4,"
        + "\"reconcile_after_ms\":600000,\"reconcile_after_restart_ms\":30000,"
        + "\"reconcile_settle_ms\":1000},"
        + "\"providers_gpu\":{"
        + "\"runpod\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\","
        + resilience
        + "},\"replicate\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/replicate/v1\",\"model\":\"comfyvn/fake-sdxl\","
        + resilience
        + "},\"huggingface\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/huggingface/v2\",\"namespace\":\"comfyvn\",\"endpoint\":\"fake-sdxl\","
        + "\"jobs_base_url\":\""
        + f
        + "/huggingface/api\","
        + resilience
        + "},\"modal\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/modal\",\"function\":\"comfyvn_render\","
        + resilience
        + "},\"comfyui\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/comfyui\",\"hardware\":\"RTX 4090\","
        + resilience
        + "},\"comfy_cloud\":{\"mode\":\"live\",\"base_url\":\""
        + f
        + "/comfycloud\",\"hardware\":\"RTX PRO 6000\","
        + resilience
        + "}}}";
  }

  private static String secrets(FakeCredentials c) {
    return "{\"runpod\":{\"api_key\":\""
        + c.runpodApiKey()
        + "\"},\"replicate\":{\"api_token\":\""
        + c.replicateToken()
        + "\"},\"huggingface\":{\"api_key\":\""
        + c.huggingfaceToken()
        + "\"},\"comfy_cloud\":{\"api_key\":\""
        + c.comfyCloudApiKey()
        + "\"},\"modal\":{\"token_id\":\""
        + c.modalTokenId()
        + "\",\"token_secret\":\""
        + c.modalTokenSecret()
        + "\"}}";
  }
}

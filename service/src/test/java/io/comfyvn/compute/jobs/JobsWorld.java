package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.HttpTransport;
import io.comfyvn.compute.gpu.http.JdkHttpTransport;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.limits.MemorySpendLedger;
import io.comfyvn.compute.limits.SpendGuard;
import io.comfyvn.compute.limits.SpendLimits;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.metrics.ServiceMetrics;
import io.comfyvn.compute.provenance.ArtifactStore;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.sim.SimProfiles;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.support.WorkflowFixture;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The service's task-running room in one process, without a web server or threads: a scripted
 * transport (every request it sees is recorded; an unscripted one fails), an in-memory task store,
 * a manual scheduler for tracker polls and sim steps, and a clock the test moves.
 */
final class JobsWorld implements AutoCloseable {
  /** Provider settings that make RunPod and Replicate live against an address never reached. */
  static final String LIVE_PROVIDERS =
      "\"providers_gpu\":{"
          + "\"runpod\":{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:9/runpod/v2\","
          + "\"endpoint_id\":\"ep\",\"resilience\":{\"retry\":{\"max_attempts\":1}}},"
          + "\"replicate\":{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:9/replicate/v1\","
          + "\"model\":\"o/m\",\"resilience\":{\"retry\":{\"max_attempts\":1}}}}";

  /** RunPod's and Replicate's secrets. */
  static final String SECRETS =
      "{\"runpod\":{\"api_key\":\"rp-canary-key\"},\"replicate\":{\"api_token\":\"r8-canary\"}}";

  /** Where providers would call back. */
  static final String SELF = "http://127.0.0.1:7";

  final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T12:00:00Z"));
  final TestHome home;
  final ScriptedTransport transport = new ScriptedTransport();
  final MemoryTaskStore store;
  final TaskRegistry tasks;
  final ManualScheduler scheduler = new ManualScheduler();
  final HeldFetcher fetcher = new HeldFetcher();
  final ManualScheduler simScheduler = new ManualScheduler();
  final AppConfig config;
  final SecretStore secrets;
  final GpuProviders providers = GpuProviders.discover();
  final LiveClients clients;
  final LiveTracker tracker;
  final ProviderCallLog callLog;
  final GpuService gpu;
  final ProviderWebhooks webhooks;

  /**
   * @param flag {@code enable_public_gpu_adapters}
   * @param withSecrets whether RunPod's and Replicate's secrets are present
   */
  JobsWorld(Path dir, boolean flag, boolean withSecrets) {
    this(dir, flag, withSecrets, new MemoryTaskStore());
  }

  /** A world on an existing store: the same service "restarted" with other settings. */
  JobsWorld(Path dir, boolean flag, boolean withSecrets, MemoryTaskStore store) {
    this(
        dir,
        store,
        "{\"features\":{\"enable_public_gpu_adapters\":"
            + flag
            + "},\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400},"
            + LIVE_PROVIDERS
            + "}",
        withSecrets ? SECRETS : "{}",
        null);
  }

  /**
   * The fake providers the reconcile tests run on: loopback, their own manual clock (a world's
   * clock does not move them), the tests' fixed credentials.
   */
  static FakeProviders startFakes() {
    return new FakeProviders(
            new FakeClock(Instant.parse("2026-12-01T12:00:00Z")),
            FakeSettings.defaults(),
            FakeCredentials.forTests())
        .start(0);
  }

  /**
   * A world whose Comfy API v2 is the fake one, over real loopback HTTP (the scripted transport is
   * not used): a restart is a second world on the same store and the same fakes. Creates are sent
   * once (no retry), so a lost answer stays lost until the reconciler looks.
   */
  static JobsWorld onFakeComfyCloud(Path dir, MemoryTaskStore store, FakeProviders fakes) {
    return onFake(
        dir,
        store,
        fakes,
        "comfy_cloud",
        "\"base_url\":\"" + fakes.baseUrl() + "/comfycloud\",\"hardware\":\"RTX PRO 6000\"",
        "{\"api_key\":\"" + fakes.credentials().comfyCloudApiKey() + "\"}");
  }

  /**
   * A world whose Replicate is the fake one (its fake model, which runs a fake cog-comfyui for a
   * {@code workflow_json} input), over real loopback HTTP, as {@link #onFakeComfyCloud}: creates
   * are sent once, so a lost answer stays lost until the reconciler looks.
   */
  static JobsWorld onFakeReplicate(Path dir, MemoryTaskStore store, FakeProviders fakes) {
    return onFake(
        dir,
        store,
        fakes,
        "replicate",
        "\"base_url\":\"" + fakes.baseUrl() + "/replicate/v1\",\"model\":\"comfyvn/fake-sdxl\"",
        "{\"api_token\":\"" + fakes.credentials().replicateToken() + "\"}");
  }

  /** One provider live on the fakes, creates sent once, the tracker polling every 100-400 ms. */
  private static JobsWorld onFake(
      Path dir,
      MemoryTaskStore store,
      FakeProviders fakes,
      String slug,
      String providerFields,
      String secretsObject) {
    String config =
        "{\"features\":{\"enable_public_gpu_adapters\":true},"
            + "\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400},"
            + "\"egress\":"
            + fakes.cliConfig().get("egress")
            + ",\"providers_gpu\":{\""
            + slug
            + "\":{\"mode\":\"live\","
            + providerFields
            + ",\"resilience\":{\"retry\":{\"max_attempts\":1}}}}}";
    String secrets = "{\"" + slug + "\":" + secretsObject + "}";
    return new JobsWorld(dir, store, config, secrets, new JdkHttpTransport(Duration.ofSeconds(5)));
  }

  /**
   * The job the crash-recovery tests submit: SDXL img2img with its sketch inline as a data URL, a
   * noisy PNG {@code side} px square (16 px: the task keeps it; 64 px: over 2 KiB, it does not).
   *
   * @param seed the request's seed, or null for the job's own
   */
  static GpuRequest img2img(String provider, Integer seed, int side) throws java.io.IOException {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    try (java.io.InputStream in =
        JobsWorld.class.getResourceAsStream("/workflows/sdxl_img2img.json")) {
      job.set("workflow", Json.mapper().readTree(in));
    }
    job.putObject("inputs")
        .put("castle_sketch.png", "data:image/png;base64," + WorkflowFixture.noisyPngBase64(side));
    return new GpuRequest(
        provider,
        job,
        JsonNodeFactory.instance.objectNode(),
        seed == null ? null : IntNode.valueOf(seed),
        io.comfyvn.compute.gpu.ModeDecision.Requested.AUTO,
        null);
  }

  /**
   * The process before a crash: the world {@code open} gives sends the create, the fake makes the
   * job and its answer is never read; the task is then left {@code left} ({@code sent}: the row a
   * crash before the answer leaves; {@code ambiguous}: the one a lost answer leaves).
   *
   * @return the task's id
   */
  static String createThenCrash(
      java.util.function.Supplier<JobsWorld> open,
      FakeProviders fakes,
      String provider,
      GpuRequest request,
      SubmitState left) {
    try (JobsWorld before = open.get()) {
      fakes.inject(Fault.dropAfterHandling(provider, "create", 1));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> before.gpu.submit(request))
          .isInstanceOf(ProviderException.class)
          .hasFieldOrPropertyWithValue("sent", ProviderException.Sent.AMBIGUOUS);
      Task task = before.tasks.list(10).get(0);
      org.assertj.core.api.Assertions.assertThat(task.submission().state())
          .isEqualTo(SubmitState.AMBIGUOUS);
      if (left != SubmitState.AMBIGUOUS) {
        before.tasks.update(task.id(), t -> t.withSubmission(t.submission().withState(left)));
      }
      return task.id();
    }
  }

  /**
   * @param sendOver the transport under the egress door; null: the scripted one
   */
  private JobsWorld(
      Path dir,
      MemoryTaskStore store,
      String configJson,
      String secretsJson,
      HttpTransport sendOver) {
    this.store = store;
    this.tasks = new TaskRegistry(store, clock);
    home = new TestHome(dir);
    home.config(configJson);
    home.secrets(secretsJson);
    config = new ConfigLoader(Json.mapper()).load(dir);
    secrets = new SecretStore(dir, Json.mapper());
    clients =
        new LiveClients(
            config,
            secrets,
            sendOver == null
                // the real egress door, with the made-up test origins allowed
                ? new EgressGuard(transport, LiveContexts.testPolicy(), secrets::all)
                // the real door and policy, as App builds them
                : new EgressGuard(
                    sendOver, providers.egressPolicy(config.section("egress")), secrets::all),
            Json.mapper());
    tracker =
        new LiveTracker(
            tasks,
            providers,
            clients,
            new ArtifactStore(dir, Json.mapper(), clock, "test", fetcher),
            clock,
            LiveTracker.Settings.of(config),
            scheduler,
            Runnable::run);
    callLog = new ProviderCallLog(dir, null, new ServiceMetrics());
    SimService sim =
        new SimService(
            providers,
            config,
            PricingCatalog.load(AdvisorSettings.DEFAULTS),
            SimProfiles.load(),
            new WorkflowAnalyzer(VramRules.load()));
    gpu =
        new GpuService(
            providers,
            config,
            secrets,
            tasks,
            callLog,
            new GpuService.Live(
                clients,
                tracker,
                () -> Optional.of(SELF),
                new SpendGuard(
                    SpendLimits.fromJson(
                        config.section("limits"),
                        n -> providers.find(n).map(p -> p.descriptor().slug())),
                    new MemorySpendLedger(),
                    clock)),
            sim::estimate,
            new SimTaskRunner(sim, tasks, simScheduler, 0.05));
    webhooks = new ProviderWebhooks(providers, tasks, clients, tracker, callLog);
  }

  /** Runs every poll due within the next {@code d} (and moves the clock as far). */
  void advance(Duration d) {
    clock.advance(d);
    scheduler.advance(d.toMillis());
  }

  @Override
  public void close() {
    tracker.close();
    callLog.close();
  }
}

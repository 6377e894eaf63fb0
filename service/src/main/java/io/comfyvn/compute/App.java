package io.comfyvn.compute;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.advisor.Advisor;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.cluster.ChangeFeed;
import io.comfyvn.compute.cluster.Cluster;
import io.comfyvn.compute.cluster.ClusterSettings;
import io.comfyvn.compute.cluster.InstanceId;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.config.ConfigProblem;
import io.comfyvn.compute.config.ConfigWatch;
import io.comfyvn.compute.config.ServerSettings;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.EgressPolicy;
import io.comfyvn.compute.gpu.http.JdkHttpTransport;
import io.comfyvn.compute.hooks.HookBus;
import io.comfyvn.compute.hooks.HookWebhooks;
import io.comfyvn.compute.jobs.GpuService;
import io.comfyvn.compute.jobs.LiveTracker;
import io.comfyvn.compute.jobs.ProviderWebhooks;
import io.comfyvn.compute.jobs.Scheduler;
import io.comfyvn.compute.jobs.SimTaskRunner;
import io.comfyvn.compute.limits.JdbiSpendLedger;
import io.comfyvn.compute.limits.SpendGuard;
import io.comfyvn.compute.limits.SpendLimits;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.metrics.ServiceMetrics;
import io.comfyvn.compute.provenance.ArtifactStore;
import io.comfyvn.compute.provenance.StoredArtifacts;
import io.comfyvn.compute.provenance.TaskLogs;
import io.comfyvn.compute.registry.ComputeProviderRegistry;
import io.comfyvn.compute.registry.ProviderBootstrap;
import io.comfyvn.compute.registry.ProviderChecks;
import io.comfyvn.compute.registry.ProviderRegistryService;
import io.comfyvn.compute.registry.ProviderTemplates;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.secrets.SecretKey;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.sim.SimProfiles;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.tasks.Database;
import io.comfyvn.compute.tasks.JdbiTaskStore;
import io.comfyvn.compute.tasks.StoreSettings;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.tasks.TaskRetention;
import io.comfyvn.compute.web.WebServer;
import io.comfyvn.compute.web.boundary.ApiToken;
import io.comfyvn.compute.web.boundary.BoundaryPolicy;
import io.comfyvn.compute.workflow.DataAndWebInputs;
import io.comfyvn.compute.workflow.InputSources;
import io.comfyvn.compute.workflow.UrlPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/** Wiring only: builds the service's parts for a home folder and starts the web server. */
public final class App implements AutoCloseable {
  /** The environment variable that holds the API token (it wins over the secrets file). */
  public static final String TOKEN_ENV = "COMFYVN_API_TOKEN";

  private final Database database;
  private final Cluster cluster;
  private final ChangeFeed feed;
  private final ScheduledExecutorService heartbeat;
  private final ProviderCallLog callLog;
  private final LiveTracker tracker;
  private final HookWebhooks webhooks;
  private final WebServer web;
  private final Scheduler simScheduler;
  private final ScheduledExecutorService housekeeping;

  /**
   * How to start.
   *
   * @param home the folder holding {@code config/}, {@code logs/} and {@code data/}
   * @param host the address to bind
   * @param port the port, 0 for a free one
   * @param env the environment ({@code COMFYVN_LOG_LEVEL}, ...)
   * @param clock the clock for task timestamps
   * @param storeUrl {@code serve --store}: the task store's JDBC URL over {@code store.url}, or
   *     null
   */
  public record Options(
      Path home, String host, int port, Map<String, String> env, Clock clock, String storeUrl) {
    /** Options with the store the config file chooses. */
    public Options(Path home, String host, int port, Map<String, String> env, Clock clock) {
      this(home, host, port, env, clock, null);
    }

    /** Options for a home folder on loopback with the real environment and clock. */
    public static Options of(Path home, int port) {
      return new Options(home, "127.0.0.1", port, System.getenv(), Clock.systemUTC());
    }
  }

  private App(
      Database database,
      Cluster cluster,
      ChangeFeed feed,
      ScheduledExecutorService heartbeat,
      ProviderCallLog callLog,
      LiveTracker tracker,
      HookWebhooks webhooks,
      Scheduler simScheduler,
      ScheduledExecutorService housekeeping,
      WebServer web) {
    this.database = database;
    this.cluster = cluster;
    this.feed = feed;
    this.heartbeat = heartbeat;
    this.callLog = callLog;
    this.tracker = tracker;
    this.webhooks = webhooks;
    this.web = web;
    this.simScheduler = simScheduler;
    this.housekeeping = housekeeping;
  }

  /**
   * Builds and starts the service.
   *
   * @throws io.comfyvn.compute.config.ConfigException when a config file is unusable
   */
  public static App start(Options options) {
    Path home = options.home().toAbsolutePath().normalize();
    ObjectMapper mapper = Json.mapper();
    ConfigLoader loader = new ConfigLoader(mapper);
    ConfigLoader.Loaded loaded = loader.read(home);
    if (!loaded.errors().isEmpty()) {
      // an error the service cannot default safely: refuse to start, naming every one
      throw new ConfigException(loaded.errors());
    }
    // its warnings are printed by serve (Main) and answered by GET /api/providers/gpu/providers
    org.slf4j.Logger startLog = LoggerFactory.getLogger(App.class);
    AppConfig config = loaded.config();
    ConfigWatch configWatch = new ConfigWatch(home, loader, loaded);
    createDirectories(home);
    SecretStore secrets = new SecretStore(home, mapper);
    // Before anything is opened: beyond loopback without a token, refuse to start at all.
    ServerSettings server = ServerSettings.from(config);
    BoundaryPolicy boundary =
        BoundaryPolicy.of(
            options.host(), server, apiToken(options.env(), secrets), WebServer::isStaticFile);
    StoreSettings store =
        StoreSettings.of(
            options.storeUrl(),
            config.section("store").path("url").asText(null),
            secrets.find(SecretStore.STORE_USER),
            secrets.find(SecretStore.STORE_PASSWORD));
    ClusterSettings clusterSettings = ClusterSettings.of(config.section("cluster"));
    String instanceId;
    try {
      instanceId = InstanceId.resolve(home, clusterSettings.instanceId());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    Database database = Database.open(store, home);
    TaskRegistry tasks =
        // The embedded SQLite file has this process as its only writer: reads may be cached; a
        // shared store is read through, since other instances write to it.
        new TaskRegistry(
            new JdbiTaskStore(database, mapper), options.clock(), !database.kind().shared());
    Cluster cluster =
        new Cluster(database.jdbi(), instanceId, database.kind(), clusterSettings, options.clock());
    cluster.tick(); // this instance's row first, so the others count it before it takes work
    // Retention runs at start, every ten minutes, and after each burst of dry-run/sim tasks.
    ScheduledExecutorService housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "task-retention");
              t.setDaemon(true);
              return t;
            });
    TaskRetention retention =
        new TaskRetention(
            tasks,
            options.clock(),
            TaskRetention.Settings.of(config.section("tasks").path("retention")),
            housekeeping);
    tasks.subscribe(retention::onEvent);
    housekeeping.scheduleWithFixedDelay(retention::prune, 0, 10, TimeUnit.MINUTES);
    ServiceMetrics metrics = new ServiceMetrics();
    ProviderCallLog callLog =
        new ProviderCallLog(
            home,
            options.env().get("COMFYVN_LOG_LEVEL"),
            metrics,
            ProviderCallLog.Rolling.fromJson(config.section("logs").path("providers_gpu")));
    GpuProviders providers = GpuProviders.discover();
    List<SecretKey> knownSecrets = knownSecrets(providers);
    // read once at start, so a bad file, placeholders and unknown keys are reported right away
    secrets.problems(knownSecrets).forEach(w -> startLog.warn(w.describe()));
    Supplier<List<ConfigProblem>> settingsProblems =
        () -> {
          List<ConfigProblem> all = new java.util.ArrayList<>(configWatch.problems());
          all.addAll(secrets.problems(knownSecrets));
          return List.copyOf(all);
        };
    // Where credentials may go: the providers' documented hosts plus egress.allowed_base_urls.
    EgressPolicy egress = providers.egressPolicy(config.section("egress"));
    LiveClients live =
        new LiveClients(
            config,
            secrets,
            new EgressGuard(new JdkHttpTransport(Duration.ofSeconds(5)), egress, secrets::all),
            mapper);
    live.check(providers); // every provider's limits and timeouts, before anything is served
    // where live workflow jobs' input files are read: by submits, and again by the reconciler when
    // it rebuilds a create to resend under its idempotency key
    InputSources inputs = new DataAndWebInputs(home.resolve("data"), UrlPolicy.PUBLIC_HTTPS);
    LiveTracker tracker =
        new LiveTracker(
            tasks,
            providers,
            live,
            new ArtifactStore(home, artifactsDir(config), mapper, options.clock(), version()),
            options.clock(),
            LiveTracker.Settings.of(config),
            cluster,
            inputs);
    // Several instances share each provider's documented limits; tasks nobody holds are adopted.
    // (a joining instance keeps to the smallest share until every other one has counted it)
    cluster.onShare(share -> live.shareLimitsAmong(share.divisor()));
    cluster.onOrphan(tracker::follow);
    AtomicReference<String> selfUrl = new AtomicReference<>();
    String publicUrl = config.section("webhooks").path("public_url").asText("");
    Supplier<Optional<String>> webhookBase =
        () ->
            publicUrl.isBlank()
                ? Optional.empty()
                : Optional.ofNullable("self".equals(publicUrl) ? selfUrl.get() : publicUrl);
    AdvisorSettings advisorSettings = AdvisorSettings.fromJson(config.section("advisor"));
    PricingCatalog catalog = PricingCatalog.load(advisorSettings);
    SimProfiles profiles = SimProfiles.load();
    WorkflowAnalyzer analyzer = new WorkflowAnalyzer(VramRules.load());
    SimService sim = new SimService(providers, config, catalog, profiles, analyzer);
    Scheduler scheduler = Scheduler.daemon("sim-tasks");
    SimTaskRunner simTasks = new SimTaskRunner(sim, tasks, scheduler, advisorSettings.timeScale());
    SpendGuard spendGuard =
        new SpendGuard(
            SpendLimits.fromJson(
                config.section("limits"),
                name -> providers.find(name).map(p -> p.descriptor().slug())),
            // uncapped counts are queued on the task writer, committed with the submit's task
            new JdbiSpendLedger(database.jdbi(), database.writer()::submit),
            options.clock());
    GpuService gpu =
        new GpuService(
            providers,
            config,
            secrets,
            tasks,
            callLog,
            new GpuService.Live(live, tracker, webhookBase, spendGuard, inputs),
            sim::estimate,
            simTasks);
    Advisor advisor = new Advisor(catalog, analyzer, profiles, advisorSettings.localGpu());
    HookBus hooks = new HookBus(options.clock(), mapper);
    HookWebhooks webhooks = new HookWebhooks(home, mapper);
    tasks.subscribe(hooks::onTask);
    // webhooks leave from the instance that wrote the change (relayed changes are not sent again)
    hooks.subscribeOutbound(webhooks::deliver);
    // a shared store: other instances' task changes reach this one's sockets and hooks
    ChangeFeed feed =
        database.kind().shared()
            ? ChangeFeed.start(database.jdbi(), database.dataSource(), tasks, instanceId)
            : null;
    ProviderTemplates templates = new ProviderTemplates(catalog);
    ComputeProviderRegistry registry =
        ComputeProviderRegistry.open(
            home,
            config.raw(),
            templates.localDefault(options.clock().instant()),
            mapper,
            options.clock());
    registry.problem().ifPresent(p -> LoggerFactory.getLogger(App.class).warn(p));
    ProviderChecks checks =
        // Health checks answer a person waiting on a page: short timeouts, no retries.
        new ProviderChecks(
            // the same gate as every GPU call: with the flag off, no check leaves the machine
            new EgressGuard(
                live.gate().guardRegistry(new JdkHttpTransport(Duration.ofSeconds(2))),
                egress,
                secrets::all),
            secrets,
            mapper,
            options.clock(),
            Duration.ofSeconds(5));
    ProviderRegistryService registryService =
        new ProviderRegistryService(
            registry,
            templates,
            checks,
            new ProviderBootstrap(
                home, registry, checks, tasks, mapper, options.clock(), version()));
    WebServer web =
        new WebServer(
            new WebServer.Services(
                mapper,
                version(),
                gpu,
                new ProviderWebhooks(providers, tasks, live, tracker, callLog),
                tasks,
                hooks,
                webhooks,
                advisor,
                catalog,
                sim,
                registryService,
                spendGuard,
                metrics,
                options.clock(),
                new StoredArtifacts(home, artifactsDir(config)),
                new TaskLogs(home),
                cluster,
                settingsProblems),
            boundary,
            server);
    web.start(options.host(), options.port());
    org.slf4j.Logger log = LoggerFactory.getLogger(App.class);
    log.atInfo().addKeyValue("boundary", boundary.describe()).log("serving");
    if (!boundary.loopbackOnly()) {
      log.info("plain HTTP beyond loopback: put a TLS reverse proxy in front (docs/security.md)");
    }
    String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
    selfUrl.set("http://" + host + ":" + web.port());
    metrics.gauge("live_tracker_following", "live tasks the tracker follows", tracker::following);
    metrics.gauge(
        "cluster_leases_held", "live-task leases this instance holds", cluster::leasesHeld);
    metrics.gauge(
        "cluster_leases_taken_over",
        "leases taken from instances that stopped renewing them",
        cluster::leasesTakenOver);
    metrics.gauge("cluster_instances", "live instances sharing the store", cluster::liveInstances);
    long beat = clusterSettings.heartbeat().toMillis();
    // its own thread: a long retention batch must never delay a lease renewal
    ScheduledExecutorService heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cluster-heartbeat");
              t.setDaemon(true);
              return t;
            });
    heartbeat.scheduleWithFixedDelay(cluster::tick, beat, beat, TimeUnit.MILLISECONDS);
    tracker.resume();
    simTasks.resumeAll();
    return new App(
        database,
        cluster,
        feed,
        heartbeat,
        callLog,
        tracker,
        webhooks,
        scheduler,
        housekeeping,
        web);
  }

  /** Every route the web server registered ({@code METHOD path}). */
  public java.util.List<String> routes() {
    return web.routes();
  }

  /** The port the service listens on. */
  public int port() {
    return web.port();
  }

  @Override
  public void close() {
    simScheduler.close();
    housekeeping.shutdownNow();
    web.close();
    tracker.close();
    heartbeat.shutdownNow();
    cluster.close();
    if (feed != null) {
      feed.close();
    }
    webhooks.close();
    callLog.close();
    database.close();
  }

  /** The version from the build, e.g. {@code 0.1.0}. */
  public static String version() {
    try (InputStream in = App.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The API token: {@code COMFYVN_API_TOKEN} when set, else {@code server.api_token} in the secrets
   * file (read once; a new token needs a restart, so a deleted one can never open the door).
   */
  private static Optional<ApiToken> apiToken(Map<String, String> env, SecretStore secrets) {
    String fromEnv = env.get(TOKEN_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Optional.of(ApiToken.of(Secret.of(fromEnv), TOKEN_ENV));
    }
    return secrets
        .find(SecretStore.API_TOKEN)
        .map(s -> ApiToken.of(s, SecretStore.SECRETS_FILE + " server.api_token"));
  }

  /**
   * Every key the secrets file may hold: each provider's (required and optional, every spelling)
   * and the service's own ({@code server.api_token}, {@code store}).
   */
  public static List<SecretKey> knownSecrets(GpuProviders providers) {
    List<SecretKey> out = new java.util.ArrayList<>(providers.secretKeys());
    out.addAll(SecretStore.SERVICE_KEYS);
    return List.copyOf(out);
  }

  /** {@code artifacts.dir}: a shared folder for several instances, or null for the home's. */
  private static Path artifactsDir(AppConfig config) {
    String dir = config.section("artifacts").path("dir").asText("");
    return dir.isBlank() ? null : Path.of(dir);
  }

  private static void createDirectories(Path home) {
    for (String dir : new String[] {"config", "logs", "data"}) {
      try {
        Files.createDirectories(home.resolve(dir));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + home.resolve(dir), e);
      }
    }
  }
}

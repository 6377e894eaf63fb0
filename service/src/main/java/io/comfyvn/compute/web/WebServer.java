package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.advisor.Advisor;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.config.ServerSettings;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.hooks.HookBus;
import io.comfyvn.compute.hooks.HookWebhooks;
import io.comfyvn.compute.jobs.GpuService;
import io.comfyvn.compute.jobs.ProviderWebhooks;
import io.comfyvn.compute.limits.SpendGuard;
import io.comfyvn.compute.metrics.ServiceMetrics;
import io.comfyvn.compute.provenance.StoredArtifacts;
import io.comfyvn.compute.provenance.TaskLogs;
import io.comfyvn.compute.registry.ProviderRegistryService;
import io.comfyvn.compute.sim.SimService;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.comfyvn.compute.web.boundary.Boundary;
import io.comfyvn.compute.web.boundary.BoundaryPolicy;
import io.comfyvn.compute.web.boundary.JsonErrors;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import java.util.Map;
import java.util.UUID;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the service: Javalin with the service's JSON mapper, one routes class per
 * resource, and the single place where failures become {@code {ok:false, code, message}} answers.
 */
public final class WebServer implements AutoCloseable {
  /** Bodies larger than this are refused with 413. */
  public static final long MAX_BODY_BYTES = BoundaryPolicy.MAX_BODY_BYTES;

  private static final Logger log = LoggerFactory.getLogger(WebServer.class);
  private static final String STARTED = "comfyvn.started_nanos";

  private final Javalin javalin;
  private final JobsRoutes jobs;
  private String bindHost = "127.0.0.1";
  private int bindPort;

  /**
   * Everything the routes need.
   *
   * @param mapper the service's JSON mapper
   * @param version the service version
   * @param gpu the public GPU service
   * @param providerWebhooks receives providers' webhooks
   * @param tasks the task registry
   * @param hooks the modder hook bus
   * @param webhooks modders' webhook registrations
   * @param metrics the service's metrics, served at {@code GET /metrics}
   * @param advisor the compute advisor
   * @param catalog the pricing catalog
   * @param sim Sim mode
   * @param registry the compute provider registry
   * @param spend the spend guard (today's estimated spend, read-only here)
   * @param clock the clock for answers' timestamps
   * @param artifacts the stored files behind tasks' artifacts
   * @param logs tasks' logs as text ({@code GET /jobs/logs/{id}})
   */
  public record Services(
      ObjectMapper mapper,
      String version,
      GpuService gpu,
      ProviderWebhooks providerWebhooks,
      TaskRegistry tasks,
      HookBus hooks,
      HookWebhooks webhooks,
      Advisor advisor,
      PricingCatalog catalog,
      SimService sim,
      ProviderRegistryService registry,
      SpendGuard spend,
      ServiceMetrics metrics,
      java.time.Clock clock,
      StoredArtifacts artifacts,
      TaskLogs logs,
      io.comfyvn.compute.cluster.Cluster cluster,
      java.util.function.Supplier<java.util.List<io.comfyvn.compute.config.ConfigProblem>>
          settingsProblems) {}

  /**
   * The server, not yet listening.
   *
   * @param services what the routes need
   * @param policy the boundary every request passes first
   * @param server timeouts for slow clients
   */
  public WebServer(Services services, BoundaryPolicy policy, ServerSettings server) {
    Bodies bodies = new Bodies(services.mapper());
    SessionRoutes session = new SessionRoutes(policy, bodies);
    GpuRoutes gpu =
        new GpuRoutes(
            services.gpu(),
            services.sim(),
            services.providerWebhooks(),
            bodies,
            services.settingsProblems());
    AdvisorRoutes advisor =
        new AdvisorRoutes(services.advisor(), services.catalog(), services.gpu(), bodies);
    ProvidersRoutes registry = new ProvidersRoutes(services.registry(), bodies, services.clock());
    SpendRoutes spend = new SpendRoutes(services.spend(), services.gpu()::feature);
    this.jobs = new JobsRoutes(services.tasks(), services.mapper());
    HooksRoutes hooks =
        new HooksRoutes(services.hooks(), services.webhooks(), bodies, services.mapper());
    this.javalin =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              // the boundary holds each route to its own limit first (BoundaryPolicy.maxBodyBytes)
              config.http.maxRequestSize = BoundaryPolicy.WORKFLOW_BODY_BYTES;
              config.http.prefer405over404 = true;
              config.http.defaultContentType = "application/json";
              // No response compression: answers are small JSON on loopback or a LAN, artifacts
              // are images, video and audio that do not compress, and deciding per response
              // (Javalin looks through the response's headers on its first write) cost about a
              // tenth of a dry-run submit's CPU (docs/benchmarks.md).
              config.http.compressionStrategy = CompressionStrategy.NONE;
              // Javalin copies each result to the response through a new buffer of this size
              // (by default Jetty's output buffer, 32 KB): allocated per request, it was 37% of a
              // dry-run submit's allocation and so of its young collections. Jetty still gathers
              // the writes in its own pooled buffer, so big artifacts go out as before.
              config.http.responseBufferSize = 8192;
              config.jsonMapper(new JavalinJackson(services.mapper(), false));
              config.staticFiles.add("/public", Location.CLASSPATH);
              config.staticFiles.enableWebjars(); // Swagger UI for /docs, offline
              // The boundary wraps everything Javalin serves, routes and sockets and files alike.
              config.jetty.modifyServer(
                  jetty -> {
                    jetty.insertHandler(new Boundary(policy, server.bodyTimeout()));
                    jetty.setErrorHandler(JsonErrors.forServer());
                  });
              config.jetty.modifyServletContextHandler(
                  context -> context.setErrorHandler(JsonErrors.forServletContext()));
              config.jetty.addConnector(
                  (jetty, http) -> {
                    ServerConnector c = new ServerConnector(jetty, new HttpConnectionFactory(http));
                    c.setHost(bindHost);
                    c.setPort(bindPort);
                    // Also bounds a stalled header block: no bytes for this long closes it.
                    c.setIdleTimeout(server.idleTimeout().toMillis());
                    return c;
                  });
              config.routes.get(
                  "/health",
                  ctx ->
                      ctx.json(
                          Map.of(
                              "ok",
                              true,
                              "name",
                              "comfyvn-compute",
                              "version",
                              services.version(),
                              // which store and which instance answered (several may share one
                              // PostgreSQL store behind a load balancer); never the store's URL
                              "store",
                              services.cluster().store().wire(),
                              "instance",
                              Map.of(
                                  "id",
                                  services.cluster().id(),
                                  "live_instances",
                                  services.cluster().liveInstances(),
                                  // until every other instance counts this one it keeps to the
                                  // smallest share of each provider limit
                                  "joining",
                                  !services.cluster().share().settled()),
                              // counts only: /health needs no token, the problems themselves
                              // are in GET /api/providers/gpu/providers
                              "config",
                              settingsCounts(services.settingsProblems().get()))));
              config.routes.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
              config.routes.after(
                  ctx -> {
                    Long started = ctx.attribute(STARTED);
                    Endpoint e = ctx.endpoints().lastHttpEndpoint();
                    services
                        .metrics()
                        .http(
                            ctx.method().name(),
                            e == null ? "unmatched" : e.path,
                            ctx.statusCode(),
                            started == null ? 0 : System.nanoTime() - started);
                  });
              config.routes.get(
                  "/metrics",
                  ctx ->
                      ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                          .result(services.metrics().scrape()));
              gpu.register(config.routes);
              spend.register(config.routes);
              registry.register(config.routes);
              advisor.register(config.routes);
              jobs.register(config.routes);
              new ArtifactRoutes(services.tasks(), services.artifacts()).register(config.routes);
              new JobsCompatRoutes(services.tasks(), services.logs(), bodies)
                  .register(config.routes);
              new OpenApiRoutes().register(config.routes);
              hooks.register(config.routes);
              session.register(config.routes);
              config.routes.exception(
                  ComputeException.class,
                  (e, ctx) ->
                      answer(
                          ctx,
                          e,
                          ctx.path().startsWith(GpuRoutes.PREFIX) ? gpu.errorExtras() : null));
              config.routes.exception(
                  HttpResponseException.class, (e, ctx) -> frameworkError(ctx, e));
              config.routes.exception(Exception.class, (e, ctx) -> unexpected(ctx, e));
              config.routes.error(404, ctx -> fallback(ctx, 404, "not_found", "no such route"));
              config.routes.error(
                  405,
                  ctx ->
                      fallback(ctx, 405, "method_not_allowed", "method not allowed on this route"));
            });
  }

  /** Starts listening; port 0 picks a free port. */
  public WebServer start(String host, int port) {
    this.bindHost = host;
    this.bindPort = port;
    javalin.start(host, port);
    return this;
  }

  /**
   * Whether a path names one of the Studio page's own files ({@code /} is {@code index.html}): they
   * hold no data, so the page can load and ask for the token.
   */
  public static boolean isStaticFile(String path) {
    String name = path.equals("/") ? "/index.html" : path;
    return name.length() > 1 && WebServer.class.getResource("/public" + name) != null;
  }

  /** Every registered route as {@code METHOD path} ({@code WS} for WebSockets), for checks. */
  public java.util.List<String> routes() {
    java.util.List<String> out = new java.util.ArrayList<>();
    javalin.unsafe.internalRouter.allHttpHandlers().stream()
        .map(h -> h.endpoint)
        .filter(e -> e.method.isHttpMethod())
        .forEach(e -> out.add(e.method.name() + " " + e.path));
    javalin.unsafe.internalRouter.allWsHandlers().stream()
        .filter(w -> w.getType() == io.javalin.websocket.WsHandlerType.WEBSOCKET)
        .forEach(w -> out.add("WS " + w.getPath()));
    return out;
  }

  /** The port actually bound. */
  public int port() {
    return javalin.port();
  }

  @Override
  public void close() {
    jobs.close();
    javalin.stop();
  }

  static int status(ComputeException.Kind kind) {
    return switch (kind) {
      case BAD_REQUEST -> 400;
      case UNAUTHORIZED -> 401;
      case NOT_FOUND -> 404;
      case CONFLICT -> 409;
      case TOO_LARGE -> 413;
      case UNPROCESSABLE -> 422;
      case OVER_BUDGET -> 402;
      case RATE_LIMITED -> 429;
      case UPSTREAM_FAILED -> 502;
      case UNAVAILABLE -> 503;
      case UPSTREAM_TIMEOUT -> 504;
    };
  }

  private static void answer(Context ctx, ComputeException e, Map<String, Object> routeExtras) {
    int status = status(e.kind());
    Map<String, Object> extras = new java.util.TreeMap<>(e.details());
    if (routeExtras != null) {
      extras.putAll(routeExtras);
    }
    boolean upstream = status >= 500;
    // Whole seconds, rounded up: a client that waits exactly this long is not refused again.
    e.retryAfter()
        .ifPresent(
            d ->
                ctx.header(
                    "Retry-After", String.valueOf(Math.max(1, (d.toMillis() + 999) / 1000))));
    ctx.status(status)
        .json(
            new ErrorBody(
                false, e.code(), e.getMessage(), upstream ? e.retryable() : null, extras));
  }

  private static void frameworkError(Context ctx, HttpResponseException e) {
    int status = e.getStatus();
    String code =
        switch (status) {
          case 413 -> "payload_too_large";
          case 404 -> "not_found";
          case 405 -> "method_not_allowed";
          case 415 -> "unsupported_media_type";
          default -> status >= 500 ? "server_error" : "bad_request";
        };
    String message =
        status == 413
            ? "the body is larger than " + MAX_BODY_BYTES + " bytes"
            : HttpStatus.forStatus(status).getMessage();
    ctx.status(status).json(new ErrorBody(false, code, message, null, null));
  }

  private static void unexpected(Context ctx, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof HttpException bad) {
        // Jetty could not read the request (a broken chunk, a bad trailer): the client's fault.
        int status = bad.getCode() >= 400 && bad.getCode() < 500 ? bad.getCode() : 400;
        ctx.status(status)
            .json(new ErrorBody(false, "bad_request", "the request could not be read", null, null));
        return;
      }
      if (t instanceof EofException || t instanceof java.io.EOFException) {
        log.atDebug().addKeyValue("path", ctx.path()).log("client went away mid-request");
        ctx.status(400)
            .json(new ErrorBody(false, "incomplete_body", "the request ended early", null, null));
        return;
      }
    }
    // A bug: log its class and where, answer without any exception text (it might quote input).
    String errorId = UUID.randomUUID().toString();
    log.atError()
        .addKeyValue("error_id", errorId)
        .addKeyValue("path", ctx.path())
        .addKeyValue("exception", e.getClass().getName())
        .addKeyValue("at", e.getStackTrace().length > 0 ? e.getStackTrace()[0].toString() : "")
        .log("unexpected failure");
    ctx.status(500)
        .json(new ErrorBody(false, "internal_error", "internal error " + errorId, null, null));
  }

  private static void fallback(Context ctx, int status, String code, String message) {
    // Only when no handler wrote an answer of its own (an unknown route, a wrong method).
    if (ctx.result() == null || ctx.result().isEmpty()) {
      ctx.status(status).json(new ErrorBody(false, code, message, null, null));
    }
  }

  /** {@code /health}'s {@code config}: whether the settings files have errors, and how many. */
  private static Map<String, Object> settingsCounts(
      java.util.List<io.comfyvn.compute.config.ConfigProblem> problems) {
    long errors =
        problems.stream().filter(io.comfyvn.compute.config.ConfigProblem::isError).count();
    return Map.of("ok", errors == 0, "errors", errors, "warnings", problems.size() - errors);
  }
}

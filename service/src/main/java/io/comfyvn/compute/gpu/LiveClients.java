package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.gpu.http.Sleeper;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.secrets.SecretKey;
import io.comfyvn.compute.secrets.SecretStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds live clients. Each provider keeps ONE {@link ProviderHttp} for the life of the service, so
 * its rate limiter and circuit breaker see every call; clients are cheap and built per use with the
 * secrets as they are now (the secrets file may change at run time).
 *
 * <p>Every door sends through the one {@link EgressGuard} (credentials only to the hosts they
 * belong to; answers scrubbed), and every client is wrapped so that all it returns or throws is
 * scrubbed of every secret ({@link ScrubbedClient}). Each door also asks the {@link NetworkGate}
 * before every request, so nothing is sent for a provider the gate is closed for.
 */
public final class LiveClients {
  private final AppConfig config;
  private final SecretStore secrets;
  private final EgressGuard transport;
  private final NetworkGate gate;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Map<String, ProviderHttp> doors = new ConcurrentHashMap<>();
  private volatile int instances = 1;

  public LiveClients(
      AppConfig config, SecretStore secrets, EgressGuard transport, ObjectMapper mapper) {
    this(config, secrets, transport, new NetworkGate(config, secrets), mapper);
  }

  /**
   * @param gate each provider's door sends only while it is open for that provider
   */
  public LiveClients(
      AppConfig config,
      SecretStore secrets,
      EgressGuard transport,
      NetworkGate gate,
      ObjectMapper mapper) {
    this(config, secrets, transport, gate, mapper, Clock.systemUTC(), Sleeper.system());
  }

  /**
   * Clients whose doors keep time on {@code clock} and wait through {@code sleeper} (rate limits,
   * breakers, retry back-off): tests pass a manual clock and a sleeper that only moves it.
   */
  public LiveClients(
      AppConfig config,
      SecretStore secrets,
      EgressGuard transport,
      ObjectMapper mapper,
      Clock clock,
      Sleeper sleeper) {
    this(config, secrets, transport, new NetworkGate(config, secrets), mapper, clock, sleeper);
  }

  /**
   * Clients behind {@code gate} (each provider's door sends only while it is open for that
   * provider), on the given clock and sleeper.
   */
  public LiveClients(
      AppConfig config,
      SecretStore secrets,
      EgressGuard transport,
      NetworkGate gate,
      ObjectMapper mapper,
      Clock clock,
      Sleeper sleeper) {
    this.config = config;
    this.secrets = secrets;
    this.transport = transport;
    this.gate = gate;
    this.mapper = mapper;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /**
   * A client for the provider, when it has a live protocol and its required secrets are present now
   * (a client is never built without them: it could not authenticate, and building one would fail).
   */
  public Optional<LiveClient> client(GpuProvider p) {
    if (!p.hasLiveClient() || !secrets.missing(p.descriptor().secretKeys()).isEmpty()) {
      return Optional.empty();
    }
    ProviderDescriptor d = p.descriptor();
    ProviderSettings settings = config.provider(d.slug());
    ProviderHttp http =
        doors.computeIfAbsent(
            d.slug(),
            slug -> {
              ProviderHttp door =
                  new ProviderHttp(
                      slug,
                      transport,
                      d.resilience(settings),
                      () -> gate.closedFor(p),
                      mapper,
                      clock,
                      sleeper);
              if (instances > 1) {
                door.shareAmong(instances);
              }
              return door;
            });
    return p.live(new GpuProvider.LiveContext(settings, current(d), http, mapper))
        .map(c -> new ScrubbedClient(c, transport::scrub));
  }

  /**
   * Every provider's limits are shared by this many live instances from now on (each door keeps to
   * its share of the documented limits). {@code Integer.MAX_VALUE} means the smallest share: one
   * call per window per operation (an instance the others do not count yet).
   */
  public void shareLimitsAmong(int liveInstances) {
    this.instances = Math.max(1, liveInstances);
    doors.values().forEach(d -> d.shareAmong(this.instances));
  }

  /**
   * Checks every provider's transport settings (its documented figures and the config file's
   * overrides) once at start-up, so a bad rate limit or timeout stops the service with a message
   * naming the setting instead of failing the provider's first call.
   *
   * @throws io.comfyvn.compute.config.ConfigException naming the setting
   */
  public void check(GpuProviders providers) {
    for (String slug : providers.slugs()) {
      providers.require(slug).descriptor().resilience(config.provider(slug));
    }
  }

  /** A client for the provider, or a 503 when it has no live protocol or lacks its secrets. */
  public LiveClient require(GpuProvider p) {
    return client(p)
        .orElseThrow(
            () ->
                new ComputeException(
                    ComputeException.Kind.UNAVAILABLE,
                    "no_live_client",
                    p.descriptor().slug()
                        + (p.hasLiveClient()
                            ? " cannot run live now: missing secrets "
                                + String.join(", ", secrets.missing(p.descriptor().secretKeys()))
                            : " has no live client"),
                    true,
                    null));
  }

  /** The gate every call of these clients passes (and their callers ask first). */
  public NetworkGate gate() {
    return gate;
  }

  /** The provider's required and optional secrets that are present now. */
  private Map<String, Secret> current(ProviderDescriptor d) {
    Map<String, Secret> out = new TreeMap<>();
    List<SecretKey> keys = new ArrayList<>(d.secretKeys());
    keys.addAll(d.optionalSecretKeys());
    for (SecretKey k : keys) {
      secrets.find(k).ifPresent(s -> out.put(k.qualifiedName(), s));
    }
    return out;
  }
}

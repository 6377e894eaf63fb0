package io.comfyvn.compute.web.boundary;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.config.ServerSettings;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Every decision the boundary makes, in one place and free of Jetty: which hosts, origins and
 * credentials a request may come with, which paths need no token, and which bodies are accepted.
 * The checks run in a fixed order (host, origin, preflight, token, media type, size), so the answer
 * to a request that fails several is always the same.
 */
public final class BoundaryPolicy {
  /** Bodies larger than this are refused with 413 before they are read. */
  public static final long MAX_BODY_BYTES = 1_048_576;

  /**
   * The routes that take a workflow job, whose input files may travel inline (16 MiB of files, as
   * base64 about 21.4 MiB, plus a graph of up to 2 MiB), take bodies up to this size.
   */
  public static final long WORKFLOW_BODY_BYTES = 24L * 1024 * 1024;

  private static final Set<String> WORKFLOW_ROUTES =
      Set.of("/api/providers/gpu/submit", "/api/providers/gpu/simulate", "/api/gpu/advise");

  /** The largest body a route takes. */
  public static long maxBodyBytes(String path) {
    return path != null && WORKFLOW_ROUTES.contains(path) ? WORKFLOW_BODY_BYTES : MAX_BODY_BYTES;
  }

  /** The Studio page's login route; it needs no token (it is where the token is given). */
  public static final String SESSION_PATH = "/api/session";

  /** Provider webhook receivers: no token, any media type (each verifies its own signature). */
  static final Pattern WEBHOOK = Pattern.compile("/api/providers/gpu/webhooks/[A-Za-z0-9_-]{1,64}");

  /** A single-segment static file name, as the Studio page's files are named. */
  private static final Pattern STATIC = Pattern.compile("/([A-Za-z0-9][A-Za-z0-9_.-]{0,99})?");

  private final ServedHosts hosts;
  private final Set<WebOrigin> allowedOrigins;
  private final Optional<ApiToken> token;
  private final Predicate<String> staticFile;
  private final boolean loopback;

  private BoundaryPolicy(
      boolean loopback,
      ServedHosts hosts,
      Set<WebOrigin> allowedOrigins,
      Optional<ApiToken> token,
      Predicate<String> staticFile) {
    this.hosts = hosts;
    this.allowedOrigins = Set.copyOf(allowedOrigins);
    this.token = token;
    this.staticFile = staticFile;
    this.loopback = loopback;
  }

  /**
   * The policy for a bind address.
   *
   * @param bindHost the address the service listens on
   * @param settings the {@code server} section of the config
   * @param token the API token, if one is configured
   * @param staticFile whether a path (e.g. {@code /compute.js}) is one of the Studio page's files
   * @throws ConfigException when the service would listen beyond loopback without a token, or a
   *     {@code server.allowed_*} entry is malformed
   */
  public static BoundaryPolicy of(
      String bindHost,
      ServerSettings settings,
      Optional<ApiToken> token,
      Predicate<String> staticFile) {
    boolean loopback = ServedHosts.isLoopback(bindHost);
    if (token.isEmpty() && !loopback) {
      throw new ConfigException(
          "refusing to serve on "
              + bindHost
              + " without an API token: anyone who can reach that address could spend your"
              + " provider credits. Set server.api_token in config/comfyvn.secrets.json or the"
              + " COMFYVN_API_TOKEN environment variable (at least "
              + ApiToken.MIN_LENGTH
              + " characters, e.g. 'openssl rand -hex 32'), or serve on 127.0.0.1."
              + " See docs/security.md.");
    }
    Set<WebOrigin> origins = new LinkedHashSet<>();
    List<String> entries = settings.allowedOrigins();
    for (int i = 0; i < entries.size(); i++) {
      int index = i;
      origins.add(
          WebOrigin.parse(entries.get(i))
              .orElseThrow(
                  () ->
                      new ConfigException(
                          ConfigLoader.CONFIG_FILE
                              + ": 'server.allowed_origins["
                              + index
                              + "]' must be an origin such as 'http://localhost:3000'"
                              + " (scheme, host and optional port; no path, no '*')")));
    }
    return new BoundaryPolicy(
        loopback, ServedHosts.of(bindHost, settings.allowedHosts()), origins, token, staticFile);
  }

  /** Whether the service listens on loopback only. */
  public boolean loopbackOnly() {
    return loopback;
  }

  /** Whether requests need the API token. */
  public boolean tokenRequired() {
    return token.isPresent();
  }

  /** The token, when one is configured. */
  public Optional<ApiToken> token() {
    return token;
  }

  /** What the boundary lets in, for the startup log line (names and origins; never the token). */
  public String describe() {
    List<String> origins = new ArrayList<>();
    allowedOrigins.forEach(o -> origins.add(o.toString()));
    return "hosts "
        + hosts.describe()
        + ", cross origins "
        + origins
        + ", api token "
        + (token.isPresent() ? "required" : "not set");
  }

  /** The verdict on one request. */
  Verdict check(RequestFacts r) {
    // 1. Host: DNS rebinding sends the attacker's name.
    Optional<Authority> host = Optional.ofNullable(r.host()).flatMap(Authority::parse);
    if (r.host() == null || r.host().isBlank()) {
      return refuse(400, "missing_host", "the request has no Host header (or more than one)");
    }
    if (host.isEmpty()
        || !hosts.serves(host.get(), r.localPort())
        || !targetServed(r.targetAuthority(), r.localPort())) {
      return refuse(
          421,
          "unknown_host",
          "this service does not answer to the host '"
              + Refusal.quote(r.host())
              + "'; if that is how you reach it (e.g. through a reverse proxy), add it to"
              + " server.allowed_hosts in config/comfyvn.json");
    }
    // 2. Origin: a page on another site, or a sandboxed one ("null").
    String cors = null;
    if (r.origin() != null) {
      Optional<WebOrigin> origin = WebOrigin.parse(r.origin());
      if (origin.isPresent() && origin.get().isOriginOf(host.get())) {
        cors = null;
      } else if (origin.isPresent() && allowedOrigins.contains(origin.get())) {
        cors = r.origin().trim();
      } else {
        return refuse(
            403,
            "cross_origin",
            "requests from the origin '"
                + Refusal.quote(r.origin())
                + "' are refused; to allow a page there, add it to server.allowed_origins in"
                + " config/comfyvn.json");
      }
    } else if (crossSite(r.fetchSite()) && !navigationToPage(r)) {
      // No Origin (an <img>, a script or a link from another site): the browser still says.
      return refuse(
          403,
          "cross_site",
          "requests made by another site's page are refused (Sec-Fetch-Site: "
              + Refusal.quote(r.fetchSite())
              + ")");
    }
    // 3. A CORS preflight from an allowed origin is answered here.
    if (r.preflight() && cors != null) {
      return new Verdict.Preflight(cors);
    }
    // 4. The token, beyond the few routes that cannot need it.
    if (token.isPresent()
        && !tokenExempt(r)
        && !token.get().accepts(r.authorization(), r.sessionCookie())) {
      boolean presented = r.authorization() != null || r.sessionCookie() != null;
      return new Verdict.Refuse(
          new Refusal(
              401,
              presented ? "invalid_token" : "token_required",
              presented
                  ? "the API token given is not this service's"
                  : "this service needs its API token: send 'Authorization: Bearer <token>',"
                      + " or log in on the Studio page"),
          cors);
    }
    // 5. JSON only: a page can send text/plain or a form without asking; never application/json.
    if (needsJsonType(r) && !isJson(r.contentType())) {
      return new Verdict.Refuse(
          new Refusal(
              415,
              "unsupported_media_type",
              "send the body as JSON with 'Content-Type: application/json'"
                  + " (curl: -H 'Content-Type: application/json')"),
          cors);
    }
    // 6. Size, from the declared length; a chunked body is counted as it arrives.
    long max = maxBodyBytes(r.path());
    if (r.contentLength() > max) {
      return new Verdict.Refuse(
          new Refusal(413, "payload_too_large", "the body is larger than " + max + " bytes"), cors);
    }
    return new Verdict.Pass(cors, r.hasBody());
  }

  private boolean targetServed(String targetAuthority, int localPort) {
    if (targetAuthority == null || targetAuthority.isEmpty()) {
      return true;
    }
    Optional<Authority> a = Authority.parse(targetAuthority);
    return a.isPresent() && hosts.serves(a.get(), localPort);
  }

  private static boolean crossSite(String fetchSite) {
    if (fetchSite == null) {
      return false;
    }
    String s = fetchSite.trim().toLowerCase(Locale.ROOT);
    // "same-site" is another port or subdomain: another origin all the same.
    return !s.equals("same-origin") && !s.equals("none");
  }

  /** A top-level GET of one of the Studio page's files (a link or a bookmark): no data in it. */
  private boolean navigationToPage(RequestFacts r) {
    return isRead(r.method())
        && "navigate".equalsIgnoreCase(r.fetchMode())
        && isStaticFile(r.path());
  }

  private boolean tokenExempt(RequestFacts r) {
    String path = r.path();
    if (path.equals(SESSION_PATH)) {
      return true;
    }
    if (path.equals("/health") && isRead(r.method())) {
      return true;
    }
    if (r.method().equals("POST") && WEBHOOK.matcher(path).matches()) {
      return true;
    }
    // The page shell (HTML, script, style) must load to ask for the token; it holds no data.
    return isRead(r.method()) && isStaticFile(path);
  }

  private boolean isStaticFile(String path) {
    return STATIC.matcher(path).matches() && staticFile.test(path);
  }

  private static boolean needsJsonType(RequestFacts r) {
    if (WEBHOOK.matcher(r.path()).matches() && r.method().equals("POST")) {
      return false;
    }
    if (r.hasBody()) {
      return true;
    }
    // An empty form POST still carries its form type: refuse it like a full one.
    return r.contentType() != null && !isRead(r.method());
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return media.equalsIgnoreCase("application/json");
  }

  private static boolean isRead(String method) {
    return method.equals("GET") || method.equals("HEAD");
  }

  private static Verdict refuse(int status, String code, String message) {
    return new Verdict.Refuse(new Refusal(status, code, message), null);
  }
}

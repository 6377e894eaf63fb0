package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ServerSettings;
import io.comfyvn.compute.secrets.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every decision of the boundary, on request facts alone (no server). */
class BoundaryPolicyTest {
  private static final int PORT = 8001;
  private static final String TOKEN = "t0ken-for-the-boundary-tests";
  private static final Set<String> STATIC =
      Set.of("/", "/index.html", "/compute.js", "/compute.css");

  private static BoundaryPolicy loopback() {
    return BoundaryPolicy.of(
        "127.0.0.1", settings(List.of(), List.of()), Optional.empty(), STATIC::contains);
  }

  private static BoundaryPolicy withToken() {
    return BoundaryPolicy.of(
        "127.0.0.1",
        settings(List.of(), List.of()),
        Optional.of(ApiToken.of(Secret.of(TOKEN), "test")),
        STATIC::contains);
  }

  private static ServerSettings settings(List<String> hosts, List<String> origins) {
    return new ServerSettings(
        hosts, origins, ServerSettings.DEFAULT_IDLE_TIMEOUT, ServerSettings.DEFAULT_BODY_TIMEOUT);
  }

  /** A request as curl sends it to the loopback service; each test changes what it is about. */
  private static Facts get(String path) {
    return new Facts("GET", path);
  }

  private static Facts post(String path) {
    return new Facts("POST", path).type("application/json").length(2);
  }

  /** A builder of request facts. */
  static final class Facts {
    String method;
    String path;
    String host = "127.0.0.1:" + PORT;
    String target;
    String origin;
    String site;
    String mode;
    String authorization;
    String cookie;
    String type;
    long length = -1;
    boolean chunked;

    Facts(String method, String path) {
      this.method = method;
      this.path = path;
    }

    Facts host(String h) {
      host = h;
      return this;
    }

    Facts target(String t) {
      target = t;
      return this;
    }

    Facts origin(String o) {
      origin = o;
      return this;
    }

    Facts site(String s, String m) {
      site = s;
      mode = m;
      return this;
    }

    Facts bearer(String t) {
      authorization = "Bearer " + t;
      return this;
    }

    Facts cookie(String c) {
      cookie = c;
      return this;
    }

    Facts type(String t) {
      type = t;
      return this;
    }

    Facts length(long n) {
      length = n;
      return this;
    }

    Facts chunked() {
      chunked = true;
      return this;
    }

    RequestFacts build() {
      return new RequestFacts(
          method,
          path,
          host,
          target,
          PORT,
          origin,
          site,
          mode,
          authorization,
          cookie,
          type,
          length,
          chunked,
          method.equals("OPTIONS") && origin != null);
    }

    @Override
    public String toString() {
      return method
          + " "
          + path
          + " host="
          + host
          + " origin="
          + origin
          + " site="
          + site
          + " type="
          + type
          + " len="
          + length
          + (authorization == null ? "" : " auth")
          + (cookie == null ? "" : " cookie");
    }
  }

  private static String code(Verdict v) {
    return v instanceof Verdict.Refuse r ? r.refusal().status() + " " + r.refusal().code() : "pass";
  }

  static Stream<Arguments> hosts() {
    return Stream.of(
        Arguments.of("127.0.0.1:" + PORT, "pass"),
        Arguments.of("localhost:" + PORT, "pass"),
        Arguments.of("LocalHost:" + PORT, "pass"),
        Arguments.of("[::1]:" + PORT, "pass"),
        Arguments.of("[0:0:0:0:0:0:0:1]:" + PORT, "pass"),
        Arguments.of("evil.example:" + PORT, "421 unknown_host"),
        Arguments.of("evil.example", "421 unknown_host"),
        Arguments.of("localhost.:" + PORT, "421 unknown_host"),
        Arguments.of("localhost.evil.example:" + PORT, "421 unknown_host"),
        Arguments.of("127.0.0.1", "421 unknown_host"),
        Arguments.of("127.0.0.1:" + (PORT + 1), "421 unknown_host"),
        Arguments.of("127.0.0.1:" + PORT + ":1", "421 unknown_host"),
        Arguments.of("user@127.0.0.1:" + PORT, "421 unknown_host"),
        Arguments.of("127.1:" + PORT, "421 unknown_host"),
        Arguments.of("2130706433:" + PORT, "421 unknown_host"),
        Arguments.of("0.0.0.0:" + PORT, "421 unknown_host"),
        Arguments.of("[::ffff:127.0.0.1]:" + PORT, "421 unknown_host"),
        Arguments.of("10.0.0.5:" + PORT, "421 unknown_host"),
        Arguments.of("127.0.0.1:0" + PORT, "pass"),
        Arguments.of("127.0.0.1:99999", "421 unknown_host"),
        Arguments.of("127.0.0.1:", "421 unknown_host"),
        Arguments.of("[::1", "421 unknown_host"),
        Arguments.of("local host:" + PORT, "421 unknown_host"),
        Arguments.of("localhost\0:" + PORT, "421 unknown_host"),
        Arguments.of("", "400 missing_host"),
        Arguments.of(null, "400 missing_host"));
  }

  @ParameterizedTest(name = "Host {0} -> {1}")
  @MethodSource("hosts")
  void onlyTheServicesOwnHostNamesPass(String host, String expected) {
    assertThat(code(loopback().check(get("/health").host(host).build()))).isEqualTo(expected);
  }

  @Test
  void anAbsoluteTargetMustNameAServedHostToo() {
    assertThat(code(loopback().check(get("/health").target("evil.example:80").build())))
        .isEqualTo("421 unknown_host");
    assertThat(code(loopback().check(get("/health").target("127.0.0.1:" + PORT).build())))
        .isEqualTo("pass");
  }

  @Test
  void allowedHostsAddNamesWithAndWithoutPorts() {
    BoundaryPolicy p =
        BoundaryPolicy.of(
            "127.0.0.1",
            settings(List.of("compute.example.com", "proxy.lan:8443"), List.of()),
            Optional.empty(),
            STATIC::contains);
    assertThat(code(p.check(get("/health").host("compute.example.com").build()))).isEqualTo("pass");
    assertThat(code(p.check(get("/health").host("compute.example.com:" + PORT).build())))
        .isEqualTo("pass");
    assertThat(code(p.check(get("/health").host("compute.example.com:9999").build())))
        .isEqualTo("421 unknown_host");
    assertThat(code(p.check(get("/health").host("proxy.lan:8443").build()))).isEqualTo("pass");
    assertThat(code(p.check(get("/health").host("proxy.lan").build())))
        .isEqualTo("421 unknown_host");
    assertThat(code(p.check(get("/health").host("evil.compute.example.com").build())))
        .isEqualTo("421 unknown_host");
  }

  @Test
  void aWildcardBindServesLoopbackNamesAndNeedsAToken() {
    assertThatThrownBy(
            () ->
                BoundaryPolicy.of(
                    "0.0.0.0", settings(List.of(), List.of()), Optional.empty(), STATIC::contains))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("without an API token")
        .hasMessageContaining("server.api_token")
        .hasMessageContaining("COMFYVN_API_TOKEN");
    BoundaryPolicy p =
        BoundaryPolicy.of(
            "0.0.0.0",
            settings(List.of(), List.of()),
            Optional.of(ApiToken.of(Secret.of(TOKEN), "test")),
            STATIC::contains);
    assertThat(p.loopbackOnly()).isFalse();
    assertThat(code(p.check(get("/health").host("localhost:" + PORT).build()))).isEqualTo("pass");
    assertThat(code(p.check(get("/health").host("evil.example:" + PORT).build())))
        .isEqualTo("421 unknown_host");
    assertThat(p.describe()).doesNotContain(TOKEN).contains("api token required");
  }

  @Test
  void badAllowedEntriesAreConfigErrorsNamingTheEntry() {
    assertThatThrownBy(
            () ->
                BoundaryPolicy.of(
                    "127.0.0.1",
                    settings(List.of("ok.example", "http://bad.example/"), List.of()),
                    Optional.empty(),
                    STATIC::contains))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.allowed_hosts[1]");
    for (String bad : List.of("*", "localhost:3000", "http://x.example/path", "ftp://x.example")) {
      assertThatThrownBy(
              () ->
                  BoundaryPolicy.of(
                      "127.0.0.1",
                      settings(List.of(), List.of(bad)),
                      Optional.empty(),
                      STATIC::contains))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("server.allowed_origins[0]");
    }
  }

  static Stream<Arguments> origins() {
    String self = "127.0.0.1:" + PORT;
    return Stream.of(
        Arguments.of("http://" + self, "pass"),
        Arguments.of("HTTP://" + self, "pass"),
        Arguments.of("https://" + self, "pass"),
        Arguments.of("http://localhost:" + PORT, "403 cross_origin"),
        Arguments.of("http://127.0.0.1:" + (PORT + 1), "403 cross_origin"),
        Arguments.of("http://127.0.0.1", "403 cross_origin"),
        Arguments.of("https://evil.example", "403 cross_origin"),
        Arguments.of("null", "403 cross_origin"),
        Arguments.of("", "403 cross_origin"),
        Arguments.of("http://" + self + "/", "403 cross_origin"),
        Arguments.of("http://" + self + ".evil.example", "403 cross_origin"),
        Arguments.of("ws://" + self, "403 cross_origin"),
        Arguments.of("file://", "403 cross_origin"),
        Arguments.of("chrome-extension://abc", "403 cross_origin"),
        Arguments.of("http://user@" + self, "403 cross_origin"),
        Arguments.of("http://studio.example:3000", "pass cors"),
        Arguments.of("http://STUDIO.example:3000", "pass cors"),
        Arguments.of("http://studio.example:3001", "403 cross_origin"),
        Arguments.of("https://studio.example:3000", "403 cross_origin"),
        Arguments.of("https://app.example", "pass cors"),
        Arguments.of("https://app.example:443", "pass cors"),
        Arguments.of("http://app.example", "403 cross_origin"));
  }

  @ParameterizedTest(name = "Origin {0} -> {1}")
  @MethodSource("origins")
  void onlyTheOwnOriginAndListedOnesPass(String origin, String expected) {
    BoundaryPolicy p =
        BoundaryPolicy.of(
            "127.0.0.1",
            settings(List.of(), List.of("http://studio.example:3000", "https://app.example")),
            Optional.empty(),
            STATIC::contains);
    for (Facts f : List.of(post("/api/providers/gpu/submit"), get("/jobs/ws"), get("/jobs/all"))) {
      Verdict v = p.check(f.origin(origin).build());
      String got =
          v instanceof Verdict.Pass pass && pass.corsOrigin() != null ? "pass cors" : code(v);
      assertThat(got).as(f.toString()).isEqualTo(expected);
    }
  }

  static Stream<Arguments> fetchSites() {
    return Stream.of(
        Arguments.of("GET", "/api/providers/health", "cross-site", "no-cors", "403 cross_site"),
        Arguments.of("GET", "/api/providers/health", "same-site", "no-cors", "403 cross_site"),
        Arguments.of("GET", "/api/providers/health", "CROSS-SITE", "no-cors", "403 cross_site"),
        Arguments.of("GET", "/api/providers/health", "bogus", "no-cors", "403 cross_site"),
        Arguments.of("GET", "/api/providers/health", "same-origin", "cors", "pass"),
        Arguments.of("GET", "/api/providers/health", "none", "navigate", "pass"),
        Arguments.of("GET", "/jobs/all", "cross-site", "navigate", "403 cross_site"),
        Arguments.of("GET", "/", "cross-site", "navigate", "pass"),
        Arguments.of("GET", "/compute.js", "same-site", "navigate", "pass"),
        Arguments.of("GET", "/compute.js", "cross-site", "no-cors", "403 cross_site"),
        Arguments.of("GET", "/nope.js", "cross-site", "navigate", "403 cross_site"),
        Arguments.of("HEAD", "/", "cross-site", "navigate", "pass"));
  }

  @ParameterizedTest(name = "{0} {1} Sec-Fetch-Site {2} mode {3} -> {4}")
  @MethodSource("fetchSites")
  void withoutAnOriginTheBrowsersFetchSiteDecides(
      String method, String path, String site, String mode, String expected) {
    assertThat(code(loopback().check(new Facts(method, path).site(site, mode).build())))
        .isEqualTo(expected);
  }

  @Test
  void preflightsAreAnsweredForListedOriginsOnly() {
    BoundaryPolicy p =
        BoundaryPolicy.of(
            "127.0.0.1",
            settings(List.of(), List.of("http://studio.example:3000")),
            Optional.of(ApiToken.of(Secret.of(TOKEN), "test")),
            STATIC::contains);
    Verdict ok =
        p.check(
            new Facts("OPTIONS", "/api/providers/gpu/submit")
                .origin("http://studio.example:3000")
                .build());
    assertThat(ok).isEqualTo(new Verdict.Preflight("http://studio.example:3000"));
    Verdict no =
        p.check(
            new Facts("OPTIONS", "/api/providers/gpu/submit")
                .origin("http://evil.example")
                .build());
    assertThat(code(no)).isEqualTo("403 cross_origin");
    // The allowed page still needs the token for the request itself, and can read the 401.
    Verdict noToken =
        p.check(post("/api/providers/gpu/submit").origin("http://studio.example:3000").build());
    assertThat(noToken)
        .isInstanceOfSatisfying(
            Verdict.Refuse.class,
            r -> {
              assertThat(r.refusal().status()).isEqualTo(401);
              assertThat(r.corsOrigin()).isEqualTo("http://studio.example:3000");
            });
  }

  static Stream<Arguments> tokens() {
    String session = sessionValue();
    return Stream.of(
        Arguments.of(get("/jobs/all"), "401 token_required"),
        Arguments.of(get("/jobs/all").bearer(TOKEN), "pass"),
        Arguments.of(get("/jobs/all").bearer(TOKEN + "x"), "401 invalid_token"),
        Arguments.of(get("/jobs/all").bearer(TOKEN.substring(1)), "401 invalid_token"),
        Arguments.of(get("/jobs/all").bearer(""), "401 invalid_token"),
        Arguments.of(get("/jobs/all").cookie(session), "pass"),
        Arguments.of(get("/jobs/all").cookie(TOKEN), "401 invalid_token"),
        Arguments.of(get("/jobs/all").cookie(session + "x"), "401 invalid_token"),
        Arguments.of(get("/jobs/ws"), "401 token_required"),
        Arguments.of(get("/jobs/ws").cookie(session), "pass"),
        Arguments.of(get("/metrics"), "401 token_required"),
        Arguments.of(post("/api/providers/gpu/submit"), "401 token_required"),
        Arguments.of(get("/health"), "pass"),
        Arguments.of(new Facts("HEAD", "/health"), "pass"),
        Arguments.of(post("/health"), "401 token_required"),
        Arguments.of(get("/"), "pass"),
        Arguments.of(get("/compute.js"), "pass"),
        Arguments.of(get("/nope.js"), "401 token_required"),
        Arguments.of(get("/compute.js/../jobs/all"), "401 token_required"),
        Arguments.of(post("/api/session"), "pass"),
        Arguments.of(get("/api/session"), "pass"),
        Arguments.of(post("/api/providers/gpu/webhooks/replicate"), "pass"),
        Arguments.of(get("/api/providers/gpu/webhooks/replicate"), "401 token_required"),
        Arguments.of(post("/api/providers/gpu/webhooks/run%70od"), "401 token_required"),
        Arguments.of(post("/api/providers/gpu/webhooks/../submit"), "401 token_required"),
        Arguments.of(post("/api/providers/gpu/webhooks/x/y"), "401 token_required"),
        Arguments.of(post("/api/providers/gpu/webhooks/"), "401 token_required"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("tokens")
  void withATokenOnlyTheDoorsThatCannotNeedItAreOpen(Facts f, String expected) {
    assertThat(code(withToken().check(f.build()))).isEqualTo(expected);
  }

  private static String sessionValue() {
    String cookie = ApiToken.of(Secret.of(TOKEN), "test").sessionCookie(false);
    return cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
  }

  static Stream<Arguments> mediaTypes() {
    String submit = "/api/providers/gpu/submit";
    String health = "/api/providers/gpu/health";
    String hook = "/api/providers/gpu/webhooks/runpod";
    return Stream.of(
        Arguments.of(post(submit), "pass"),
        Arguments.of(post(submit).type("application/json; charset=utf-8"), "pass"),
        Arguments.of(post(submit).type("APPLICATION/JSON"), "pass"),
        Arguments.of(post(submit).type("text/plain"), "415 unsupported_media_type"),
        Arguments.of(post(submit).type("text/plain; charset=utf-8"), "415 unsupported_media_type"),
        Arguments.of(
            post(submit).type("application/x-www-form-urlencoded"), "415 unsupported_media_type"),
        Arguments.of(
            post(submit).type("multipart/form-data; boundary=x"), "415 unsupported_media_type"),
        Arguments.of(
            post(submit).type("application/json-patch+json"), "415 unsupported_media_type"),
        Arguments.of(post(submit).type("application/jsonx"), "415 unsupported_media_type"),
        Arguments.of(post(submit).type("text/json"), "415 unsupported_media_type"),
        Arguments.of(post(submit).type(""), "415 unsupported_media_type"),
        Arguments.of(post(submit).type(null), "415 unsupported_media_type"),
        Arguments.of(post(submit).type(null).length(-1).chunked(), "415 unsupported_media_type"),
        Arguments.of(post(submit).length(-1).chunked(), "pass"),
        Arguments.of(post(submit).type("text/plain").length(0), "415 unsupported_media_type"),
        Arguments.of(post(submit).type(null).length(0), "pass"),
        Arguments.of(
            new Facts("DELETE", "/api/modder/hooks/webhooks").type("text/plain"),
            "415 unsupported_media_type"),
        Arguments.of(get("/jobs/all").type("text/plain"), "pass"),
        Arguments.of(get("/jobs/all").type("text/plain").length(3), "415 unsupported_media_type"),
        Arguments.of(post(hook).type("text/plain"), "pass"),
        Arguments.of(post(hook).type(null), "pass"),
        Arguments.of(post(hook + "/x").type("text/plain"), "415 unsupported_media_type"),
        Arguments.of(post(health).length(BoundaryPolicy.MAX_BODY_BYTES), "pass"),
        Arguments.of(
            post(health).length(BoundaryPolicy.MAX_BODY_BYTES + 1), "413 payload_too_large"),
        // the routes that take a workflow job take its inline input files
        Arguments.of(post(submit).length(BoundaryPolicy.WORKFLOW_BODY_BYTES), "pass"),
        Arguments.of(post("/api/gpu/advise").length(BoundaryPolicy.WORKFLOW_BODY_BYTES), "pass"),
        Arguments.of(
            post("/api/providers/gpu/simulate").length(BoundaryPolicy.WORKFLOW_BODY_BYTES), "pass"),
        Arguments.of(
            post(submit).length(BoundaryPolicy.WORKFLOW_BODY_BYTES + 1), "413 payload_too_large"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("mediaTypes")
  void bodiesAreJsonExceptAtTheProviderWebhooks(Facts f, String expected) {
    assertThat(code(loopback().check(f.build()))).isEqualTo(expected);
  }

  @Test
  void checksRunInAFixedOrder() {
    Facts all =
        post("/api/providers/gpu/submit")
            .host("evil.example")
            .origin("https://evil.example")
            .type("text/plain")
            .length(BoundaryPolicy.WORKFLOW_BODY_BYTES + 1);
    assertThat(code(withToken().check(all.build()))).isEqualTo("421 unknown_host");
    assertThat(code(withToken().check(all.host("127.0.0.1:" + PORT).build())))
        .isEqualTo("403 cross_origin");
    assertThat(code(withToken().check(all.origin(null).build()))).isEqualTo("401 token_required");
    assertThat(code(withToken().check(all.bearer(TOKEN).build())))
        .isEqualTo("415 unsupported_media_type");
    assertThat(code(withToken().check(all.type("application/json").build())))
        .isEqualTo("413 payload_too_large");
  }

  /**
   * Seeded random requests mixing every variant: whatever the mix, a foreign host, a foreign
   * origin, another site's fetch, a missing token or a non-JSON body never passes.
   */
  static List<Arguments> mixes() {
    Random rnd = new Random(20261201L);
    String[] hosts = {
      "127.0.0.1:" + PORT, "localhost:" + PORT, "evil.example:" + PORT, "127.0.0.1:1", null
    };
    String[] origins = {
      null,
      null,
      "http://127.0.0.1:" + PORT,
      "http://evil.example",
      "null",
      "http://studio.example:3000"
    };
    String[] sites = {null, "same-origin", "none", "same-site", "cross-site"};
    String[] modes = {null, "cors", "no-cors", "navigate", "websocket"};
    String[] types = {null, "application/json", "text/plain", "application/x-www-form-urlencoded"};
    String[][] routes = {
      {"GET", "/jobs/all"}, {"GET", "/jobs/ws"}, {"POST", "/api/providers/gpu/submit"},
      {"POST", "/api/providers/register"}, {"GET", "/api/providers/health"}, {"GET", "/"},
      {"POST", "/api/providers/gpu/webhooks/runpod"}, {"GET", "/health"}, {"POST", "/api/session"},
      {"DELETE", "/api/providers/remove/x"}, {"OPTIONS", "/api/providers/gpu/submit"}
    };
    List<Arguments> out = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      String[] route = routes[rnd.nextInt(routes.length)];
      Facts f = new Facts(route[0], route[1]).host(hosts[rnd.nextInt(hosts.length)]);
      f.origin(origins[rnd.nextInt(origins.length)]);
      f.site(sites[rnd.nextInt(sites.length)], modes[rnd.nextInt(modes.length)]);
      f.type(types[rnd.nextInt(types.length)]);
      f.length(rnd.nextInt(3) == 0 ? -1 : rnd.nextInt(3) * 100L);
      int auth = rnd.nextInt(4);
      if (auth == 1) {
        f.bearer(TOKEN);
      } else if (auth == 2) {
        f.bearer("wrong-" + rnd.nextInt(1000));
      } else if (auth == 3) {
        f.cookie(sessionValue());
      }
      out.add(Arguments.of(f, rnd.nextBoolean()));
    }
    return out;
  }

  @ParameterizedTest(name = "{0} token={1}")
  @MethodSource("mixes")
  void nothingForeignEverPasses(Facts f, boolean tokenMode) {
    BoundaryPolicy p =
        BoundaryPolicy.of(
            "127.0.0.1",
            settings(List.of(), List.of("http://studio.example:3000")),
            tokenMode ? Optional.of(ApiToken.of(Secret.of(TOKEN), "test")) : Optional.empty(),
            STATIC::contains);
    RequestFacts r = f.build();
    Verdict v = p.check(r);
    boolean passes = !(v instanceof Verdict.Refuse);
    boolean ownHost =
        r.host() != null && r.host().endsWith(":" + PORT) && !r.host().startsWith("evil");
    boolean foreignOrigin =
        r.origin() != null
            && !r.origin().equals("http://127.0.0.1:" + PORT)
            && !r.origin().equals("http://studio.example:3000");
    boolean crossFetch =
        r.origin() == null
            && r.fetchSite() != null
            && !r.fetchSite().equals("same-origin")
            && !r.fetchSite().equals("none");
    boolean pageNavigation =
        crossFetch
            && r.path().equals("/")
            && "navigate".equals(r.fetchMode())
            && r.method().equals("GET");
    boolean webhook =
        r.path().startsWith("/api/providers/gpu/webhooks/") && r.method().equals("POST");
    boolean credentials =
        r.authorization() != null && r.authorization().equals("Bearer " + TOKEN)
            || r.sessionCookie() != null;
    boolean exempt =
        webhook
            || r.path().equals("/api/session")
            || (r.method().equals("GET") && (r.path().equals("/health") || r.path().equals("/")));
    if (!ownHost || foreignOrigin || (crossFetch && !pageNavigation)) {
      assertThat(passes).as("foreign: " + code(v)).isFalse();
    }
    if (tokenMode && !exempt && !credentials && !(v instanceof Verdict.Preflight)) {
      assertThat(passes).as("no token: " + code(v)).isFalse();
    }
    if (v instanceof Verdict.Pass && r.hasBody() && !webhook) {
      assertThat(r.contentType()).isEqualTo("application/json");
    }
    if (v instanceof Verdict.Preflight pf) {
      assertThat(pf.origin()).isEqualTo("http://studio.example:3000");
    }
  }
}

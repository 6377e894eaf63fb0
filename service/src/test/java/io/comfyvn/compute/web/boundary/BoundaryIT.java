package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.RawHttp;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The boundary through real HTTP on loopback, over every route the router has (so a route added
 * later is covered without touching this test): foreign hosts, foreign origins, other sites'
 * fetches and non-JSON bodies are refused with JSON; the service's own page and clients that send
 * no {@code Origin} are not; CORS only for a listed origin.
 */
class BoundaryIT {
  static final String LISTED = "http://studio.example:3000";
  @TempDir static Path dir;
  static Server server;
  static int port;

  @BeforeAll
  static void start() {
    new TestHome(dir)
        .config("{\"server\":{\"allowed_origins\":[\"" + LISTED + "\"]}}")
        .allSecrets("boundary");
    server = Server.start(dir);
    port = server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Every route, a sample path for it, and whether it takes a body. */
  static List<Route> routes() {
    List<Route> out = Route.of(server);
    assertThat(out)
        .as("the router lists the routes this test must cover")
        .contains(
            new Route("POST", "/api/providers/gpu/submit"),
            new Route("POST", "/api/providers/register"),
            new Route("GET", "/api/providers/health"),
            new Route("WS", "/jobs/ws"),
            new Route("WS", "/api/modder/hooks/ws"));
    return out;
  }

  static Stream<Route> allRoutes() {
    return routes().stream();
  }

  static Stream<Route> mutatingRoutesAndSockets() {
    return routes().stream().filter(r -> !r.method().equals("GET") && !r.method().equals("HEAD"));
  }

  static String sample(String template) {
    return template.replaceAll("\\{[^}]+}", "x");
  }

  static boolean webhook(Route r) {
    return r.path().startsWith("/api/providers/gpu/webhooks/");
  }

  /** One raw request to a route, as a browser or a hostile client would shape it. */
  static RawHttp.Answer send(Route route, Map<String, String> headers, String body) {
    return sendTo(port, route, headers, body);
  }

  /** The same, to a service on another port. */
  static RawHttp.Answer sendTo(int port, Route route, Map<String, String> headers, String body) {
    String method = route.method().equals("WS") ? "GET" : route.method();
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", "127.0.0.1:" + port);
    if (route.method().equals("WS")) {
      h.put("Upgrade", "websocket");
      h.put("Connection", "Upgrade");
      h.put("Sec-WebSocket-Version", "13");
      h.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    }
    if (body != null) {
      h.put("Content-Type", "application/json");
    }
    h.putAll(headers);
    StringBuilder sb = new StringBuilder(method + " " + sample(route.path()) + " HTTP/1.1\r\n");
    h.forEach(
        (k, v) -> {
          if (v != null) {
            sb.append(k).append(": ").append(v).append("\r\n");
          }
        });
    if (body != null) {
      sb.append("Content-Length: ")
          .append(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
          .append("\r\n");
    }
    sb.append("Connection: close\r\n\r\n");
    if (body != null) {
      sb.append(body);
    }
    return RawHttp.exchange(port, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static JsonNode json(RawHttp.Answer a) {
    try {
      return Json.mapper().readTree(a.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON (" + a.status() + "): " + a.body(), e);
    }
  }

  static void assertRefused(RawHttp.Answer a, int status, String code) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.header("content-type")).startsWith("application/json");
    JsonNode j = json(a);
    assertThat(j.path("ok").asBoolean(true)).isFalse();
    assertThat(j.path("code").asText()).isEqualTo(code);
    assertThat(j.path("message").isTextual()).isTrue();
    assertThat(a.header("access-control-allow-origin")).isNull();
  }

  static Stream<Arguments> hostVariants() {
    List<Arguments> out = new ArrayList<>();
    String[] foreign = {
      "evil.example:%d",
      "evil.example",
      "localhost.:%d",
      "127.0.0.1:%d.evil.example",
      "127.0.0.1",
      "127.1:%d",
      "0.0.0.0:%d",
      "[::ffff:127.0.0.1]:%d",
      "localhost:1"
    };
    allRoutes()
        .forEach(
            r -> {
              for (String f : foreign) {
                out.add(Arguments.of(r, f));
              }
            });
    return out.stream();
  }

  @ParameterizedTest(name = "{0} Host {1}")
  @MethodSource("hostVariants")
  void aForeignHostIsMisdirectedOnEveryRoute(Route route, String hostPattern) {
    String host = hostPattern.contains("%d") ? String.format(hostPattern, port) : hostPattern;
    RawHttp.Answer a = send(route, Map.of("Host", host), bodyFor(route));
    if (a.status() == 400) {
      // A Host header Jetty cannot even parse ("name:port.more") is its 400, in our shape.
      assertRefused(a, 400, "bad_request");
    } else {
      assertRefused(a, 421, "unknown_host");
    }
  }

  @ParameterizedTest(name = "{0} via localhost")
  @MethodSource("allRoutes")
  void theServicesOwnNamesReachEveryRoute(Route route) {
    for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port)) {
      RawHttp.Answer a = send(route, Map.of("Host", host), bodyFor(route));
      assertThat(a.status()).as(route + " " + host + " " + a.body()).isNotIn(421, 403, 415);
      assertThat(a.status()).as(route + " " + a.body()).isLessThan(500);
    }
  }

  static Stream<Arguments> originVariants() {
    List<Arguments> out = new ArrayList<>();
    mutatingRoutesAndSockets()
        .forEach(
            r -> {
              for (String o :
                  List.of(
                      "https://evil.example",
                      "null",
                      "http://127.0.0.1:%d1",
                      "http://localhost:%d",
                      "http://127.0.0.1:%d.evil.example",
                      "http://studio.example:3001",
                      "https://studio.example:3000")) {
                out.add(Arguments.of(r, o));
              }
            });
    return out.stream();
  }

  @ParameterizedTest(name = "{0} Origin {1}")
  @MethodSource("originVariants")
  void aForeignOriginIsRefusedOnEveryMutatingRouteAndSocket(Route route, String originPattern) {
    String origin =
        originPattern.contains("%d") ? String.format(originPattern, port) : originPattern;
    assertRefused(send(route, Map.of("Origin", origin), bodyFor(route)), 403, "cross_origin");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mutatingRoutesAndSockets")
  void anotherSitesFetchWithoutOriginIsRefused(Route route) {
    for (String site : List.of("cross-site", "same-site")) {
      assertRefused(
          send(route, Map.of("Sec-Fetch-Site", site, "Sec-Fetch-Mode", "no-cors"), bodyFor(route)),
          403,
          "cross_site");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allRoutes")
  void theOwnOriginAndNoOriginPassOnEveryRoute(Route route) {
    for (Map<String, String> h :
        List.of(
            Map.of("Origin", "http://127.0.0.1:" + port, "Sec-Fetch-Site", "same-origin"),
            Map.<String, String>of())) {
      RawHttp.Answer a = send(route, h, bodyFor(route));
      assertThat(a.status()).as(route + " " + h + " " + a.body()).isNotIn(421, 403, 415);
      assertThat(a.status()).as(route + " " + a.body()).isLessThan(500);
      assertThat(a.header("access-control-allow-origin")).isNull();
    }
  }

  static Stream<Route> routesWithBodies() {
    return routes().stream().filter(r -> r.method().equals("POST") || r.method().equals("DELETE"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routesWithBodies")
  void bodiesMustBeJsonExceptAtProviderWebhooks(Route route) {
    for (String type :
        List.of(
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b")) {
      RawHttp.Answer a = send(route, Map.of("Content-Type", type), "{\"provider\":\"runpod\"}");
      if (webhook(route)) {
        assertThat(a.status()).as(type + " " + a.body()).isNotEqualTo(415).isLessThan(500);
      } else {
        assertRefused(a, 415, "unsupported_media_type");
      }
    }
  }

  @Test
  void noTaskAppearsFromRefusedSubmits() {
    int before = server.get("/jobs/all").json().path("jobs").size();
    Route submit = new Route("POST", "/api/providers/gpu/submit");
    String job = "{\"provider\":\"runpod\",\"seed\":9,\"job\":{\"input\":{\"prompt\":\"x\"}}}";
    send(submit, Map.of("Content-Type", "text/plain"), job);
    send(submit, Map.of("Content-Type", "application/json", "Origin", "https://evil.example"), job);
    send(submit, Map.of("Content-Type", "application/json", "Host", "evil.example"), job);
    assertThat(server.get("/jobs/all").json().path("jobs").size()).isEqualTo(before);
    RawHttp.Answer ok = send(submit, Map.of("Content-Type", "application/json"), job);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(server.get("/jobs/all").json().path("jobs").size()).isEqualTo(before + 1);
  }

  @Test
  void aListedOriginGetsCorsAndItsPreflightAnswered() {
    Route submit = new Route("POST", "/api/providers/gpu/submit");
    RawHttp.Answer pre =
        send(
            new Route("OPTIONS", submit.path()),
            Map.of(
                "Origin",
                LISTED,
                "Access-Control-Request-Method",
                "POST",
                "Access-Control-Request-Headers",
                "content-type"),
            null);
    assertThat(pre.status()).isEqualTo(204);
    assertThat(pre.header("access-control-allow-origin")).isEqualTo(LISTED);
    assertThat(pre.header("access-control-allow-methods")).contains("POST");
    assertThat(pre.header("access-control-allow-headers")).containsIgnoringCase("content-type");
    assertThat(pre.header("vary")).contains("Origin");
    RawHttp.Answer get = send(new Route("GET", "/jobs/all"), Map.of("Origin", LISTED), null);
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.header("access-control-allow-origin")).isEqualTo(LISTED);
    assertThat(get.header("access-control-allow-credentials")).isNull();
    RawHttp.Answer foreignPre =
        send(
            new Route("OPTIONS", submit.path()),
            Map.of("Origin", "https://evil.example", "Access-Control-Request-Method", "POST"),
            null);
    assertRefused(foreignPre, 403, "cross_origin");
  }

  @Test
  void thePageShellIsReachableByANavigationFromAnotherSiteButNoDataIs() {
    Map<String, String> nav = Map.of("Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate");
    RawHttp.Answer page = send(new Route("GET", "/"), nav, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<title>");
    assertRefused(send(new Route("GET", "/jobs/all"), nav, null), 403, "cross_site");
    assertRefused(
        send(
            new Route("GET", "/api/providers/health"),
            Map.of(
                "Sec-Fetch-Site",
                "cross-site",
                "Sec-Fetch-Mode",
                "no-cors",
                "Sec-Fetch-Dest",
                "image"),
            null),
        403,
        "cross_site");
  }

  @Test
  void largeRefusedBodiesStillGetTheirAnswer() {
    // Answering while the client is still sending would reset the connection before it reads the
    // answer: a refused body is drained first (up to 8 MiB).
    String big = "{\"provider\":\"runpod\",\"job\":{\"x\":\"" + "a".repeat(1_500_000) + "\"}}";
    String medium = "a".repeat(900_000);
    for (int i = 0; i < 10; i++) {
      Server.Reply tooLarge = server.post("/api/providers/gpu/health", big);
      assertThat(tooLarge.status()).isEqualTo(413);
      assertThat(tooLarge.json().path("code").asText()).isEqualTo("payload_too_large");
      Server.Reply plain =
          server.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(server.base() + "/api/providers/gpu/health"))
                  .header("Content-Type", "text/plain")
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString(medium)));
      assertThat(plain.status()).isEqualTo(415);
      Server.Reply chunked =
          server.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(server.base() + "/api/providers/gpu/health"))
                  .header("Content-Type", "application/json")
                  .POST(
                      java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                          () ->
                              new java.io.ByteArrayInputStream(
                                  big.getBytes(java.nio.charset.StandardCharsets.UTF_8)))));
      assertThat(chunked.status()).isEqualTo(413);
    }
  }

  @Test
  void theExemptWebhookPatternMatchesTheRegisteredReceiver() {
    List<Route> hooks = routes().stream().filter(BoundaryIT::webhook).toList();
    assertThat(hooks).hasSize(1);
    assertThat(BoundaryPolicy.WEBHOOK.matcher(sample(hooks.get(0).path())).matches()).isTrue();
    assertThat(hooks.get(0).method()).isEqualTo("POST");
  }

  /** A harmless JSON body for routes that take one, none for the rest. */
  static String bodyFor(Route r) {
    return r.method().equals("POST") || r.method().equals("DELETE") ? "{}" : null;
  }
}

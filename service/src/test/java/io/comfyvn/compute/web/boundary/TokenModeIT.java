package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.App;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.support.RawHttp;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token mode: beyond loopback the service will not start without a token; with one, every route but
 * {@code /health}, the provider webhook receivers, the login route and the page shell needs it, as
 * a bearer header or the Studio session cookie; the token appears in no answer or log.
 */
class TokenModeIT {
  @TempDir Path dir;

  private static final String TOKEN = "tok-" + UUID.randomUUID();

  @Test
  void aNonLoopbackBindWithoutATokenDoesNotStart() {
    new TestHome(dir).allSecrets("t");
    assertThatThrownBy(
            () -> App.start(new App.Options(dir, "0.0.0.0", 0, Map.of(), Clock.systemUTC())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("without an API token");
    // Nothing was opened: no database file.
    assertThat(dir.resolve("data/comfyvn-compute.db")).doesNotExist();
  }

  @Test
  void serveSaysWhyAndExitsNonZero() throws Exception {
    Path jar = Path.of("target", "comfyvn-compute.jar");
    assertThat(Files.exists(jar)).as("run after 'package'").isTrue();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-jar",
            jar.toString(),
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--home",
            dir.toString());
    pb.environment().remove(App.TOKEN_ENV);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err).contains("without an API token", "COMFYVN_API_TOKEN", "docs/security.md");
    assertThat(err).doesNotContain("\tat ", "Exception");
    assertThat(out).doesNotContain("listening on");
  }

  @Test
  void aShortTokenIsRefusedAtStart() {
    new TestHome(dir).secrets("{\"server\":{\"api_token\":\"too-short\"}}");
    assertThatThrownBy(() -> Server.start(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.api_token")
        .hasMessageNotContaining("too-short");
  }

  @Test
  void withATokenEveryRouteButTheOpenDoorsNeedsIt() {
    new TestHome(dir).allSecrets("t");
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    List<String> bodies = new ArrayList<>();
    try (Server s = Server.start(dir, Map.of(App.TOKEN_ENV, TOKEN), "0.0.0.0")) {
      int port = s.port();
      List<Route> routes = Route.of(s);
      assertThat(routes).hasSizeGreaterThan(20);
      for (Route r : routes) {
        boolean open =
            r.path().equals("/health") && r.method().equals("GET")
                || r.path().equals(BoundaryPolicy.SESSION_PATH)
                || r.path().startsWith("/api/providers/gpu/webhooks/");
        RawHttp.Answer without = BoundaryIT.sendTo(port, r, Map.of(), BoundaryIT.bodyFor(r));
        bodies.add(without.body());
        if (open) {
          assertThat(without.status()).as(r + " " + without.body()).isNotEqualTo(401);
        } else {
          assertThat(without.status()).as(r + " " + without.body()).isEqualTo(401);
          assertThat(without.header("www-authenticate")).startsWith("Bearer");
          assertThat(BoundaryIT.json(without).path("code").asText()).isEqualTo("token_required");
        }
        RawHttp.Answer wrong =
            BoundaryIT.sendTo(
                port, r, Map.of("Authorization", "Bearer " + TOKEN + "x"), BoundaryIT.bodyFor(r));
        bodies.add(wrong.body());
        if (!open) {
          assertThat(wrong.status()).as(r + " " + wrong.body()).isEqualTo(401);
          assertThat(BoundaryIT.json(wrong).path("code").asText()).isEqualTo("invalid_token");
        }
        RawHttp.Answer with =
            BoundaryIT.sendTo(
                port, r, Map.of("Authorization", "Bearer " + TOKEN), BoundaryIT.bodyFor(r));
        bodies.add(with.body());
        assertThat(with.status()).as(r + " " + with.body()).isNotIn(401, 403, 421).isLessThan(500);
      }
      // The Studio page shell loads without the token (it asks for it); its data does not.
      assertThat(s.get("/").status()).isEqualTo(200);
      assertThat(s.get("/compute.js").status()).isEqualTo(200);
      assertThat(s.get("/jobs/all").status()).isEqualTo(401);
      assertThat(s.get("/health").status()).isEqualTo(200);
    } finally {
      System.setErr(realErr);
    }
    assertThat(bodies).allSatisfy(b -> assertThat(b).doesNotContain(TOKEN));
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("api token required")
        .doesNotContain(TOKEN);
  }

  @Test
  void theLoginRouteSetsAStrictHttpOnlyCookieTheSocketsAccept() {
    new TestHome(dir).secrets("{\"server\":{\"api_token\":\"" + TOKEN + "\"}}");
    try (Server s = Server.start(dir)) {
      int port = s.port();
      Route login = new Route("POST", BoundaryPolicy.SESSION_PATH);
      RawHttp.Answer status =
          BoundaryIT.sendTo(port, new Route("GET", BoundaryPolicy.SESSION_PATH), Map.of(), null);
      assertThat(BoundaryIT.json(status).path("token_required").asBoolean()).isTrue();
      assertThat(BoundaryIT.json(status).path("authenticated").asBoolean()).isFalse();

      RawHttp.Answer bad = BoundaryIT.sendTo(port, login, Map.of(), "{\"token\":\"nope\"}");
      assertThat(bad.status()).isEqualTo(401);
      assertThat(bad.header("set-cookie")).isNull();
      String body = "{\"token\":\"" + TOKEN + "\"}";
      // The login route is behind the same origin and media-type checks as the others.
      assertThat(
              BoundaryIT.sendTo(port, login, Map.of("Origin", "https://evil.example"), body)
                  .status())
          .isEqualTo(403);
      assertThat(
              BoundaryIT.sendTo(port, login, Map.of("Content-Type", "text/plain"), body).status())
          .isEqualTo(415);

      RawHttp.Answer ok =
          BoundaryIT.sendTo(port, login, Map.of("Origin", "http://127.0.0.1:" + port), body);
      assertThat(ok.status()).as(ok.body()).isEqualTo(200);
      String setCookie = ok.header("set-cookie");
      assertThat(setCookie)
          .startsWith(ApiToken.COOKIE + "=")
          .contains("HttpOnly", "SameSite=Strict")
          .doesNotContain(TOKEN)
          .doesNotContain("Secure");
      assertThat(ok.body()).doesNotContain(TOKEN);
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));

      assertThat(
              BoundaryIT.sendTo(port, new Route("GET", "/jobs/all"), Map.of("Cookie", cookie), null)
                  .status())
          .isEqualTo(200);
      for (String ws : List.of("/jobs/ws", "/api/modder/hooks/ws")) {
        Route socket = new Route("WS", ws);
        assertThat(BoundaryIT.sendTo(port, socket, Map.of(), null).status()).isEqualTo(401);
        assertThat(
                BoundaryIT.sendTo(
                        port,
                        socket,
                        Map.of("Cookie", cookie, "Origin", "http://127.0.0.1:" + port),
                        null)
                    .status())
            .isEqualTo(101);
        assertThat(
                BoundaryIT.sendTo(port, socket, Map.of("Authorization", "Bearer " + TOKEN), null)
                    .status())
            .isEqualTo(101);
        // The cookie does not help a page on another origin (the browser would not send it; if
        // something did, the origin check stops it first).
        assertThat(
                BoundaryIT.sendTo(
                        port,
                        socket,
                        Map.of("Cookie", cookie, "Origin", "http://evil.example"),
                        null)
                    .status())
            .isEqualTo(403);
      }
      // Over HTTPS (a TLS reverse proxy in front), the cookie is marked Secure.
      Map<String, String> proxied = Map.of("Origin", "https://127.0.0.1:" + port);
      assertThat(BoundaryIT.sendTo(port, login, proxied, body).header("set-cookie"))
          .contains("Secure");
      RawHttp.Answer out =
          BoundaryIT.sendTo(
              port,
              new Route("DELETE", BoundaryPolicy.SESSION_PATH),
              Map.of("Cookie", cookie),
              null);
      assertThat(out.header("set-cookie")).contains("Max-Age=0");
    }
  }
}

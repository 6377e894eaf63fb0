package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.RawHttp;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded table of hostile requests on bare sockets (bad chunking, bad percent-encoding, odd
 * methods, huge headers and URLs, deep JSON, NUL bytes, bad lengths and versions, junk bytes): none
 * gets a 5xx, every error is {@code {ok:false, code, message}} JSON with no stack trace, and the
 * service logs no ERROR line for any of them.
 */
class HostileRequestsIT {
  private static final long SEED = 20261201L;
  @TempDir static Path dir;
  private static Server server;
  private static int port;
  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
  private static PrintStream realErr;

  /**
   * One hostile request.
   *
   * @param family what kind of hostility
   * @param label a short description for the report
   * @param bytes exactly what is sent
   * @param mayGoUnanswered whether the server may close without a status line (only for junk that
   *     never completes a request line)
   */
  record Hostile(String family, String label, byte[] bytes, boolean mayGoUnanswered) {
    @Override
    public String toString() {
      return family + ": " + label;
    }
  }

  @BeforeAll
  static void start() {
    realErr = System.err;
    System.setErr(new PrintStream(LOG, true, StandardCharsets.UTF_8));
    new TestHome(dir).allSecrets("hostile");
    server = Server.start(dir);
    port = server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
    System.setErr(realErr);
    String logs = LOG.toString(StandardCharsets.UTF_8);
    assertThat(logs).as("service log").doesNotContain("\"level\":\"ERROR\"");
  }

  private static final String[] ROUTES = {
    "/api/providers/gpu/submit",
    "/api/providers/gpu/health",
    "/api/providers/gpu/simulate",
    "/api/providers/gpu/cancel/x",
    "/api/providers/register",
    "/api/providers/import",
    "/api/gpu/advise",
    "/api/modder/hooks/webhooks",
    "/api/providers/gpu/webhooks/replicate",
    "/api/session",
  };

  private static final String[] GETS = {
    "/health", "/jobs/all", "/jobs/status/x", "/api/providers/gpu/providers", "/api/providers",
    "/api/gpu/catalog", "/", "/compute.js", "/metrics", "/api/providers/gpu/poll/x"
  };

  private static String host() {
    return "Host: 127.0.0.1:" + port + "\r\n";
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String pick(Random rnd, String[] from) {
    return from[rnd.nextInt(from.length)];
  }

  private static String post(String path, String headers, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\n"
        + host()
        + "Content-Type: application/json\r\n"
        + headers
        + "Connection: close\r\n\r\n"
        + body;
  }

  static List<Hostile> cases() {
    Random rnd = new Random(SEED);
    List<Hostile> out = new ArrayList<>();
    badChunking(rnd, out);
    badPercentEncoding(rnd, out);
    oddMethods(rnd, out);
    hugeHeaders(rnd, out);
    hugeUrls(rnd, out);
    deepJson(rnd, out);
    nulBytes(rnd, out);
    badLengths(rnd, out);
    badVersionsAndSyntax(rnd, out);
    wrongMediaTypes(rnd, out);
    junk(rnd, out);
    return out;
  }

  @Test
  void theTableIsLargeEnough() {
    assertThat(cases()).hasSizeGreaterThanOrEqualTo(2000);
  }

  private static void badChunking(Random rnd, List<Hostile> out) {
    String[] sizes = {
      "zz",
      "-1",
      "ffffffffffffffffffff",
      " 5",
      "5 ",
      "0x5",
      "5;" + "e".repeat(9000),
      "+5",
      "",
      "5\0",
      "1_0",
      "7fffffffffffffff",
      "G",
      "5;a=\"unterminated"
    };
    for (int i = 0; i < 220; i++) {
      String path = pick(rnd, ROUTES);
      String body;
      String label;
      switch (rnd.nextInt(6)) {
        case 0 -> {
          String size = pick(rnd, sizes);
          body = size + "\r\n{\"a\":1}\r\n0\r\n\r\n";
          label = "size '" + size.substring(0, Math.min(12, size.length())) + "'";
        }
        case 1 -> {
          body = "7\r\n{\"a\":1}XX\r\n0\r\n\r\n";
          label = "data longer than its size";
        }
        case 2 -> {
          body = "7\r\n{\"a\":1}";
          label = "no last chunk, then end of stream";
        }
        case 3 -> {
          body = "2\r\n{}\r\n0\r\nX-Trailer\0: " + "t".repeat(rnd.nextInt(50)) + "\r\n\r\n";
          label = "bad trailer";
        }
        case 4 -> {
          body = "2\r\n{}\n0\n\n";
          label = "bare LF framing";
        }
        default -> {
          body = "a".repeat(1 + rnd.nextInt(40)) + "\r\n\r\n";
          label = "not chunked at all";
        }
      }
      out.add(
          new Hostile(
              "chunking",
              path + " " + label,
              ascii(post(path, "Transfer-Encoding: chunked\r\n", body)),
              false));
    }
  }

  private static void badPercentEncoding(Random rnd, List<Hostile> out) {
    String[] bad = {
      "%",
      "%z",
      "%zz",
      "%G0",
      "%%",
      "%u0041",
      "%C0%AF",
      "%E0%80%AF",
      "%FF",
      "%00",
      "%2F",
      "%5C",
      "%2e%2e",
      "%2e%2e%2f",
      ";jsessionid=1",
      "//",
      "/./",
      "/../",
      "%25",
      "%0a",
      "%0d%0a",
      "%7f",
      "%c3%28",
      "%f0%28%8c%bc",
      "\\",
      "..%2f..%2f"
    };
    for (int i = 0; i < 240; i++) {
      boolean get = rnd.nextBoolean();
      String base = get ? pick(rnd, GETS) : pick(rnd, ROUTES);
      String b = pick(rnd, bad);
      int at = rnd.nextInt(base.length() + 1);
      String path = base.substring(0, at) + b + base.substring(at);
      if (!path.startsWith("/")) {
        path = "/" + path;
      }
      String query = rnd.nextInt(4) == 0 ? "?limit=" + pick(rnd, bad) : "";
      String req =
          get
              ? "GET " + path + query + " HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n"
              : post(path + query, "Content-Length: 2\r\n", "{}");
      out.add(new Hostile("percent", (get ? "GET " : "POST ") + path + query, ascii(req), false));
    }
  }

  private static void oddMethods(Random rnd, List<Hostile> out) {
    String[] methods = {
      "FOO",
      "PROPFIND",
      "MKCOL",
      "TRACE",
      "CONNECT",
      "PATCH",
      "PUT",
      "OPTIONS",
      "M-SEARCH",
      "get",
      "Post",
      "DELETE",
      "HEAD",
      "LOCK",
      "X".repeat(100),
      "GET2",
      "BREW",
      "QUERY",
      "SEARCH",
      "PRI"
    };
    for (int i = 0; i < 200; i++) {
      String m = pick(rnd, methods);
      String path = rnd.nextBoolean() ? pick(rnd, GETS) : pick(rnd, ROUTES);
      boolean body = rnd.nextBoolean();
      String req =
          m
              + " "
              + (m.equals("CONNECT") && rnd.nextBoolean() ? "127.0.0.1:" + port : path)
              + " HTTP/1.1\r\n"
              + host()
              + (body ? "Content-Type: application/json\r\nContent-Length: 2\r\n" : "")
              + "Connection: close\r\n\r\n"
              + (body ? "{}" : "");
      out.add(
          new Hostile(
              "method", m.substring(0, Math.min(10, m.length())) + " " + path, ascii(req), false));
    }
  }

  private static void hugeHeaders(Random rnd, List<Hostile> out) {
    for (int i = 0; i < 180; i++) {
      String path = pick(rnd, GETS);
      StringBuilder h = new StringBuilder();
      String label;
      switch (rnd.nextInt(4)) {
        case 0 -> {
          int n = 9_000 + rnd.nextInt(60_000);
          h.append("X-Big: ").append("b".repeat(n)).append("\r\n");
          label = "one header of " + n + " bytes";
        }
        case 1 -> {
          int n = 200 + rnd.nextInt(3000);
          for (int k = 0; k < n; k++) {
            h.append("X-H").append(k).append(": v\r\n");
          }
          label = n + " headers";
        }
        case 2 -> {
          int n = 9_000 + rnd.nextInt(20_000);
          h.append("Cookie: c=").append("k".repeat(n)).append("\r\n");
          label = "cookie of " + n + " bytes";
        }
        default -> {
          int n = 9_000 + rnd.nextInt(20_000);
          h.append("X-").append("n".repeat(n)).append(": v\r\n");
          label = "header name of " + n + " bytes";
        }
      }
      String req = "GET " + path + " HTTP/1.1\r\n" + host() + h + "Connection: close\r\n\r\n";
      out.add(new Hostile("headers", path + " " + label, ascii(req), false));
    }
  }

  private static void hugeUrls(Random rnd, List<Hostile> out) {
    for (int i = 0; i < 160; i++) {
      int n = 9_000 + rnd.nextInt(120_000);
      boolean query = rnd.nextBoolean();
      String path = query ? pick(rnd, GETS) + "?q=" + "q".repeat(n) : "/" + "a/".repeat(n / 2);
      String req = "GET " + path + " HTTP/1.1\r\n" + host() + "Connection: close\r\n\r\n";
      out.add(
          new Hostile("url", (query ? "query of " : "path of ") + n + " bytes", ascii(req), false));
    }
  }

  private static void deepJson(Random rnd, List<Hostile> out) {
    for (int i = 0; i < 180; i++) {
      int depth = 65 + rnd.nextInt(40_000);
      boolean arrays = rnd.nextBoolean();
      StringBuilder b = new StringBuilder();
      String open = arrays ? "[" : "{\"a\":";
      b.append("{\"provider\":\"runpod\",\"job\":");
      b.append(open.repeat(depth));
      b.append("1");
      b.append((arrays ? "]" : "}").repeat(rnd.nextInt(3) == 0 ? depth / 2 : depth));
      b.append("}");
      String body = b.length() > 1_000_000 ? b.substring(0, 1_000_000) : b.toString();
      String path = pick(rnd, ROUTES);
      String req = post(path, "Content-Length: " + body.length() + "\r\n", body);
      out.add(new Hostile("deep-json", path + " depth " + depth, ascii(req), false));
    }
  }

  private static void nulBytes(Random rnd, List<Hostile> out) {
    for (int i = 0; i < 200; i++) {
      String path = pick(rnd, ROUTES);
      String req;
      String label;
      switch (rnd.nextInt(5)) {
        case 0 -> {
          req = "GET /jobs/\0all HTTP/1.1\r\n" + host() + "\r\n";
          label = "NUL in the path";
        }
        case 1 -> {
          req = "GET /health HTTP/1.1\r\n" + host() + "X-V: a\0b\r\n\r\n";
          label = "NUL in a header value";
        }
        case 2 -> {
          req = "GET /health HTTP/1.1\r\n" + host() + "X-\0: v\r\n\r\n";
          label = "NUL in a header name";
        }
        case 3 -> {
          req = "G\0T /health HTTP/1.1\r\n" + host() + "\r\n";
          label = "NUL in the method";
        }
        default -> {
          String body =
              "{\"provider\":\"run\0pod\",\"job\":{\"x\":\"\0"
                  + "\0".repeat(rnd.nextInt(20))
                  + "\"}}";
          req = post(path, "Content-Length: " + body.length() + "\r\n", body);
          label = path + " NUL in the JSON body";
        }
      }
      out.add(new Hostile("nul", label, ascii(req), false));
    }
  }

  private static void badLengths(Random rnd, List<Hostile> out) {
    String[] lengths = {"abc", "-1", "1e3", "99999999999999999999", "2, 3", " ", "0x10", "+2"};
    for (int i = 0; i < 200; i++) {
      String path = pick(rnd, ROUTES);
      String req;
      String label;
      switch (rnd.nextInt(5)) {
        case 0 -> {
          String l = pick(rnd, lengths);
          req = post(path, "Content-Length: " + l + "\r\n", "{}");
          label = "Content-Length '" + l + "'";
        }
        case 1 -> {
          req = post(path, "Content-Length: 2\r\nContent-Length: 3\r\n", "{}");
          label = "two lengths";
        }
        case 2 -> {
          req =
              post(
                  path,
                  "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                  "2\r\n{}\r\n0\r\n\r\n");
          label = "length and chunked";
        }
        case 3 -> {
          long n = 2_000_000L + rnd.nextInt(1_000_000_000);
          req = post(path, "Content-Length: " + n + "\r\n", "{}");
          label = "declares " + n + " bytes";
        }
        default -> {
          int n = 10 + rnd.nextInt(5000);
          req =
              post(
                  path,
                  "Content-Length: " + (n + 1 + rnd.nextInt(100)) + "\r\n",
                  "{" + " ".repeat(n));
          label = "body shorter than its length";
        }
      }
      out.add(new Hostile("length", path + " " + label, ascii(req), false));
    }
  }

  private static void badVersionsAndSyntax(Random rnd, List<Hostile> out) {
    String[] lines = {
      "GET /health HTTP/9.9", "GET /health HTTP/1.2", "GET /health HTTP/2.0",
          "GET /health HTTP/1.1 x",
      "GET /health", "GET  /health HTTP/1.1", "GET /health  HTTP/1.1", "GET health HTTP/1.1",
      "GET * HTTP/1.1", "GET /health HTTP/1.1x", "GET /health http/1.1", "GET /health HTTP/01.1",
      " GET /health HTTP/1.1", "GET\t/health\tHTTP/1.1"
    };
    String[] headers = {
      "NoColon\r\n",
      "Bad Header: x\r\n",
      "X-A: a\r\n folded\r\n",
      "X-A : a\r\n",
      ": empty\r\n",
      "X-A: a\rb\r\n",
      "Host: second\r\n",
      "X-\u00ff: latin\r\n",
      "Expect: 100-continue\r\n",
      "Expect: nonsense\r\n",
      "Transfer-Encoding: gzip\r\n",
      "Transfer-Encoding: chunked, gzip\r\n",
      "Upgrade: h2c\r\nConnection: Upgrade\r\n",
      "Content-Encoding: gzip\r\nContent-Length: 2\r\n"
    };
    for (int i = 0; i < 200; i++) {
      String req;
      String label;
      if (rnd.nextBoolean()) {
        String line = pick(rnd, lines);
        req = line + "\r\n" + host() + "\r\n";
        label = line;
      } else {
        String h = pick(rnd, headers);
        req =
            "GET /health HTTP/1.1\r\n"
                + host()
                + h
                + "Connection: close\r\n\r\n"
                + (h.contains("Content-Length: 2") ? "{}" : "");
        label = "header " + h.replace("\r\n", "|");
      }
      out.add(new Hostile("syntax", label, ascii(req), false));
    }
  }

  private static void wrongMediaTypes(Random rnd, List<Hostile> out) {
    String[] types = {
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/json5",
      "*/*",
      "",
      "application/json\0",
      "text/json"
    };
    for (int i = 0; i < 150; i++) {
      String path = pick(rnd, ROUTES);
      String t = pick(rnd, types);
      String req =
          "POST "
              + path
              + " HTTP/1.1\r\n"
              + host()
              + "Content-Type: "
              + t
              + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      out.add(new Hostile("media-type", path + " " + t.replace("\0", "\\0"), ascii(req), false));
    }
  }

  private static void junk(Random rnd, List<Hostile> out) {
    for (int i = 0; i < 200; i++) {
      byte[] b = new byte[1 + rnd.nextInt(300)];
      rnd.nextBytes(b);
      boolean framed = rnd.nextBoolean();
      byte[] bytes = b;
      if (framed) {
        // Junk that at least ends like a request head, so the parser must decide.
        bytes = new byte[b.length + 4];
        System.arraycopy(b, 0, bytes, 0, b.length);
        bytes[b.length] = '\r';
        bytes[b.length + 1] = '\n';
        bytes[b.length + 2] = '\r';
        bytes[b.length + 3] = '\n';
      }
      out.add(
          new Hostile(
              "junk", b.length + " random bytes" + (framed ? " + CRLFCRLF" : ""), bytes, !framed));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void noFiveHundredAndEveryErrorIsJson(Hostile h) {
    RawHttp.Answer a = RawHttp.exchange(port, h.bytes());
    if (a.status() == -1) {
      assertThat(h.mayGoUnanswered()).as("closed without an answer").isTrue();
      return;
    }
    assertThat(a.status()).as(a.body()).isLessThan(500);
    boolean head =
        new String(h.bytes(), 0, Math.min(5, h.bytes().length), StandardCharsets.ISO_8859_1)
            .equals("HEAD ");
    if (a.status() >= 400 && head) {
      // A HEAD answer has no body by definition; its type still says JSON.
      assertThat(a.header("content-type")).startsWith("application/json");
    } else if (a.status() >= 400) {
      assertThat(a.header("content-type")).as(a.body()).startsWith("application/json");
      JsonNode j;
      try {
        j = Json.mapper().readTree(a.body());
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + a.body(), e);
      }
      assertThat(j.path("ok").isBoolean() && !j.path("ok").asBoolean())
          .as(h + " -> " + a.status() + " " + a.body())
          .isTrue();
      assertThat(j.path("code").isTextual()).as(a.body()).isTrue();
      assertThat(j.path("message").isTextual()).as(a.body()).isTrue();
      assertThat(a.body())
          .doesNotContain("Exception", "\tat ", "org.eclipse", "io.comfyvn", "java.");
    }
  }
}

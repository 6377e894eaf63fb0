package io.comfyvn.compute.web;

import io.comfyvn.compute.support.Bad;
import io.comfyvn.compute.support.ErrorShape;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded table of malformed requests: hand-picked edge cases plus seeded random mutations. Every
 * one must get a 4xx with {@code {ok:false, code, message}} and no stack trace.
 */
class MalformedRequestsIT {
  private static final long SEED = 20261129L;
  @TempDir static Path dir;
  private static Server server;

  @BeforeAll
  static void start() {
    new TestHome(dir).allSecrets("t");
    server = Server.start(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<Arguments> cases() {
    List<Bad> out = new ArrayList<>();
    String submit = "/api/providers/gpu/submit";
    String[] fixed = {
      "",
      "   ",
      "not json",
      "{",
      "}",
      "[]",
      "[1,2]",
      "null",
      "42",
      "\"text\"",
      "true",
      "{\"provider\":\"runpod\"}",
      "{\"job\":{}}",
      "{\"provider\":null,\"job\":{}}",
      "{\"provider\":\"\",\"job\":{}}",
      "{\"provider\":42,\"job\":{}}",
      "{\"provider\":[\"runpod\"],\"job\":{}}",
      "{\"provider\":\"nope\",\"job\":{}}",
      "{\"provider\":\"runpod\",\"job\":\"text\"}",
      "{\"provider\":\"runpod\",\"job\":[1]}",
      "{\"provider\":\"runpod\",\"payload\":7}",
      "{\"provider\":\"runpod\",\"job\":{},\"config\":\"x\"}",
      "{\"provider\":\"runpod\",\"job\":{},\"cfg\":[]}",
      "{\"provider\":\"runpod\",\"job\":{},\"seed\":-1}",
      "{\"provider\":\"runpod\",\"job\":{},\"seed\":1.5}",
      "{\"provider\":\"runpod\",\"job\":{},\"seed\":\"7\"}",
      "{\"provider\":\"runpod\",\"job\":{},\"seed\":99999999999999999999999}",
      "{\"provider\":\"runpod\",\"job\":{\"seed\":-3}}",
      "{\"provider\":\"runpod\",\"job\":{},\"dry_run\":\"yes\"}",
      "{\"provider\":\"runpod\",\"job\":{},\"mode\":\"turbo\"}",
      "{\"provider\":\"runpod\",\"job\":{},\"mode\":1}",
      "{\"provider\":\"runpod\",\"job\":{},\"mode\":\"sim\",\"dry_run\":true}",
      "{\"provider\":\"runpod\",\"provider\":\"modal\",\"job\":{}}",
      "{\"provider\":\"" + "x".repeat(300) + "\",\"job\":{}}",
      "{\"provider\":\"runpod\",\"job\":" + "[".repeat(200) + "]".repeat(200) + "}",
      "{\"provider\":\"runpod\",\"job\":{\"a\":\"\\ud800\"}",
    };
    for (String body : fixed) {
      out.add(new Bad("POST", submit, body));
    }
    // (submit takes workflow jobs' inline files, up to 24 MiB: WorkflowBodiesIT; 1 MiB elsewhere)
    out.add(
        new Bad(
            "POST",
            "/api/providers/gpu/health",
            "{\"provider\":\"runpod\",\"job\":{\"big\":\"" + "a".repeat(1_100_000) + "\"}}"));
    out.add(new Bad("POST", "/api/providers/gpu/health", "{\"provider\":7}"));
    out.add(new Bad("POST", "/api/providers/gpu/health", "{\"provider\":\"nope\"}"));
    out.add(new Bad("POST", "/api/providers/gpu/health", "[]"));
    out.add(new Bad("POST", "/api/providers/gpu/health", "{\"dry_run\":3}"));
    out.add(new Bad("GET", "/api/providers/gpu/poll/unknown-id", null));
    out.add(new Bad("GET", "/api/providers/gpu/poll/mock-nope-12", null));
    out.add(new Bad("GET", "/api/providers/gpu/poll/mock-runpod-1?provider=zzz", null));
    out.add(new Bad("GET", "/api/providers/gpu/poll/" + "z".repeat(300), null));
    out.add(new Bad("POST", "/api/providers/gpu/cancel/unknown-id", ""));
    out.add(new Bad("POST", "/api/providers/gpu/cancel/mock-runpod-1", "{\"provider\":5}"));
    out.add(new Bad("GET", "/api/providers/gpu/submit", null));
    out.add(new Bad("DELETE", "/api/providers/gpu/providers", null));
    out.add(new Bad("GET", "/no/such/route", null));
    out.add(new Bad("GET", "/jobs/status/nope", null));
    out.add(new Bad("GET", "/jobs/all?limit=abc", null));
    out.add(new Bad("GET", "/jobs/all?limit=0", null));
    out.add(new Bad("GET", "/jobs/all?limit=100000", null));

    // Seeded mutations: a valid body with one field replaced by a value of a wrong type or junk.
    Random rnd = new Random(SEED);
    String[] fields = {"provider", "job", "payload", "config", "cfg", "seed", "dry_run", "mode"};
    String[] junk = {
      "null", "[]", "{}", "-7", "3.25", "\"\"", "\"\\u0000\"", "true", "[{}]", "1e400"
    };
    for (int i = 0; i < 60; i++) {
      String field = fields[rnd.nextInt(fields.length)];
      String value = junk[rnd.nextInt(junk.length)];
      if (acceptable(field, value)) {
        continue;
      }
      String body =
          "{\"provider\":\"runpod\",\"job\":{\"input\":{}},\"" + field + "\":" + value + "}";
      if (field.equals("provider") || field.equals("job")) {
        body =
            "{\""
                + field
                + "\":"
                + value
                + (field.equals("provider") ? ",\"job\":{}" : ",\"provider\":\"runpod\"")
                + "}";
      }
      out.add(new Bad("POST", submit, body));
    }
    // Seeded byte noise.
    for (int i = 0; i < 20; i++) {
      byte[] b = new byte[1 + rnd.nextInt(64)];
      rnd.nextBytes(b);
      out.add(
          new Bad(
              "POST", submit, "{" + new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)));
    }
    return out.stream().map(Arguments::of).toList();
  }

  /** Values that are not errors for a field (null means absent for optional fields, etc.). */
  private static boolean acceptable(String field, String value) {
    boolean optional = !field.equals("provider") && !field.equals("job");
    if (optional && value.equals("null")) {
      return true;
    }
    if ((field.equals("config") || field.equals("cfg") || field.equals("payload"))
        && value.equals("{}")) {
      return true;
    }
    if (field.equals("dry_run") && value.equals("true")) {
      return true;
    }
    return field.equals("job") && value.equals("{}");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void answersA4xxJsonErrorWithoutAStackTrace(Bad bad) {
    Reply r = bad.sendTo(server);
    ErrorShape.assertClientError(r);
  }
}

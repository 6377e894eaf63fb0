package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A seeded table of malformed requests to {@code /api/providers/*}: every one gets a 4xx {@code
 * {ok:false, code, message}} and no stack trace, and the registry file is left as it was.
 */
class ProvidersMalformedIT {
  private static final long SEED = 20261129L;
  @TempDir static Path dir;
  private static Server server;
  private static String fileBefore;

  @BeforeAll
  static void start() {
    new TestHome(dir).config("{}");
    server = Server.start(dir);
    fileBefore = new TestHome(dir).read("config/compute_providers.json");
  }

  @AfterAll
  static void stop() {
    server.close();
    assertThat(new TestHome(dir).read("config/compute_providers.json")).isEqualTo(fileBefore);
  }

  static List<Arguments> cases() {
    List<Bad> out = new ArrayList<>();
    String[] anyBody = {"", "not json", "{", "[]", "null", "42", "\"x\""};
    for (String route :
        new String[] {"register", "create", "activate", "order", "import", "bootstrap"}) {
      for (String body : anyBody) {
        out.add(new Bad("POST", "/api/providers/" + route, body));
      }
    }
    String[] register = {
      "{}",
      "{\"id\":\"x\"}",
      "{\"id\":\"x\",\"base_url\":\"\"}",
      "{\"id\":\"x\",\"base_url\":7}",
      "{\"id\":\"x\",\"base_url\":\"not a url\"}",
      "{\"id\":\"x\",\"base_url\":\"ftp://127.0.0.1/\"}",
      "{\"id\":\"x\",\"base_url\":\"http://u:p@127.0.0.1/\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1/?token=abc\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"base\":\"http://127.0.0.2\"}",
      "{\"id\":\"../etc\",\"base_url\":\"http://127.0.0.1\"}",
      "{\"id\":\"a/b\",\"base_url\":\"http://127.0.0.1\"}",
      "{\"id\":\"" + "x".repeat(65) + "\",\"base_url\":\"http://127.0.0.1\"}",
      "{\"id\":[\"x\"],\"base_url\":\"http://127.0.0.1\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"kind\":\"cloud\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"kind\":3}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"active\":\"yes\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"priority\":1.5}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"priority\":99999999999}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"meta\":[]}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"meta\":{\"api_key\":\"k1\"}}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"config\":{\"password\":\"p\"}}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"token\":\"t\"}",
      "{\"id\":\"x\",\"base_url\":\"http://127.0.0.1\",\"meta\":"
          + "{\"a\":".repeat(100)
          + "1"
          + "}".repeat(100)
          + "}",
    };
    for (String body : register) {
      out.add(new Bad("POST", "/api/providers/register", body));
    }
    out.add(new Bad("POST", "/api/providers/create", "{}"));
    out.add(new Bad("POST", "/api/providers/create", "{\"template_id\":7}"));
    out.add(new Bad("POST", "/api/providers/create", "{\"template_id\":\"nope\"}"));
    out.add(new Bad("POST", "/api/providers/create", "{\"template_id\":\"vast\",\"id\":\"A B\"}"));
    out.add(new Bad("POST", "/api/providers/create", "{\"template_id\":\"local\"}"));
    out.add(new Bad("POST", "/api/providers/activate", "{\"id\":\"local\"}"));
    out.add(new Bad("POST", "/api/providers/activate", "{\"id\":\"local\",\"active\":1}"));
    out.add(new Bad("POST", "/api/providers/activate", "{\"id\":\"nope\",\"active\":true}"));
    out.add(new Bad("POST", "/api/providers/activate", "{\"active\":true}"));
    out.add(new Bad("POST", "/api/providers/order", "{}"));
    out.add(new Bad("POST", "/api/providers/order", "{\"order\":\"local\"}"));
    out.add(new Bad("POST", "/api/providers/order", "{\"order\":[1]}"));
    out.add(new Bad("POST", "/api/providers/order", "{\"order\":[\"nope\"]}"));
    out.add(new Bad("POST", "/api/providers/order", "{\"order\":[\"local\",\"local\"]}"));
    out.add(new Bad("POST", "/api/providers/import", "{}"));
    out.add(new Bad("POST", "/api/providers/import", "{\"providers\":{}}"));
    out.add(new Bad("POST", "/api/providers/import", "{\"providers\":[1]}"));
    out.add(new Bad("POST", "/api/providers/import", "{\"providers\":[],\"replace\":\"yes\"}"));
    out.add(new Bad("POST", "/api/providers/import", "{\"providers\":[{\"id\":\"x\"}]}"));
    out.add(new Bad("POST", "/api/providers/bootstrap", "{}"));
    out.add(new Bad("POST", "/api/providers/bootstrap", "{\"id\":5}"));
    out.add(new Bad("POST", "/api/providers/bootstrap", "{\"id\":\"nope\"}"));
    out.add(new Bad("POST", "/api/providers/health", "{\"id\":5}"));
    out.add(new Bad("POST", "/api/providers/health", "{\"id\":\"nope\"}"));
    out.add(new Bad("POST", "/api/providers/health", "[]"));
    out.add(new Bad("GET", "/api/providers/health?id=nope", null));
    out.add(new Bad("GET", "/api/providers/quota", null));
    out.add(new Bad("GET", "/api/providers/quota?id=nope", null));
    out.add(new Bad("GET", "/api/providers/templates", null));
    out.add(new Bad("GET", "/api/providers/templates?id=", null));
    out.add(new Bad("DELETE", "/api/providers/remove/local", null));
    out.add(new Bad("DELETE", "/api/providers/remove/nope", null));
    out.add(new Bad("DELETE", "/api/providers", null));
    out.add(new Bad("PUT", "/api/providers/register", "{}"));

    // Seeded mutations: a valid registration with one field replaced by junk of a wrong type.
    Random rnd = new Random(SEED);
    String[] fields = {"id", "name", "kind", "service", "base_url", "active", "priority", "meta"};
    String[] junk = {"[]", "{}", "-7.5", "\"\"", "true", "[{}]", "1e400", "\"\\u0000\""};
    for (int i = 0; i < 40; i++) {
      String field = fields[rnd.nextInt(fields.length)];
      String value = junk[rnd.nextInt(junk.length)];
      if (acceptable(field, value)) {
        continue;
      }
      StringBuilder b = new StringBuilder("{");
      for (String f : fields) {
        if (f.equals(field)) {
          b.append('"').append(f).append("\":").append(value).append(',');
        } else if (f.equals("id") || f.equals("base_url")) {
          b.append('"')
              .append(f)
              .append("\":")
              .append(f.equals("id") ? "\"m" + i + "\"" : "\"http://127.0.0.1:1\"")
              .append(',');
        }
      }
      b.setLength(b.length() - 1);
      out.add(new Bad("POST", "/api/providers/register", b.append('}').toString()));
    }
    return out.stream().map(Arguments::of).toList();
  }

  /** Values that are valid for a field. */
  private static boolean acceptable(String field, String value) {
    return (field.equals("meta") && value.equals("{}"))
        || (field.equals("active") && value.equals("true"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void answersA4xxJsonErrorWithoutAStackTrace(Bad bad) {
    Reply r = bad.sendTo(server);
    ErrorShape.assertClientError(r);
    assertThat(r.body()).doesNotContain("k1\"", "\"p\"", "token=abc");
  }
}

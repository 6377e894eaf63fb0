package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import io.comfyvn.compute.App;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code /openapi.json} against the running service: every registered route is documented (and
 * nothing else), and real answers, good and bad, validate against the documented schema for their
 * route and status.
 */
class OpenApiIT {
  private static final String DOC = "https://comfyvn-compute.invalid/openapi.json";
  @TempDir static Path home;
  private static Server server;
  private static JsonNode doc;
  private static SchemaRegistry schemas;

  @BeforeAll
  static void start() {
    new TestHome(home).allSecrets("oa");
    server = Server.start(home);
    Server.Reply r = server.get("/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    doc = r.json();
    String text = r.body();
    schemas =
        SchemaRegistry.withDefaultDialect(
            Dialects.getOpenApi31(), b -> b.schemas(Map.of(DOC, text)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String openApiKey(String route) {
    String[] parts = route.split(" ", 2);
    String method = parts[0].equals("WS") ? "get" : parts[0].toLowerCase(Locale.ROOT);
    return method + " " + parts[1];
  }

  @Test
  void everyRegisteredRouteIsDocumentedAndNothingElse() {
    List<String> registered = server.routes();
    assertThat(registered).hasSizeGreaterThan(30).contains("GET /openapi.json", "WS /jobs/ws");
    TreeSet<String> fromRouter = new TreeSet<>();
    registered.forEach(r -> fromRouter.add(openApiKey(r)));
    TreeSet<String> documented = new TreeSet<>();
    doc.get("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        m -> {
                          if (!m.equals("parameters")) {
                            documented.add(m + " " + p.getKey());
                          }
                        }));
    assertThat(documented).isEqualTo(fromRouter);
  }

  @Test
  void theDocumentSaysItsVersionAndEveryOperationHasResponses() {
    assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
    assertThat(doc.at("/info/version").asText()).isEqualTo(App.version());
    doc.get("paths")
        .properties()
        .forEach(
            p ->
                p.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          assertThat(op.getValue().path("responses").isEmpty())
                              .as(op.getKey() + " " + p.getKey())
                              .isFalse();
                          assertThat(op.getValue().path("summary").asText())
                              .as(op.getKey() + " " + p.getKey())
                              .isNotBlank();
                        }));
  }

  @Test
  void everyComponentSchemaIsAValidJsonSchema() {
    Schema meta =
        SchemaRegistry.withDefaultDialect(Dialects.getDraft202012())
            .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    doc.at("/components/schemas")
        .properties()
        .forEach(s -> assertThat(meta.validate(s.getValue())).as(s.getKey()).isEmpty());
  }

  /** A request to send and the status its answer must have. */
  record Call(String method, String path, String body, int status) {
    @Override
    public String toString() {
      return method + " " + path + " -> " + status;
    }
  }

  static Stream<Arguments> calls() {
    String submit = "{\"provider\":\"runpod\",\"seed\":42,\"job\":{\"input\":{\"prompt\":\"x\"}}}";
    String job = "{\"provider\":\"replicate\",\"seed\":7,\"job\":{\"input\":{\"prompt\":\"y\"}}}";
    List<Call> c = new ArrayList<>();
    c.add(new Call("GET", "/health", null, 200));
    c.add(new Call("GET", "/api/session", null, 200));
    c.add(new Call("POST", "/api/session", "{\"token\":\"any\"}", 200));
    c.add(new Call("POST", "/api/session", "{}", 400));
    c.add(new Call("DELETE", "/api/session", null, 200));
    c.add(new Call("GET", "/api/providers/gpu/providers", null, 200));
    c.add(new Call("POST", "/api/providers/gpu/health", "{\"provider\":\"runpod\"}", 200));
    c.add(new Call("POST", "/api/providers/gpu/health", "{}", 200));
    c.add(new Call("POST", "/api/providers/gpu/health", "{\"provider\":\"nope\"}", 404));
    c.add(new Call("POST", "/api/providers/gpu/submit", submit, 200));
    c.add(
        new Call(
            "POST", "/api/providers/gpu/submit", job.replace("}}}", "}},\"mode\":\"sim\"}"), 200));
    c.add(new Call("POST", "/api/providers/gpu/submit", "nope", 400));
    c.add(new Call("POST", "/api/providers/gpu/submit", "{\"provider\":\"runpod\"}", 400));
    c.add(new Call("GET", "/api/providers/gpu/poll/mock-runpod-42", null, 200));
    c.add(new Call("POST", "/api/providers/gpu/cancel/mock-runpod-42", null, 200));
    c.add(new Call("POST", "/api/providers/gpu/simulate", job, 200));
    c.add(new Call("POST", "/api/providers/gpu/webhooks/replicate", "{}", 400));
    c.add(new Call("GET", "/api/providers/gpu/spend", null, 200));
    c.add(new Call("POST", "/api/gpu/advise", "{}", 200));
    c.add(new Call("POST", "/api/gpu/advise", "{\"prefer_remote\":\"maybe\"}", 400));
    c.add(new Call("GET", "/api/gpu/catalog", null, 200));
    c.add(new Call("GET", "/jobs/all?limit=5", null, 200));
    c.add(new Call("GET", "/jobs/all?limit=0", null, 400));
    c.add(new Call("GET", "/jobs/status/nope", null, 404));
    c.add(new Call("GET", "/jobs/artifacts/nope", null, 404));
    c.add(new Call("POST", "/jobs/enqueue", "{\"kind\":\"render.batch\",\"payload\":{}}", 200));
    c.add(new Call("POST", "/jobs/enqueue", "{\"kind\":\"public.gpu.submit\"}", 400));
    c.add(new Call("GET", "/jobs/logs/nope", null, 404));
    c.add(new Call("GET", "/api/providers", null, 200));
    c.add(new Call("GET", "/api/providers/list", null, 200));
    c.add(
        new Call(
            "POST",
            "/api/providers/register",
            "{\"id\":\"box\",\"name\":\"Box\",\"kind\":\"remote\",\"service\":\"unraid\","
                + "\"base_url\":\"http://127.0.0.1:9/\"}",
            200));
    c.add(new Call("POST", "/api/providers/activate", "{\"id\":\"box\",\"active\":false}", 200));
    c.add(new Call("POST", "/api/providers/order", "{\"order\":[\"box\",\"local\"]}", 200));
    c.add(new Call("POST", "/api/providers/create", "{}", 400));
    c.add(new Call("GET", "/api/providers/health?id=box", null, 200));
    c.add(new Call("POST", "/api/providers/health", "{\"id\":\"box\"}", 200));
    c.add(new Call("GET", "/api/providers/export", null, 200));
    c.add(new Call("POST", "/api/providers/import", "{\"providers\":[]}", 200));
    c.add(new Call("GET", "/api/providers/quota?id=box", null, 200));
    c.add(new Call("GET", "/api/providers/templates?id=box", null, 200));
    c.add(new Call("POST", "/api/providers/bootstrap", "{\"id\":\"box\"}", 200));
    c.add(new Call("DELETE", "/api/providers/remove/box", null, 200));
    c.add(new Call("DELETE", "/api/providers/remove/local", null, 400));
    c.add(new Call("GET", "/api/modder/hooks", null, 200));
    c.add(new Call("GET", "/api/modder/hooks/history", null, 200));
    c.add(
        new Call(
            "POST",
            "/api/modder/hooks/webhooks",
            "{\"event\":\"on_gpu_job_finished\",\"url\":\"http://127.0.0.1:9/h\"}",
            200));
    c.add(
        new Call(
            "DELETE",
            "/api/modder/hooks/webhooks",
            "{\"event\":\"on_gpu_job_finished\",\"url\":\"http://127.0.0.1:9/h\"}",
            200));
    c.add(new Call("POST", "/api/modder/hooks/test", "{\"event\":\"on_gpu_job_finished\"}", 200));
    c.add(new Call("POST", "/api/modder/hooks/webhooks", "{}", 400));
    return c.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("calls")
  void realAnswersValidateAgainstTheirDocumentedSchema(Call call) {
    Server.Reply r = server.request(call.method(), call.path(), call.body());
    assertThat(r.status()).as(r.body()).isEqualTo(call.status());
    assertThat(r.json()).as("JSON: " + r.body()).isNotNull();
    String route = documentedPath(call.path());
    String pointer =
        "/paths/"
            + escape(route)
            + "/"
            + call.method().toLowerCase(Locale.ROOT)
            + "/responses/"
            + call.status();
    JsonNode response = doc.at(pointer);
    assertThat(response.isMissingNode()).as("documented: " + pointer).isFalse();
    if (response.has("$ref")) {
      pointer = response.get("$ref").asText().substring(1);
    }
    List<Error> errors =
        schemas
            .getSchema(SchemaLocation.of(DOC + "#" + pointer + "/content/application~1json/schema"))
            .validate(r.json());
    assertThat(errors).as(call + " " + r.body()).isEmpty();
  }

  @Test
  void aLiveTasksAnswersAndItsArtifactListingValidateToo() {
    Server.Reply submitted =
        server.post(
            "/api/providers/gpu/submit",
            "{\"provider\":\"modal\",\"seed\":3,\"job\":{\"input\":{\"prompt\":\"z\"}}}");
    String task = submitted.json().get("task_id").asText();
    for (Call c :
        List.of(
            new Call("GET", "/jobs/status/" + task, null, 200),
            new Call("GET", "/jobs/artifacts/" + task, null, 200),
            new Call("GET", "/api/providers/gpu/poll/" + task, null, 200),
            new Call("POST", "/api/providers/gpu/cancel/" + task, null, 200))) {
      realAnswersValidateAgainstTheirDocumentedSchema(c);
    }
  }

  @Test
  void theCheckCatchesAnAnswerThatDoesNotMatch() throws Exception {
    Schema health =
        schemas.getSchema(
            SchemaLocation.of(
                DOC
                    + "#/paths/~1api~1providers~1gpu~1submit/post/responses/200/content/application~1json/schema"));
    JsonNode good =
        server.post("/api/providers/gpu/submit", "{\"provider\":\"runpod\",\"job\":{}}").json();
    assertThat(health.validate(good)).isEmpty();
    com.fasterxml.jackson.databind.node.ObjectNode bad = good.deepCopy();
    bad.put("mode", "liev");
    bad.remove("feature");
    assertThat(health.validate(bad)).hasSizeGreaterThanOrEqualTo(2);
    Schema error =
        schemas.getSchema(
            SchemaLocation.of(
                DOC + "#/components/responses/NotFound/content/application~1json/schema"));
    assertThat(error.validate(io.comfyvn.compute.Json.mapper().readTree("{\"ok\":true}")))
        .isNotEmpty();
  }

  @Test
  void theReadablePageIsServedOfflineFromItsWebJar() {
    Server.Reply page = server.get("/docs");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).doesNotContain("https://", "http://");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?:src|href)=\"(/[^\"]+)\"").matcher(page.body());
    int assets = 0;
    while (m.find()) {
      Server.Reply asset = server.get(m.group(1));
      assertThat(asset.status()).as(m.group(1)).isEqualTo(200);
      assertThat(asset.body()).as(m.group(1)).isNotEmpty();
      assets++;
    }
    assertThat(assets).isEqualTo(3);
    assertThat(server.get("/api-docs.js").body()).contains("validatorUrl: null", "/openapi.json");
  }

  /** The documented path template an actual path matches ({@code /jobs/status/x -> {id}}). */
  private static String documentedPath(String actual) {
    String path = actual.contains("?") ? actual.substring(0, actual.indexOf('?')) : actual;
    Iterator<String> it = doc.get("paths").fieldNames();
    String best = null;
    while (it.hasNext()) {
      String t = it.next();
      String regex = t.replaceAll("\\{[^}]+}", "[^/]+");
      if (path.matches(regex) && (best == null || !t.contains("{"))) {
        best = t;
      }
    }
    assertThat(best).as("a documented path for " + path).isNotNull();
    return best;
  }

  private static String escape(String path) {
    return path.replace("~", "~0").replace("/", "~1");
  }
}

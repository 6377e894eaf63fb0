package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/providers/*} through the real HTTP stack, against a loopback stand-in for a ComfyUI
 * box ({@code /system_stats}) and RunPod's management REST v2 ({@code /v2/templates}, {@code
 * /v2/catalog/gpus}, Bearer auth). Includes ComfyVN's {@code tests/test_providers_api.py}.
 */
class ProvidersRegistryIT {
  private static final String KEY = "RP_canary_4f1c";

  @TempDir Path dir;
  private HttpServer upstream;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final Map<String, String> auth = new ConcurrentHashMap<>();
  private final AtomicInteger served = new AtomicInteger();

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext(
        "/system_stats",
        ex ->
            reply(
                ex,
                200,
                "{\"system\":{\"comfyui_version\":\"0.3.60\",\"pytorch_version\":\"2.8\"},"
                    + "\"devices\":[{\"name\":\"cuda:0 NVIDIA GeForce RTX 3090\",\"type\":\"cuda\","
                    + "\"vram_total\":25769803776,\"vram_free\":20000000000}]}"));
    upstream.createContext(
        "/v2/templates",
        ex -> {
          if (!authorized(ex)) {
            return;
          }
          reply(
              ex,
              200,
              "[{\"id\":\"tmpl-1\",\"name\":\"ComfyUI\",\"imageName\":\"comfy:latest\","
                  + "\"isServerless\":false,\"containerDiskInGb\":20,\"volumeInGb\":50,"
                  + "\"env\":{\"HF_TOKEN\":\"hf_user_private\"}}]");
        });
    upstream.createContext(
        "/v2/catalog/gpus",
        ex -> {
          if (!authorized(ex)) {
            return;
          }
          reply(
              ex,
              200,
              "[{\"id\":\"NVIDIA GeForce RTX 4090\",\"name\":\"RTX 4090\",\"pool\":\"ADA_24\","
                  + "\"memory\":24,\"price\":{\"secure\":0.44,\"community\":0.31}}]");
        });
    upstream.start();
  }

  private boolean authorized(HttpExchange ex) throws IOException {
    hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
    String h = ex.getRequestHeaders().getFirst("Authorization");
    auth.put(ex.getRequestURI().getPath(), h == null ? "" : h);
    if (!("Bearer " + KEY).equals(h)) {
      // RunPod's problem+json, quoting what it got (a provider may echo the header back)
      reply(
          ex,
          401,
          "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"bad bearer token "
              + (h == null ? "" : h)
              + "\"}");
      return false;
    }
    return true;
  }

  private void reply(HttpExchange ex, int status, String body) throws IOException {
    served.incrementAndGet();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  @AfterEach
  void stopUpstream() {
    upstream.stop(0);
  }

  private String upstreamBase() {
    return "http://127.0.0.1:" + upstream.getAddress().getPort();
  }

  /**
   * A local entry pointing at the stand-in, so "health of all" never leaves it; the stand-in's
   * origin is allowed to receive keys, as a user would allow a RunPod-compatible test server; the
   * flag on, since with it off no registry check leaves the machine either.
   */
  private TestHome home() {
    return home(true);
  }

  private TestHome home(boolean flag) {
    return new TestHome(dir)
        .config(
            "{\"features\":{\"enable_public_gpu_adapters\":"
                + flag
                + "},\"egress\":{\"allowed_base_urls\":[\""
                + upstreamBase()
                + "\"]},"
                + "\"providers\":[{\"id\":\"local\",\"kind\":\"local\",\"service\":\"comfyui\","
                + "\"base_url\":\""
                + upstreamBase()
                + "\"}]}");
  }

  @Test
  void withTheFlagOffNoCheckLeavesTheMachine() {
    home(false).secrets("{\"runpod\":{\"api_key\":\"" + KEY + "\"}}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      for (String path :
          List.of(
              "/api/providers/health?id=local",
              "/api/providers/health?id=runpod",
              "/api/providers/health",
              "/api/providers/quota?id=runpod",
              "/api/providers/templates?id=runpod")) {
        Reply r = s.get(path);
        assertThat(r.status()).as(path).isLessThan(500);
        assertThat(r.body()).as(path).doesNotContain(KEY);
      }
      Reply one = s.get("/api/providers/health?id=local");
      assertThat(one.json().path("status").path("ok").asBoolean()).isFalse();
      assertThat(one.json().path("status").path("error").asText())
          .contains("network calls are off");
      s.post("/api/providers/bootstrap", "{\"id\":\"local\"}");
      assertThat(served.get()).isZero();
    }
  }

  private String runpodBody() {
    return "{\"id\":\"runpod\",\"name\":\"RunPod\",\"kind\":\"remote\",\"service\":\"runpod\","
        + "\"base_url\":\""
        + upstreamBase()
        + "/v2\"}";
  }

  @Test
  void comfyvnProvidersApiTestExpectations() {
    home().secrets("{\"runpod\":{\"api_key\":\"" + KEY + "\"}}");
    try (Server s = Server.start(dir)) {
      Reply root = s.get("/api/providers");
      assertThat(root.status()).isEqualTo(200);
      assertThat(root.json().path("ok").asBoolean()).isTrue();
      assertThat(ids(root.json().path("providers"))).contains("local");
      assertThat(root.json().path("templates").isArray()).isTrue();
      assertThat(s.get("/api/providers/").status()).isEqualTo(200);
      assertThat(s.get("/api/providers/list").json().path("providers")).hasSize(1);

      Reply reg = s.post("/api/providers/register", runpodBody());
      assertThat(reg.status()).isEqualTo(200);
      assertThat(reg.json().path("ok").asBoolean()).isTrue();
      assertThat(reg.json().path("provider").path("id").asText()).isEqualTo("runpod");
      assertThat(ids(s.get("/api/providers").json().path("providers"))).contains("runpod");

      Reply health = s.get("/api/providers/health?id=runpod");
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().path("ok").asBoolean()).isTrue();
      assertThat(health.json().path("status").path("provider_id").asText()).isEqualTo("runpod");
      assertThat(health.json().path("status").path("ok").asBoolean()).isTrue();
      assertThat(health.json().path("status").path("detail").path("templates").asInt())
          .isEqualTo(1);
      assertThat(auth.get("/v2/templates")).isEqualTo("Bearer " + KEY);
      assertThat(health.body()).doesNotContain(KEY);
      // recorded as last_health, and on disk without the key
      JsonNode listed = byId(s.get("/api/providers").json().path("providers"), "runpod");
      assertThat(listed.path("last_health").path("ok").asBoolean()).isTrue();
      assertThat(new TestHome(dir).read("config/compute_providers.json"))
          .contains("last_health")
          .doesNotContain(KEY);
    }
  }

  @Test
  void healthWithoutSecretsIsAnOkFalseAnswerNamingThem() {
    home();
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply health = s.post("/api/providers/health", "{\"id\":\"runpod\"}");
      assertThat(health.status()).isEqualTo(200);
      JsonNode st = health.json().path("status");
      assertThat(st.path("ok").asBoolean()).isFalse();
      assertThat(st.path("missing_secrets").toString()).contains("runpod.api_key");
      assertThat(hits).doesNotContainKey("/v2/templates");
    }
  }

  @Test
  void aRejectedKeyIsAnOkFalseAnswerWithTheKeyScrubbed() {
    home().secrets("{\"runpod\":{\"api_key\":\"RP_wrong_key_77\"}}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply health = s.get("/api/providers/health?id=runpod");
      JsonNode st = health.json().path("status");
      assertThat(st.path("ok").asBoolean()).isFalse();
      assertThat(st.path("status_code").asInt()).isEqualTo(401);
      assertThat(health.body()).contains("***").doesNotContain("RP_wrong_key_77");
    }
  }

  @Test
  void comfyuiHealthAndHealthOfAllActiveProviders() {
    home();
    try (Server s = Server.start(dir)) {
      Reply one = s.get("/api/providers/health?id=local");
      JsonNode detail = one.json().path("status").path("detail");
      assertThat(one.json().path("status").path("ok").asBoolean()).isTrue();
      assertThat(detail.path("comfyui_version").asText()).isEqualTo("0.3.60");
      assertThat(detail.path("devices").get(0).path("vram_total").asLong()).isEqualTo(25769803776L);

      s.post(
          "/api/providers/register",
          "{\"id\":\"off\",\"kind\":\"lan\",\"base_url\":\"" + upstreamBase() + "\"}");
      s.post("/api/providers/activate", "{\"id\":\"off\",\"active\":false}");
      s.post(
          "/api/providers/register",
          "{\"id\":\"vast1\",\"service\":\"vast.ai\",\"base_url\":\"" + upstreamBase() + "\"}");
      Reply all = s.get("/api/providers/health");
      assertThat(all.json().path("ok").asBoolean()).isTrue();
      assertThat(all.json().path("results").findValuesAsText("provider_id"))
          .containsExactlyInAnyOrder("local", "vast1");
      JsonNode vast = byProviderId(all.json().path("results"), "vast1");
      assertThat(vast.path("ok").asBoolean()).isFalse();
      assertThat(vast.path("error").asText()).contains("not supported");
    }
  }

  @Test
  void quotaAndTemplatesPerService() {
    home().secrets("{\"runpod\":{\"api_key\":\"" + KEY + "\"}}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply quota = s.get("/api/providers/quota?id=runpod");
      assertThat(quota.status()).isEqualTo(200);
      assertThat(quota.json().path("ok").asBoolean()).isFalse();
      assertThat(quota.json().path("error").asText()).isEqualTo("quota inspection not supported");

      Reply templates = s.get("/api/providers/templates?id=runpod");
      assertThat(templates.json().path("ok").asBoolean()).isTrue();
      JsonNode t = templates.json().path("templates").get(0);
      assertThat(t.path("id").asText()).isEqualTo("tmpl-1");
      assertThat(t.path("image").asText()).isEqualTo("comfy:latest");
      assertThat(templates.body()).doesNotContain("hf_user_private");

      Reply local = s.get("/api/providers/templates?id=local");
      assertThat(local.json().path("error").asText())
          .isEqualTo("template enumeration not available");
      assertThat(s.get("/api/providers/quota?id=nope").status()).isEqualTo(404);
      assertThat(s.get("/api/providers/quota").status()).isEqualTo(400);
    }
  }

  @Test
  void createFromTemplateActivateOrderRemove() {
    home();
    try (Server s = Server.start(dir)) {
      Reply created =
          s.post(
              "/api/providers/create",
              "{\"template_id\":\"unraid\",\"id\":\"attic\",\"base_url\":\""
                  + upstreamBase()
                  + "\",\"priority\":5,\"meta\":{\"note\":\"x\"}}");
      assertThat(created.status()).isEqualTo(200);
      JsonNode p = created.json().path("provider");
      assertThat(p.path("kind").asText()).isEqualTo("lan");
      assertThat(p.path("service").asText()).isEqualTo("lan");
      assertThat(p.path("meta").path("template").asText()).isEqualTo("unraid");
      assertThat(p.path("meta").path("note").asText()).isEqualTo("x");
      assertThat(
              s.post("/api/providers/create", "{\"template_id\":\"unraid\",\"id\":\"attic\"}")
                  .status())
          .isEqualTo(409);
      assertThat(s.post("/api/providers/create", "{\"template_id\":\"nope\"}").status())
          .isEqualTo(404);

      Reply act = s.post("/api/providers/activate", "{\"id\":\"attic\",\"active\":false}");
      assertThat(act.json().path("provider").path("active").asBoolean()).isFalse();

      Reply ordered = s.post("/api/providers/order", "{\"order\":[\"attic\",\"local\"]}");
      assertThat(ids(ordered.json().path("providers"))).containsExactly("attic", "local");

      Reply removed = s.send(delete(s, "/api/providers/remove/attic"));
      assertThat(removed.json().path("removed").asText()).isEqualTo("attic");
      Reply local = s.send(delete(s, "/api/providers/remove/local"));
      assertThat(local.status()).isEqualTo(400);
      assertThat(local.json().path("code").asText()).isEqualTo("local_not_removable");
      assertThat(s.send(delete(s, "/api/providers/remove/attic")).status()).isEqualTo(404);
    }
  }

  @Test
  void exportAndImportRoundTrip() {
    home();
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply export = s.get("/api/providers/export?include_secrets=true");
      assertThat(export.json().path("export").path("version").asInt()).isEqualTo(1);
      assertThat(ids(export.json().path("export").path("providers")))
          .containsExactly("local", "runpod");

      s.send(delete(s, "/api/providers/remove/runpod"));
      Reply imported = s.post("/api/providers/import", export.body());
      assertThat(imported.status()).isEqualTo(200);
      assertThat(imported.json().path("imported").toString()).contains("runpod");
      assertThat(imported.json().path("skipped").toString()).contains("local");
      assertThat(ids(imported.json().path("providers"))).contains("runpod");

      Reply refused =
          s.post(
              "/api/providers/import",
              "{\"providers\":[{\"id\":\"x\",\"base_url\":\"http://127.0.0.1:1\","
                  + "\"config\":{\"api_key\":\"RP_in_body\"}}]}");
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().path("code").asText()).isEqualTo("secret_not_allowed");
      assertThat(refused.body()).doesNotContain("RP_in_body");
    }
  }

  @Test
  void bootstrapRegistersItsTaskAndWritesItsFiles() throws Exception {
    home().secrets("{\"runpod\":{\"api_key\":\"" + KEY + "\"}}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply boot = s.post("/api/providers/bootstrap", "{\"id\":\"runpod\"}");
      assertThat(boot.status()).isEqualTo(200);
      JsonNode b = boot.json();
      assertThat(b.path("ok").asBoolean()).isTrue();
      assertThat(b.path("provider").path("id").asText()).isEqualTo("runpod");
      assertThat(b.path("provider").path("name").asText()).isEqualTo("RunPod");
      assertThat(b.path("logs_path").asText()).startsWith("data/remote/runpod/");
      assertThat(b.path("output_dir").asText()).startsWith("data/remote/runpod/");
      List<String> artifacts = new java.util.ArrayList<>();
      for (JsonNode a : b.path("artifacts")) {
        artifacts.add(a.asText());
      }
      assertThat(artifacts)
          .anyMatch(a -> a.endsWith("/bootstrap.log"))
          .anyMatch(a -> a.endsWith("/bootstrap_summary.json"))
          .anyMatch(a -> a.endsWith("/runpod_templates.json"))
          .anyMatch(a -> a.endsWith("/runpod_gpus.json"));
      for (String a : artifacts) {
        assertThat(Files.readString(dir.resolve(a))).doesNotContain(KEY);
      }
      // every file has its provenance sidecar, like a job's artifacts
      List<String> sidecars = new java.util.ArrayList<>();
      b.path("provenance").forEach(p -> sidecars.add(p.asText()));
      assertThat(sidecars).hasSameSizeAs(artifacts);
      for (int i = 0; i < artifacts.size(); i++) {
        assertThat(sidecars.get(i)).isEqualTo(artifacts.get(i) + ".prov.json");
        byte[] file = Files.readAllBytes(dir.resolve(artifacts.get(i)));
        JsonNode prov =
            io.comfyvn.compute.Json.mapper()
                .readTree(dir.resolve(sidecars.get(i)).toFile())
                .path("provenance");
        assertThat(prov.path("tool").asText()).isEqualTo("comfyvn-compute");
        assertThat(prov.path("kind").asText()).isEqualTo("provider.bootstrap");
        assertThat(prov.path("task_id").asText()).isEqualTo(b.path("job").asText());
        assertThat(prov.path("provider_id").asText()).isEqualTo("runpod");
        assertThat(prov.path("bytes").asLong()).isEqualTo(file.length);
        assertThat(prov.path("sha256").asText())
            .isEqualTo(
                java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(file)));
        assertThat(Files.readString(dir.resolve(sidecars.get(i)))).doesNotContain(KEY);
      }
      assertThat(Files.readString(dir.resolve(b.path("logs_path").asText())))
          .contains("health: ok")
          .contains("bootstrap complete");
      assertThat(b.path("details").path("runpod_gpus").path("gpus").get(0).path("pool").asText())
          .isEqualTo("ADA_24");

      JsonNode job = s.get("/jobs/status/" + b.path("job").asText()).json().path("job");
      assertThat(job.path("kind").asText()).isEqualTo("provider.bootstrap");
      assertThat(job.path("status").asText()).isEqualTo("done");
      assertThat(job.path("meta").path("provider_id").asText()).isEqualTo("runpod");

      Reply unknown = s.post("/api/providers/bootstrap", "{\"id\":\"nope\"}");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(s.post("/api/providers/bootstrap", "{}").status()).isEqualTo(400);
    }
  }

  @Test
  void bootstrapWithoutSecretsEndsInErrorNotAnException() {
    home();
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", runpodBody());
      Reply boot = s.post("/api/providers/bootstrap", "{\"provider_id\":\"runpod\"}");
      assertThat(boot.status()).isEqualTo(200);
      assertThat(boot.json().path("ok").asBoolean()).isFalse();
      assertThat(boot.json().path("details").path("health").path("missing_secrets").toString())
          .contains("runpod.api_key");
      JsonNode job = s.get("/jobs/status/" + boot.json().path("job").asText()).json().path("job");
      assertThat(job.path("status").asText()).isEqualTo("error");
    }
  }

  @Test
  void aCorruptRegistryFileIsReportedAndKept() throws IOException {
    home();
    Path file = dir.resolve("config/compute_providers.json");
    Files.writeString(file, "{\"providers\": [ oops");
    try (Server s = Server.start(dir)) {
      Reply list = s.get("/api/providers");
      assertThat(list.status()).isEqualTo(200);
      assertThat(list.json().path("problem").asText()).contains("not valid JSON");
      Reply reg = s.post("/api/providers/register", runpodBody());
      assertThat(reg.status()).isEqualTo(409);
      assertThat(reg.json().path("code").asText()).isEqualTo("registry_unreadable");
    }
    assertThat(Files.readString(file)).isEqualTo("{\"providers\": [ oops");
  }

  @Test
  void theGpuAdapterRoutesStillWork() {
    home();
    try (Server s = Server.start(dir)) {
      Reply gpu = s.get("/api/providers/gpu/providers");
      assertThat(gpu.status()).isEqualTo(200);
      assertThat(gpu.body()).contains("runpod").contains("replicate");
      assertThat(s.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}").status())
          .isEqualTo(200);
      // the registry's fixed paths do not shadow an unknown GPU route
      assertThat(s.get("/api/providers/gpu/nope").status()).isEqualTo(404);
      assertThat(s.get("/api/providers/remove/local").status()).isEqualTo(405);
    }
  }

  private static HttpRequest.Builder delete(Server s, String path) {
    return HttpRequest.newBuilder(URI.create(s.base() + path)).DELETE();
  }

  private static List<String> ids(JsonNode list) {
    List<String> out = new java.util.ArrayList<>();
    list.forEach(n -> out.add(n.path("id").asText()));
    return out;
  }

  private static JsonNode byId(JsonNode list, String id) {
    for (JsonNode n : list) {
      if (id.equals(n.path("id").asText())) {
        return n;
      }
    }
    throw new AssertionError("no " + id + " in " + list);
  }

  private static JsonNode byProviderId(JsonNode list, String id) {
    for (JsonNode n : list) {
      if (id.equals(n.path("provider_id").asText())) {
        return n;
      }
    }
    throw new AssertionError("no " + id + " in " + list);
  }
}

package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The work order's §6 acceptance through real HTTP, for every provider, flag off and on. */
class GpuApiIT {
  @TempDir Path dir;

  /** The providers that require secrets (a self-hosted ComfyUI requires none). */
  static List<Arguments> providersAndFlag() {
    return withFlag(List.of("runpod", "huggingface", "replicate", "modal"));
  }

  static List<Arguments> allProvidersAndFlag() {
    return withFlag(List.of("runpod", "huggingface", "replicate", "modal", "comfyui"));
  }

  private static List<Arguments> withFlag(List<String> providers) {
    return providers.stream()
        .flatMap(p -> List.of(Arguments.of(p, false), Arguments.of(p, true)).stream())
        .toList();
  }

  @ParameterizedTest(name = "{0} flag={1}")
  @MethodSource("providersAndFlag")
  void submitWithoutSecretsIsDeterministicMissingToken(String provider, boolean flag) {
    new TestHome(dir).flag(flag);
    try (Server s = Server.start(dir)) {
      Reply r = s.post("/api/providers/gpu/submit", submitBody(provider, 7));
      assertThat(r.status()).isEqualTo(200);
      JsonNode j = r.json();
      assertThat(j.get("ok").asBoolean()).isFalse();
      assertThat(j.get("dry_run").asBoolean()).isTrue();
      assertThat(j.get("reason").asText()).isEqualTo("missing token");
      assertThat(j.get("missing_secrets")).isNotEmpty();
      j.get("missing_secrets").forEach(k -> assertThat(k.asText()).startsWith(provider + "."));
      assertFeature(j, flag);
      assertThat(s.post("/api/providers/gpu/submit", submitBody(provider, 7)).body())
          .isEqualTo(r.body());
    }
  }

  @ParameterizedTest(name = "{0} flag={1}")
  @MethodSource("allProvidersAndFlag")
  void submitWithSecretsGivesMockIdAndPollIsDone(String provider, boolean flag) {
    new TestHome(dir).flag(flag).allSecrets("test");
    try (Server s = Server.start(dir)) {
      Reply r = s.post("/api/providers/gpu/submit", submitBody(provider, 1234));
      assertThat(r.status()).isEqualTo(200);
      JsonNode j = r.json();
      assertThat(j.get("ok").asBoolean()).isTrue();
      assertThat(j.get("dry_run").asBoolean()).isTrue();
      assertThat(j.get("id").asText()).isEqualTo("mock-" + provider + "-1234");
      assertThat(j.get("task_id").asText()).isNotBlank();
      assertFeature(j, flag);

      Reply poll = s.get("/api/providers/gpu/poll/mock-" + provider + "-1234");
      assertThat(poll.status()).isEqualTo(200);
      JsonNode p = poll.json();
      assertThat(p.get("ok").asBoolean()).isTrue();
      assertThat(p.get("status").asText()).isEqualTo("done");
      assertThat(p.get("artifacts")).isEmpty();
      assertThat(p.get("logs").get(0).asText()).isEqualTo("Simulated completion");
      assertThat(p.get("logs")).hasSize(1);
      assertThat(p.get("dry_run").asBoolean()).isTrue();
      assertFeature(p, flag);

      Reply byTask = s.get("/api/providers/gpu/poll/" + j.get("task_id").asText());
      assertThat(byTask.json().get("id").asText()).isEqualTo("mock-" + provider + "-1234");

      Reply job = s.get("/jobs/status/" + j.get("task_id").asText());
      JsonNode meta = job.json().get("job").get("meta");
      assertThat(meta.get("dry_run").asBoolean()).isTrue();
      assertThat(meta.get("provider_slug").asText()).isEqualTo(provider);
      assertThat(meta.get("public_adapter").asBoolean()).isTrue();
      assertThat(meta.get("seed").asLong()).isEqualTo(1234);
      assertThat(meta.get("provider_job_id").asText()).isEqualTo("mock-" + provider + "-1234");
      assertThat(job.json().get("job").get("status").asText()).isEqualTo("done");
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"runpod", "huggingface", "replicate", "modal"})
  void malformedSecretsFileCountsAsEmptyAndIsReported(String provider) {
    new TestHome(dir).secrets("{\"" + provider + "\": {\"api_key\": oops");
    try (Server s = Server.start(dir)) {
      JsonNode h =
          s.post("/api/providers/gpu/health", "{\"provider\":\"" + provider + "\"}").json();
      assertThat(h.get("ok").asBoolean()).isFalse();
      assertThat(h.get("reason").asText()).isEqualTo("missing token");
      assertThat(h.get("secrets_problem").asText())
          .contains("comfyvn.secrets.json", "not valid JSON");
      JsonNode sub = s.post("/api/providers/gpu/submit", submitBody(provider, 5)).json();
      assertThat(sub.get("ok").asBoolean()).isFalse();
      assertThat(sub.get("reason").asText()).isEqualTo("missing token");
      JsonNode poll = s.get("/api/providers/gpu/poll/" + sub.get("task_id").asText()).json();
      assertThat(poll.get("status").asText()).isEqualTo("error");
      JsonNode cancel =
          s.post("/api/providers/gpu/cancel/" + sub.get("task_id").asText(), "").json();
      assertThat(cancel.get("canceled").asBoolean()).isFalse();
    }
  }

  @ParameterizedTest(name = "flag={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void comfyUiNeedsNoSecretForTheDryRunContract(boolean flag) {
    new TestHome(dir).flag(flag);
    try (Server s = Server.start(dir)) {
      Reply r = s.post("/api/providers/gpu/submit", submitBody("unraid", 42));
      JsonNode j = r.json();
      assertThat(j.get("ok").asBoolean()).as(j.toString()).isTrue();
      assertThat(j.get("dry_run").asBoolean()).isTrue();
      assertThat(j.get("provider").asText()).isEqualTo("comfyui");
      assertThat(j.get("id").asText()).isEqualTo("mock-comfyui-42");
      assertThat(j.path("missing_secrets").isEmpty()).isTrue();
      JsonNode p = s.get("/api/providers/gpu/poll/mock-comfyui-42").json();
      assertThat(p.get("status").asText()).isEqualTo("done");
      assertThat(p.get("logs").toString()).isEqualTo("[\"Simulated completion\"]");
      assertThat(s.post("/api/providers/gpu/submit", submitBody("local", 42)).body())
          .isEqualTo(r.body());
    }
  }

  @Test
  void shippedSampleSecretsFileMatchesTheProviders() throws Exception {
    try (Server s = Server.start(dir)) {
      JsonNode sample = s.get("/api/providers/gpu/providers").json().get("sample_secrets");
      JsonNode shipped =
          io.comfyvn.compute.Json.mapper()
              .readTree(
                  io.comfyvn.compute.support.Repo.file("config/comfyvn.secrets.json.sample")
                      .toFile());
      assertThat(shipped).isEqualTo(sample);
    }
  }

  @Test
  void seedComesFromRequestThenJobThenHash() {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      JsonNode fromJob =
          s.post("/api/providers/gpu/submit", "{\"provider\":\"replicate\",\"job\":{\"seed\":99}}")
              .json();
      assertThat(fromJob.get("id").asText()).isEqualTo("mock-replicate-99");
      JsonNode requestWins =
          s.post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"replicate\",\"seed\":5,\"job\":{\"seed\":99}}")
              .json();
      assertThat(requestWins.get("id").asText()).isEqualTo("mock-replicate-5");
      String a =
          s.post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"modal\",\"job\":{\"a\":1,\"b\":[1,2]}}")
              .json()
              .get("id")
              .asText();
      String b =
          s.post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"modal\",\"job\":{\"b\":[1,2],\"a\":1}}")
              .json()
              .get("id")
              .asText();
      assertThat(a).isEqualTo(b).matches("mock-modal-\\d+");
      String c =
          s.post("/api/providers/gpu/submit", "{\"provider\":\"modal\",\"job\":{\"a\":2}}")
              .json()
              .get("id")
              .asText();
      assertThat(c).isNotEqualTo(a);
    }
  }

  @Test
  void sameRequestGivesSameBytesAcrossRestarts() {
    new TestHome(dir).allSecrets("t");
    String body = "{\"provider\":\"HF\",\"payload\":{\"input\":{\"prompt\":\"castle at dusk\"}}}";
    String first;
    String poll;
    try (Server s = Server.start(dir)) {
      first = s.post("/api/providers/gpu/submit", body).body();
      assertThat(s.post("/api/providers/gpu/submit", body).body()).isEqualTo(first);
      poll =
          s.get(
                  "/api/providers/gpu/poll/"
                      + s.post("/api/providers/gpu/submit", body).json().get("id").asText())
              .body();
    }
    try (Server s = Server.start(dir)) {
      assertThat(s.post("/api/providers/gpu/submit", body).body()).isEqualTo(first);
      JsonNode j = s.post("/api/providers/gpu/submit", body).json();
      assertThat(s.get("/api/providers/gpu/poll/" + j.get("id").asText()).body()).isEqualTo(poll);
    }
  }

  @Test
  void providersListsEveryAdapterWithReadinessAndSample() {
    new TestHome(dir).secrets("{\"replicate\": {\"api_token\": \"r8_x\"}}");
    try (Server s = Server.start(dir)) {
      JsonNode j = s.get("/api/providers/gpu/providers").json();
      assertThat(j.get("ok").asBoolean()).isTrue();
      assertFeature(j, false);
      Map<String, JsonNode> bySlug = new java.util.TreeMap<>();
      j.get("providers").forEach(p -> bySlug.put(p.get("slug").asText(), p));
      assertThat(bySlug)
          .containsOnlyKeys(
              "comfy_cloud", "comfyui", "huggingface", "modal", "replicate", "runpod");
      JsonNode comfy = bySlug.get("comfyui");
      assertThat(comfy.get("required_secrets")).isEmpty();
      assertThat(comfy.get("secrets_present").asBoolean()).isTrue();
      assertThat(comfy.get("readiness").asText()).isEqualTo("dry_run");
      assertThat(comfy.get("aliases").toString())
          .isEqualTo("[\"local\",\"unraid\",\"comfyui_local\",\"self_hosted\"]");
      assertThat(comfy.get("hints").get("base_url").asText()).isEqualTo("http://127.0.0.1:8188");
      assertThat(comfy.get("capabilities").toString()).contains("vram_report", "cancel");
      JsonNode rep = bySlug.get("replicate");
      assertThat(rep.get("secrets_present").asBoolean()).isTrue();
      assertThat(rep.get("missing_secrets")).isEmpty();
      assertThat(rep.get("readiness").asText()).isEqualTo("dry_run");
      JsonNode modal = bySlug.get("modal");
      assertThat(modal.get("secrets_present").asBoolean()).isFalse();
      assertThat(modal.get("required_secrets").toString())
          .isEqualTo("[\"modal.token_id\",\"modal.token_secret\"]");
      assertThat(modal.get("readiness").asText()).isEqualTo("missing_secrets");
      assertThat(bySlug.get("huggingface").get("aliases").toString())
          .contains("hf_inference_endpoints");
      assertThat(bySlug.get("runpod").get("hints").get("base_url").asText())
          .isEqualTo("https://api.runpod.ai/v2");
      assertThat(j.get("sample_secrets").get("replicate").get("api_token").asText())
          .isEqualTo("r8_...");
      assertThat(j.get("sample_secrets").get("modal").has("token_secret")).isTrue();
      // its optional proxy token is documented, not sampled: nothing is required
      assertThat(j.get("sample_secrets").has("comfyui")).isFalse();
    }
  }

  @Test
  void healthPerProviderAndForAll() {
    new TestHome(dir).secrets("{\"runpod\": {\"token\": \"rp\"}}");
    try (Server s = Server.start(dir)) {
      JsonNode rp = s.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}").json();
      assertThat(rp.get("ok").asBoolean()).isTrue();
      assertThat(rp.get("credential").asText()).isEqualTo("present");
      assertThat(rp.get("dry_run").asBoolean()).isTrue();
      JsonNode hf = s.post("/api/providers/gpu/health", "{\"provider\":\"hf_endpoints\"}").json();
      assertThat(hf.get("ok").asBoolean()).isFalse();
      assertThat(hf.get("reason").asText()).isEqualTo("missing token");
      assertThat(hf.get("provider").asText()).isEqualTo("huggingface");
      JsonNode all = s.post("/api/providers/gpu/health", "").json();
      assertThat(all.get("providers")).hasSize(6);
      assertFeature(all, false);
    }
  }

  @Test
  void cancelOfFinishedDryRunJobSaysSoAndUnknownIdsAre404() {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      JsonNode sub = s.post("/api/providers/gpu/submit", submitBody("runpod", 3)).json();
      JsonNode c = s.post("/api/providers/gpu/cancel/" + sub.get("id").asText(), "").json();
      assertThat(c.get("ok").asBoolean()).isTrue();
      assertThat(c.get("canceled").asBoolean()).isFalse();
      assertThat(c.get("status").asText()).isEqualTo("done");
      Reply unknown = s.get("/api/providers/gpu/poll/not-a-job");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.json().get("code").asText()).isEqualTo("unknown_job");
      assertFeature(unknown.json(), false);
      assertThat(s.get("/api/providers/gpu/poll/mock-nope-1").status()).isEqualTo(404);
    }
  }

  @Test
  void idempotencyKeyReturnsTheSameTaskAndRejectsADifferentJob() {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      Map<String, String> key = Map.of("Idempotency-Key", "scene-12-bg");
      JsonNode a = s.post("/api/providers/gpu/submit", submitBody("modal", 8), key).json();
      JsonNode b = s.post("/api/providers/gpu/submit", submitBody("modal", 8), key).json();
      assertThat(b.get("task_id")).isEqualTo(a.get("task_id"));
      Reply other = s.post("/api/providers/gpu/submit", submitBody("modal", 9), key);
      assertThat(other.status()).isEqualTo(409);
      assertThat(other.json().get("code").asText()).isEqualTo("idempotency_conflict");
      assertThat(s.get("/jobs/all").json().get("jobs")).hasSize(1);
    }
  }

  @Test
  void tasksSurviveARestart() {
    new TestHome(dir).allSecrets("t");
    String taskId;
    try (Server s = Server.start(dir)) {
      taskId =
          s.post("/api/providers/gpu/submit", submitBody("replicate", 11))
              .json()
              .get("task_id")
              .asText();
    }
    try (Server s = Server.start(dir)) {
      Reply r = s.get("/jobs/status/" + taskId);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("job").get("meta").get("provider_job_id").asText())
          .isEqualTo("mock-replicate-11");
      assertThat(s.get("/jobs/all").json().get("jobs")).hasSize(1);
    }
  }

  @Test
  void serviceHealthAnswersWithVersion() {
    try (Server s = Server.start(dir)) {
      JsonNode j = s.get("/health").json();
      assertThat(j.get("ok").asBoolean()).isTrue();
      assertThat(j.get("version").asText()).isNotBlank();
    }
  }

  @Test
  void structuredLogHasOneLinePerCallAndPayloadOnlyAtDebug() {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      s.post(
          "/api/providers/gpu/submit",
          "{\"provider\":\"runpod\",\"job\":{\"prompt\":\"quiet-forest\"}}");
      s.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}");
    }
    String log = new TestHome(dir).read("logs/providers_gpu.log");
    List<String> lines = log.lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .contains(
            "\"event\":\"providers_gpu.submit\"",
            "\"provider\":\"runpod\"",
            "\"dry_run\":true",
            "\"task_id\":",
            "\"outcome\":\"ok\"",
            "\"latency_ms\":",
            "\"timestamp\":")
        .doesNotContain("quiet-forest");
    try (Server s = Server.start(dir, Map.of("COMFYVN_LOG_LEVEL", "DEBUG"))) {
      s.post(
          "/api/providers/gpu/submit",
          "{\"provider\":\"runpod\",\"job\":{\"prompt\":\"loud-forest\"}}");
    }
    assertThat(new TestHome(dir).read("logs/providers_gpu.log")).contains("loud-forest");
  }

  private static void assertFeature(JsonNode j, boolean enabled) {
    assertThat(j.get("feature").get("name").asText()).isEqualTo("enable_public_gpu_adapters");
    assertThat(j.get("feature").get("enabled").asBoolean()).isEqualTo(enabled);
  }

  private static String submitBody(String provider, long seed) {
    return "{\"provider\":\""
        + provider
        + "\",\"seed\":"
        + seed
        + ",\"job\":{\"input\":{\"prompt\":\"a lighthouse\"}}}";
  }
}

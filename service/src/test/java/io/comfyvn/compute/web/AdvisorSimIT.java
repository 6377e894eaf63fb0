package io.comfyvn.compute.web;

import static io.comfyvn.compute.advisor.Workflows.txt2img;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The advisor, /simulate and sim-mode submit on a real server (port 0, temp home). */
class AdvisorSimIT {
  private static final ObjectMapper M = Json.mapper();
  private Server app;

  @TempDir Path home;

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  private Server start(Path dir, String advisorSection) {
    new TestHome(dir).config("{\"advisor\": " + advisorSection + "}");
    return Server.start(dir);
  }

  /** Status and parsed body. */
  private record Answer(int status, JsonNode body, String raw) {}

  private Answer call(Server a, String method, String path, String body) {
    Server.Reply r = a.request(method, path, body);
    return new Answer(r.status(), r.json(), r.body());
  }

  private static String adviseBody(ObjectNode workflow) {
    ObjectNode body = M.createObjectNode();
    body.putObject("workload").put("type", "cg_batch").set("workflow", workflow);
    return body.toString();
  }

  @Test
  void adviseAnswersComfyVnsShapeAndSdxlNeedsMoreThanSd15() throws Exception {
    app = start(home, "{\"local_gpu\": {\"name\": \"RTX 3060\", \"vram_gb\": 8}}");
    Answer sd15 =
        call(
            app,
            "POST",
            "/api/gpu/advise",
            adviseBody(txt2img("v1-5-pruned-emaonly.safetensors", 512, 512, 1)));
    Answer sdxl =
        call(
            app,
            "POST",
            "/api/gpu/advise",
            adviseBody(txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1)));
    assertThat(sd15.status()).isEqualTo(200);
    assertThat(sdxl.status()).isEqualTo(200);
    JsonNode a = sd15.body().path("advice");
    JsonNode b = sdxl.body().path("advice");
    assertThat(b.path("analysis").path("inferred_min_vram_gb").asDouble())
        .isGreaterThan(a.path("analysis").path("inferred_min_vram_gb").asDouble());
    assertThat(a.path("choice").asText()).isEqualTo("local");
    assertThat(b.path("choice").asText()).isEqualTo("remote");
    for (String field :
        new String[] {
          "workload",
          "local_candidate",
          "remote_candidate",
          "analysis",
          "reason",
          "choice",
          "estimated_cost",
          "job_summary",
          "candidates"
        }) {
      assertThat(b.has(field)).as(field).isTrue();
    }
    assertThat(b.path("estimated_cost").asText()).matches("\\$\\d+\\.\\d\\d");
    assertThat(b.path("candidates").get(0).path("dry_run").asBoolean()).isTrue();
    assertThat(sdxl.body().path("decision").path("dry_run").asBoolean()).isTrue();
    assertThat(sdxl.body().path("decision").path("mode_reasons").toString())
        .contains("enable_public_gpu_adapters");
    assertThat(sdxl.body().path("feature").path("enabled").asBoolean()).isFalse();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/api/gpu/advise|{\"workload\": {\"requirements\": {\"min_vram_gb\": -8}}}|400|invalid_value",
        "/api/gpu/advise|{\"workload\": {\"budget\": {\"limit_usd\": 1e15}}}|400|invalid_value",
        "/api/gpu/advise|{\"workload\": {\"workflow\": {\"1\": {\"inputs\": {}}}}}|400|invalid_workflow",
        "/api/gpu/advise|{\"workload\": {\"workflow\": [1, 2]}}|400|invalid_workflow",
        "/api/gpu/advise|{\"prefer_remote\": 1}|400|invalid_type",
        "/api/gpu/advise|{\"provider\": \"nope\"}|404|unknown_provider",
        "/api/gpu/advise|[1]|400|invalid_body",
        "/api/gpu/advise|{not json|400|invalid_json",
        "/api/providers/gpu/simulate|{\"provider\": \"nope\", \"job\": {}}|404|unknown_provider",
        "/api/providers/gpu/simulate|{\"job\": {}}|400|missing_field",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {}, \"seed\": -1}|400|invalid_seed",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {}, \"seed\": \"x\"}|400|invalid_seed",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {\"workflow\": {\"1\": 3}}}|400|invalid_workflow",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {\"hardware\": \"TPU\"}}|400|unknown_hardware",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": 7}|400|invalid_type",
        "/api/providers/gpu/submit|{\"provider\": \"modal\", \"mode\": \"sim\", \"job\": {\"workflow\": \"x\", \"prompt\": 5}}|400|invalid_workflow"
      })
  void badInputIsAJson4xx(String path, String body, int status, String code) throws Exception {
    app = start(home, "{}");
    Answer r = call(app, "POST", path, body);
    assertThat(r.status()).isEqualTo(status);
    assertThat(r.body().path("ok").asBoolean(true)).isFalse();
    assertThat(r.body().path("code").asText()).isEqualTo(code);
    assertThat(r.body().path("message").asText()).isNotBlank();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/api/gpu/advise|{\"workload\": {\"budget\": {\"limit_usd\": 1e400}}}",
        "/api/gpu/advise|{\"max_candidates\": 1e400}",
        "/api/gpu/advise|{\"local_gpu\": {\"vram_gb\": 1e400}}",
        "/api/gpu/advise|{\"local_gpu\": 12}",
        "/api/gpu/advise|{\"providers\": [\"runpod\", \"runpod\", \"lan\"]}",
        "/api/gpu/advise|{\"provider\": \"local\"}",
        "/api/gpu/advise|{\"workload\": {\"workflow\": {\"1\": {\"class_type\": \"EmptyLatentImage\", \"inputs\": {\"width\": 1e400, \"height\": 8}}}}}",
        "/api/gpu/advise|{\"workload\": {\"workflow\": {\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"steps\": [\"2\", 0]}}}}}",
        "/api/gpu/advise|{\"workload\": {\"assets\": [{\"size_bytes\": 1e30}]}}",
        "/api/gpu/advise|{\"workload\": {\"type\": \"\"}}",
        "/api/gpu/advise|",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {\"estimated_seconds\": 1e-300}}",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"seed\": 9007199254740991}",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"seed\": 9007199254740992}",
        "/api/providers/gpu/simulate|{\"provider\": \"modal\", \"job\": {\"prompt\": []}}",
        "/api/providers/gpu/simulate|{\"provider\": \"\"}",
        "/api/providers/gpu/simulate|",
        "/api/providers/gpu/submit|{\"provider\": \"hf\", \"mode\": \"sim\", \"job\": {\"hardware\": \"nvidia-h200\", \"estimated_seconds\": 86400}}"
      })
  void oddInputNeverGetsA500(String path, String body) throws Exception {
    app = start(home, "{}");
    Answer r = call(app, "POST", path, body == null ? "" : body);
    assertThat(r.status()).as(r.raw()).isLessThan(500);
    assertThat(r.body().has("ok")).isTrue();
    if (r.status() >= 400) {
      assertThat(r.body().path("code").asText()).isNotBlank();
    }
  }

  @Test
  void simulateGivesTheSameBytesTwiceAndAcrossFreshServers(@TempDir Path other) throws Exception {
    app = start(home, "{}");
    String body = "{\"provider\": \"hf\", \"job\": {\"prompt\": \"a castle\"}, \"seed\": 4242}";
    Answer one = call(app, "POST", "/api/providers/gpu/simulate", body);
    Answer two = call(app, "POST", "/api/providers/gpu/simulate", body);
    assertThat(one.status()).isEqualTo(200);
    assertThat(two.raw()).isEqualTo(one.raw());
    try (Server second = start(other, "{}")) {
      assertThat(call(second, "POST", "/api/providers/gpu/simulate", body).raw())
          .isEqualTo(one.raw());
    }
    JsonNode s = one.body();
    assertThat(s.path("ok").asBoolean()).isTrue();
    assertThat(s.path("dry_run").asBoolean()).isTrue();
    assertThat(s.path("provider").asText()).isEqualTo("huggingface");
    assertThat(s.path("seed").asLong()).isEqualTo(4242);
    assertThat(s.path("outcome").asText()).isIn("done", "error", "timeout", "canceled");
    assertThat(s.path("cold_start").isBoolean()).isTrue();
    assertThat(s.path("retries").isInt()).isTrue();
    assertThat(s.path("transcript").size()).isEqualTo(s.path("events").size() + 1);
    assertThat(s.path("events").get(0).has("t_ms")).isTrue();
    assertThat(s.path("decision").path("mode").asText()).isEqualTo("sim");
    assertThat(s.path("cost").path("usd").isNumber()).isTrue();
    assertThat(s.path("artifacts").isArray()).isTrue();
    assertThat(s.path("feature").path("name").asText()).isEqualTo("enable_public_gpu_adapters");
    Answer otherSeed =
        call(app, "POST", "/api/providers/gpu/simulate", body.replace("4242", "4243"));
    assertThat(otherSeed.raw()).isNotEqualTo(one.raw());
  }

  @Test
  void everySubmitAnswerCarriesAnEstimate() throws Exception {
    app = start(home, "{}");
    Answer r =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"replicate\", \"job\": {\"prompt\": \"x\"}, \"seed\": 1}");
    assertThat(r.status()).isEqualTo(200);
    JsonNode e = r.body().path("estimate");
    assertThat(e.path("usd").asDouble()).isPositive();
    assertThat(e.path("seconds").asDouble()).isPositive();
    assertThat(e.path("gpu").asText()).isEqualTo("L40S");
    assertThat(e.path("price_as_of").asText()).matches("\\d{4}-\\d{2}-\\d{2}");
    assertThat(e.path("basis").asText()).contains("gpu-l40s");
  }

  @Test
  void aSelfHostedComfyUiIsFreeAndThePinnedAdvisorPickRunsOnItsAdapter() throws Exception {
    app = start(home, "{}");
    Answer est =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"unraid\", \"job\": {\"input\": {\"prompt\": \"x\"}}, \"seed\": 1}");
    assertThat(est.body().path("id").asText()).isEqualTo("mock-comfyui-1");
    assertThat(est.body().path("estimate").path("usd").asDouble()).isZero();
    assertThat(est.body().path("estimate").path("gpu").asText()).isEqualTo("RTX 4090");
    Answer sim =
        call(
            app,
            "POST",
            "/api/providers/gpu/simulate",
            "{\"provider\": \"local\", \"job\": {\"prompt\": \"x\"}, \"seed\": 5}");
    assertThat(sim.status()).as(sim.raw()).isEqualTo(200);
    assertThat(sim.body().path("provider").asText()).isEqualTo("comfyui");
    assertThat(sim.body().path("cost").path("usd").asDouble()).isZero();
    Answer advice =
        call(
            app,
            "POST",
            "/api/gpu/advise",
            "{\"provider\": \"comfyui\", \"workload\": {\"type\": \"cg_batch\"}}");
    JsonNode d = advice.body().path("decision");
    assertThat(d.path("provider").asText()).as(advice.raw()).isEqualTo("comfyui");
    assertThat(d.path("adapter").asText()).isEqualTo("public:comfyui");
    assertThat(d.path("mode").asText()).isEqualTo("dry_run");
  }

  @Test
  void aSimSubmitMovesThroughPollAndTheJobList() throws Exception {
    app = start(home, "{\"sim\": {\"time_scale\": 0.001}}");
    Answer r =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"runpod\", \"mode\": \"sim\", \"job\": {\"prompt\": \"x\"}, \"seed\": 9}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("mode").asText()).isEqualTo("sim");
    assertThat(r.body().path("dry_run").asBoolean()).isTrue();
    assertThat(r.body().path("id").asText()).isEqualTo("sim-runpod-9");
    assertThat(r.body().has("estimate")).isTrue();
    String task = r.body().path("task_id").asText();
    JsonNode poll = awaitTerminal(task);
    assertThat(poll.path("mode").asText()).isEqualTo("sim");
    JsonNode byJobId =
        call(app, "GET", "/api/providers/gpu/poll/sim-runpod-9?provider=runpod", null).body();
    assertThat(byJobId.path("task_id").asText()).isEqualTo(task);
    JsonNode bySimIdAlone = call(app, "GET", "/api/providers/gpu/poll/sim-runpod-9", null).body();
    assertThat(bySimIdAlone.path("task_id").asText()).isEqualTo(task);
    assertThat(poll.path("status").asText()).isIn("done", "error", "canceled");
    assertThat(poll.path("logs").size()).isGreaterThan(1);
    JsonNode jobs = call(app, "GET", "/jobs/all", null).body().path("jobs");
    JsonNode listed = null;
    for (JsonNode j : jobs) {
      if (j.path("id").asText().equals(task)) {
        listed = j;
      }
    }
    assertThat(listed).isNotNull();
    assertThat(listed.path("kind").asText()).isEqualTo("public.gpu.submit");
    assertThat(listed.path("meta").path("mode").asText()).isEqualTo("sim");
    assertThat(listed.path("meta").path("dry_run").asBoolean()).isTrue();
  }

  @Test
  void aDryRunSubmitWithSecretsCarriesAnEstimateAndNoSecret() throws Exception {
    Files.createDirectories(home.resolve("config"));
    Files.writeString(
        home.resolve("config/comfyvn.secrets.json"),
        "{\"runpod\": {\"api_key\": \"RP_TOPSECRET_123\"}}");
    app = start(home, "{}");
    Answer r =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"runpod\", \"job\": {\"hardware\": \"AMPERE_80\"}, \"seed\": 5}");
    assertThat(r.body().path("ok").asBoolean()).isTrue();
    assertThat(r.body().path("id").asText()).isEqualTo("mock-runpod-5");
    assertThat(r.body().path("estimate").path("sku").asText()).isEqualTo("AMPERE_80");
    assertThat(r.body().path("estimate").path("gpu").asText()).isEqualTo("A100 80GB");
    assertThat(r.raw()).doesNotContain("TOPSECRET");
    Answer advice = call(app, "POST", "/api/gpu/advise", "{\"provider\": \"runpod\"}");
    assertThat(advice.raw()).doesNotContain("TOPSECRET");
    assertThat(advice.body().path("decision").path("mode_reasons").toString())
        .doesNotContain("missing secrets")
        .contains("enable_public_gpu_adapters");
  }

  @Test
  void aRunningSimTaskCanBeCanceled() throws Exception {
    // Scale 1: a 10-minute simulated run really takes minutes, so it is running when canceled.
    app = start(home, "{\"sim\": {\"time_scale\": 1}}");
    Answer r =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"modal\", \"mode\": \"sim\", \"job\": {\"estimated_seconds\": 600}, \"seed\": 3}");
    String task = r.body().path("task_id").asText();
    Answer c = call(app, "POST", "/api/providers/gpu/cancel/" + task, "{}");
    assertThat(c.status()).isEqualTo(200);
    assertThat(c.body().path("canceled").asBoolean()).isTrue();
    assertThat(
            call(app, "GET", "/api/providers/gpu/poll/" + task, null)
                .body()
                .path("status")
                .asText())
        .isEqualTo("canceled");
  }

  @Test
  void unfinishedSimTasksFinishAfterARestart() throws Exception {
    app = start(home, "{\"sim\": {\"time_scale\": 100}}");
    Answer r =
        call(
            app,
            "POST",
            "/api/providers/gpu/submit",
            "{\"provider\": \"replicate\", \"mode\": \"sim\", \"job\": {}, \"seed\": 77}");
    String task = r.body().path("task_id").asText();
    assertThat(
            call(app, "GET", "/api/providers/gpu/poll/" + task, null)
                .body()
                .path("status")
                .asText())
        .isEqualTo("queued");
    app.close();
    app = start(home, "{\"sim\": {\"time_scale\": 0}}");
    JsonNode poll = awaitTerminal(task);
    assertThat(poll.path("status").asText()).isIn("done", "error", "canceled");
  }

  @Test
  void theCatalogIsServed() throws Exception {
    app =
        start(
            home,
            "{\"self_hosted\": [{\"id\": \"attic\", \"gpu\": \"RTX 3090\", \"vram_gb\": 24, \"usd_per_hour\": 0.05}]}");
    Answer r = call(app, "GET", "/api/gpu/catalog", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("offers").asInt()).isGreaterThan(40);
    assertThat(r.raw()).contains("\"attic\"").contains("\"price_as_of\":\"2026-06-08\"");
  }

  /** Polls until the task is terminal; bounded, and asserts nothing about how long it took. */
  private JsonNode awaitTerminal(String task) throws Exception {
    JsonNode poll = null;
    for (int i = 0; i < 300; i++) {
      poll = call(app, "GET", "/api/providers/gpu/poll/" + task, null).body();
      if (!poll.path("status").asText().equals("queued")
          && !poll.path("status").asText().equals("running")) {
        return poll;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("task did not finish: " + poll);
  }
}

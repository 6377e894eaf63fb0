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

  private static final String SUBMIT = "/api/providers/gpu/submit";
  private static final String SIMULATE = "/api/providers/gpu/simulate";
  private static final String ADVISE = "/api/gpu/advise";

  /** A POST to this test's server. */
  private Answer post(String path, String body) {
    return call(app, "POST", path, body);
  }

  /** A GET on this test's server. */
  private Answer get(String path) {
    return call(app, "GET", path, null);
  }

  /** A server whose sim tasks play at {@code timeScale}, and a sim submit to it. */
  private Answer startAndSubmitSim(String timeScale, String provider, String job, int seed) {
    app = start(home, "{\"sim\": {\"time_scale\": " + timeScale + "}}");
    return post(
        SUBMIT,
        "{\"provider\": \""
            + provider
            + "\", \"mode\": \"sim\", \"job\": "
            + job
            + ", \"seed\": "
            + seed
            + "}");
  }

  /** A task's status word as the poll route answers it. */
  private String pollStatus(String task) {
    return get("/api/providers/gpu/poll/" + task).body().path("status").asText();
  }

  private static String adviseBody(ObjectNode workflow) {
    ObjectNode body = M.createObjectNode();
    body.putObject("workload").put("type", "cg_batch").set("workflow", workflow);
    return body.toString();
  }

  @Test
  void adviseAnswersComfyVnsShapeAndSdxlNeedsMoreThanSd15() throws Exception {
    app = start(home, "{\"local_gpu\": {\"name\": \"RTX 3060\", \"vram_gb\": 8}}");
    Answer sd15 = post(ADVISE, adviseBody(txt2img("v1-5-pruned-emaonly.safetensors", 512, 512, 1)));
    Answer sdxl = post(ADVISE, adviseBody(txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1)));
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
    Answer r = post(path, body);
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
    Answer r = post(path, body == null ? "" : body);
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
    Answer one = post(SIMULATE, body);
    Answer two = post(SIMULATE, body);
    assertThat(one.status()).isEqualTo(200);
    assertThat(two.raw()).isEqualTo(one.raw());
    try (Server second = start(other, "{}")) {
      assertThat(call(second, "POST", SIMULATE, body).raw()).isEqualTo(one.raw());
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
    Answer otherSeed = post(SIMULATE, body.replace("4242", "4243"));
    assertThat(otherSeed.raw()).isNotEqualTo(one.raw());
  }

  /**
   * Every submit answer carries an estimate of the job on the provider's configured hardware (or
   * the job's own), dry-run with or without secrets and sim alike; a self-hosted box is free.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      value = {
        // submit body | id | gpu | free | basis names
        "{\"provider\": \"replicate\", \"job\": {\"prompt\": \"x\"}, \"seed\": 1}|-|L40S|false|gpu-l40s",
        "{\"provider\": \"unraid\", \"job\": {\"input\": {\"prompt\": \"x\"}}, \"seed\": 1}|mock-comfyui-1|RTX 4090|true|-",
        "{\"provider\": \"runpod\", \"mode\": \"sim\", \"job\": {\"prompt\": \"x\"}, \"seed\": 9}|sim-runpod-9|RTX 4090|false|ADA_24",
        "{\"provider\": \"runpod\", \"job\": {\"hardware\": \"AMPERE_80\"}, \"seed\": 5}|-|A100 80GB|false|AMPERE_80"
      })
  void everySubmitAnswerCarriesAnEstimate(
      String body, String id, String gpu, boolean free, String basis) throws Exception {
    app = start(home, "{}");
    Answer r = post(SUBMIT, body);
    assertThat(r.status()).as(r.raw()).isEqualTo(200);
    assertThat(r.body().path("id").asText(null)).isEqualTo(id);
    JsonNode e = r.body().path("estimate");
    assertThat(e.path("gpu").asText()).as(r.raw()).isEqualTo(gpu);
    if (free) {
      assertThat(e.path("usd").asDouble()).isZero();
    } else {
      assertThat(e.path("usd").asDouble()).isPositive();
    }
    assertThat(e.path("seconds").asDouble()).isPositive();
    assertThat(e.path("price_as_of").asText()).matches("\\d{4}-\\d{2}-\\d{2}");
    if (basis != null) {
      assertThat(e.path("basis").asText()).contains(basis);
    }
  }

  @Test
  void aSelfHostedComfyUiSimulatesForFreeAndThePinnedAdvisorPickRunsOnItsAdapter()
      throws Exception {
    app = start(home, "{}");
    Answer sim =
        post(SIMULATE, "{\"provider\": \"local\", \"job\": {\"prompt\": \"x\"}, \"seed\": 5}");
    assertThat(sim.status()).as(sim.raw()).isEqualTo(200);
    assertThat(sim.body().path("provider").asText()).isEqualTo("comfyui");
    assertThat(sim.body().path("cost").path("usd").asDouble()).isZero();
    Answer advice =
        post(ADVISE, "{\"provider\": \"comfyui\", \"workload\": {\"type\": \"cg_batch\"}}");
    JsonNode d = advice.body().path("decision");
    assertThat(d.path("provider").asText()).as(advice.raw()).isEqualTo("comfyui");
    assertThat(d.path("adapter").asText()).isEqualTo("public:comfyui");
    assertThat(d.path("mode").asText()).isEqualTo("dry_run");
  }

  @Test
  void aSimSubmitMovesThroughPollAndTheJobList() throws Exception {
    Answer r = startAndSubmitSim("0.001", "runpod", "{\"prompt\": \"x\"}", 9);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("mode").asText()).isEqualTo("sim");
    assertThat(r.body().path("dry_run").asBoolean()).isTrue();
    assertThat(r.body().path("id").asText()).isEqualTo("sim-runpod-9");
    assertThat(r.body().has("estimate")).isTrue();
    String task = r.body().path("task_id").asText();
    JsonNode poll = awaitTerminal(task);
    assertThat(poll.path("mode").asText()).isEqualTo("sim");
    JsonNode byJobId = get("/api/providers/gpu/poll/sim-runpod-9?provider=runpod").body();
    assertThat(byJobId.path("task_id").asText()).isEqualTo(task);
    JsonNode bySimIdAlone = get("/api/providers/gpu/poll/sim-runpod-9").body();
    assertThat(bySimIdAlone.path("task_id").asText()).isEqualTo(task);
    assertThat(poll.path("status").asText()).isIn("done", "error", "canceled");
    assertThat(poll.path("logs").size()).isGreaterThan(1);
    // the finished sim task's log reads as its log lines on /jobs/logs, as the page shows it
    Server.Reply log = app.request("GET", "/jobs/logs/" + task, null);
    assertThat(log.status()).as(log.body()).isEqualTo(200);
    java.util.List<String> lines = new java.util.ArrayList<>();
    poll.path("logs").forEach(l -> lines.add(l.asText()));
    assertThat(log.body().lines().toList()).isEqualTo(lines);
    JsonNode jobs = get("/jobs/all").body().path("jobs");
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
        post(
            SUBMIT,
            "{\"provider\": \"runpod\", \"job\": {\"hardware\": \"AMPERE_80\"}, \"seed\": 5}");
    assertThat(r.body().path("ok").asBoolean()).isTrue();
    assertThat(r.body().path("id").asText()).isEqualTo("mock-runpod-5");
    assertThat(r.body().path("estimate").path("sku").asText()).isEqualTo("AMPERE_80");
    assertThat(r.body().path("estimate").path("gpu").asText()).isEqualTo("A100 80GB");
    assertThat(r.raw()).doesNotContain("TOPSECRET");
    Answer advice = post(ADVISE, "{\"provider\": \"runpod\"}");
    assertThat(advice.raw()).doesNotContain("TOPSECRET");
    assertThat(advice.body().path("decision").path("mode_reasons").toString())
        .doesNotContain("missing secrets")
        .contains("enable_public_gpu_adapters");
  }

  @Test
  void aRunningSimTaskCanBeCanceled() throws Exception {
    // Scale 1: a 10-minute simulated run really takes minutes, so it is running when canceled.
    Answer r = startAndSubmitSim("1", "modal", "{\"estimated_seconds\": 600}", 3);
    String task = r.body().path("task_id").asText();
    Answer c = post("/api/providers/gpu/cancel/" + task, "{}");
    assertThat(c.status()).isEqualTo(200);
    assertThat(c.body().path("canceled").asBoolean()).isTrue();
    assertThat(pollStatus(task)).isEqualTo("canceled");
  }

  @Test
  void unfinishedSimTasksFinishAfterARestart() throws Exception {
    Answer r = startAndSubmitSim("100", "replicate", "{}", 77);
    String task = r.body().path("task_id").asText();
    assertThat(pollStatus(task)).isEqualTo("queued");
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
    Answer r = get("/api/gpu/catalog");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().path("offers").asInt()).isGreaterThan(40);
    assertThat(r.raw()).contains("\"attic\"").contains("\"price_as_of\":\"2026-06-08\"");
  }

  /** Polls until the task is terminal; bounded, and asserts nothing about how long it took. */
  private JsonNode awaitTerminal(String task) throws Exception {
    JsonNode poll = null;
    for (int i = 0; i < 300; i++) {
      poll = get("/api/providers/gpu/poll/" + task).body();
      if (!poll.path("status").asText().equals("queued")
          && !poll.path("status").asText().equals("running")) {
        return poll;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("task did not finish: " + poll);
  }
}

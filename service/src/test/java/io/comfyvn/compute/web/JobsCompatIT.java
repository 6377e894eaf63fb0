package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.support.ErrorShape;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ComfyVN's {@code POST /jobs/enqueue} and {@code GET /jobs/logs/{id}}. */
class JobsCompatIT {
  @TempDir Path home;
  private Server server;

  @BeforeEach
  void start() {
    new TestHome(home).allSecrets("compat");
    server = Server.start(home);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void anEnqueuedTaskIsRecordedQueuedWithItsKindMessageAndMeta() {
    Server.Reply r =
        server.post(
            "/jobs/enqueue",
            "{\"kind\":\"render.batch\",\"payload\":{\"scene\":3},\"message\":\"waiting\","
                + "\"meta\":{\"owner\":\"studio\"}}");
    assertThat(r.status()).isEqualTo(200);
    String id = r.json().get("id").asText();
    assertThat(r.json().get("ok").asBoolean()).isTrue();
    JsonNode job = server.get("/jobs/status/" + id).json().get("job");
    assertThat(job.get("kind").asText()).isEqualTo("render.batch");
    assertThat(job.get("status").asText()).isEqualTo("queued");
    assertThat(job.get("message").asText()).isEqualTo("waiting");
    assertThat(job.at("/meta/owner").asText()).isEqualTo("studio");
    assertThat(job.at("/meta/payload/scene").asInt()).isEqualTo(3);
    assertThat(job.has("mode")).as("not a GPU submit").isFalse();
    assertThat(server.get("/jobs/all").json().findValuesAsText("id")).contains(id);
    // each enqueue is a new task
    assertThat(
            server.post("/jobs/enqueue", "{\"kind\":\"render.batch\"}").json().get("id").asText())
        .isNotEqualTo(id);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{}|missing_field",
        "{\"kind\":\"\"}|invalid_type",
        "{\"kind\":\"has space\"}|invalid_value",
        "{\"kind\":\"public.gpu.submit\"}|reserved_kind",
        "{\"kind\":\"Provider.Bootstrap\"}|reserved_kind",
        "{\"kind\":\"k\",\"payload\":[1]}|invalid_type",
        "{\"kind\":\"k\",\"message\":7}|invalid_type",
        "{\"kind\":\"k\",\"meta\":\"x\"}|invalid_type",
        "[1]|invalid_body",
      })
  void badEnqueuesAreFourHundredsAndRecordNothing(String body, String code) {
    int before = server.get("/jobs/all").json().get("jobs").size();
    Server.Reply r = server.post("/jobs/enqueue", body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("code").asText()).as(r.body()).isEqualTo(code);
    ErrorShape.assertClientError(r);
    assertThat(server.get("/jobs/all").json().get("jobs").size()).isEqualTo(before);
  }

  @Test
  void aGpuTasksLogIsItsLogLines() {
    String task =
        server
            .post(
                "/api/providers/gpu/submit",
                "{\"provider\":\"runpod\",\"seed\":1,\"job\":{\"input\":{\"prompt\":\"x\"}}}")
            .json()
            .get("task_id")
            .asText();
    Server.Reply r = server.get("/jobs/logs/" + task);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("Simulated completion\n");
  }

  @Test
  void aBootstrapTasksLogIsItsLogFile() throws Exception {
    JsonNode b = server.post("/api/providers/bootstrap", "{\"id\":\"local\"}").json();
    String task = b.get("job").asText();
    String expected = Files.readString(home.resolve(b.get("logs_path").asText()));
    Server.Reply r = server.get("/jobs/logs/" + task);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(expected).contains("local");
  }

  @Test
  void aLogsPathSetByACallerNeverReadsAnotherFile() throws Exception {
    for (String path :
        new String[] {
          "config/comfyvn.secrets.json",
          "data/remote/../../config/comfyvn.secrets.json",
          home.resolve("config/comfyvn.secrets.json").toString(),
          "data/comfyvn-compute.db"
        }) {
      String id =
          server
              .post(
                  "/jobs/enqueue",
                  "{\"kind\":\"mine\",\"meta\":{\"logs_path\":\""
                      + path.replace("\\", "/")
                      + "\"}}")
              .json()
              .get("id")
              .asText();
      Server.Reply r = server.get("/jobs/logs/" + id);
      // a known task: its (empty) log, never the file its logs_path names
      assertThat(r.status()).as(path).isEqualTo(200);
      assertThat(r.body()).isEmpty();
    }
  }

  @Test
  void anUnknownTasksLogIsAJsonNotFound() {
    Server.Reply r = server.get("/jobs/logs/nope");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("ok").asBoolean(true)).isFalse();
    assertThat(r.json().get("code").asText()).isEqualTo("unknown_job");
    assertThat(r.json().get("message").asText()).isNotBlank();
  }
}

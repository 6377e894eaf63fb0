package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.support.ErrorShape;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.workflow.Problem;
import io.comfyvn.compute.workflow.TestGraphs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The workflow job through HTTP: {@code /submit}, {@code /simulate} and {@code /api/gpu/advise}
 * take the same {@code job} and refuse the same malformed graphs with the same 4xx, before any task
 * is written.
 */
class WorkflowJobIT {
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

  private static String body(JsonNode graph) {
    ObjectNode b = JsonNodeFactory.instance.objectNode();
    b.put("provider", "runpod").put("seed", 11);
    b.putObject("job").set("workflow", graph);
    return b.toString();
  }

  static List<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    TestGraphs.malformedGraphs()
        .forEach(
            a -> {
              for (String route :
                  new String[] {
                    "/api/providers/gpu/submit", "/api/providers/gpu/simulate", "/api/gpu/advise"
                  }) {
                Object[] g = a.get();
                out.add(Arguments.of(g[0], route, g[1], g[2]));
              }
            });
    return out;
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void aMalformedGraphIsTheSame4xxOnEveryRouteAndWritesNoTask(
      String name, String route, JsonNode graph, Problem problem) {
    int before = tasks();
    Reply r = server.post(route, body(graph));
    ErrorShape.assertClientError(r);
    assertThat(r.status())
        .as(r.body())
        .isEqualTo(
            problem.kind() == io.comfyvn.compute.errors.ComputeException.Kind.BAD_REQUEST
                ? 400
                : 422);
    assertThat(r.json().get("code").asText()).isEqualTo("invalid_workflow");
    assertThat(r.json().get("problem").asText()).isEqualTo(problem.wire());
    assertThat(tasks()).isEqualTo(before);
  }

  @Test
  void aTenMegabyteGraphIsRefusedAs413() {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    String text = "x".repeat(10_000);
    for (int i = 1; i <= 1000; i++) {
      ObjectNode n = g.putObject(Integer.toString(i));
      n.put("class_type", "CLIPTextEncode");
      n.putObject("inputs").put("text", text);
    }
    Reply r = server.post("/api/providers/gpu/submit", body(g));
    ErrorShape.assertClientError(r);
    assertThat(r.status()).isEqualTo(413);
  }

  @Test
  void aWellFormedWorkflowJobIsAcceptedOnEveryRoute() {
    String b = body(TestGraphs.sdxlImg2Img());
    Reply submit = server.post("/api/providers/gpu/submit", b);
    assertThat(submit.status()).as(submit.body()).isEqualTo(200);
    assertThat(submit.json().get("ok").asBoolean()).isTrue();
    Reply sim = server.post("/api/providers/gpu/simulate", b);
    assertThat(sim.status()).as(sim.body()).isEqualTo(200);
    assertThat(sim.json().path("workflow").path("family").asText()).isEqualTo("sdxl");
    Reply advise = server.post("/api/gpu/advise", b);
    assertThat(advise.status()).as(advise.body()).isEqualTo(200);
    assertThat(advise.json().path("advice").toString()).contains("sdxl");
  }

  @Test
  void anInputTheGraphDoesNotNameIsRefusedBeforeAnyTask() {
    ObjectNode b = JsonNodeFactory.instance.objectNode();
    b.put("provider", "runpod");
    ObjectNode job = b.putObject("job");
    job.set("workflow", TestGraphs.sdxlImg2Img());
    job.putObject("inputs").put("dog.png", "iVBORw0KGgo=");
    int before = tasks();
    Reply r = server.post("/api/providers/gpu/submit", b.toString());
    ErrorShape.assertClientError(r);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("code").asText()).isEqualTo("invalid_input");
    assertThat(r.json().get("problem").asText()).isEqualTo("unreferenced_input");
    assertThat(r.json().get("message").asText()).contains("castle_sketch.png");
    assertThat(tasks()).isEqualTo(before);
  }

  private static int tasks() {
    Reply r = server.get("/jobs/all");
    assertThat(r.status()).isEqualTo(200);
    JsonNode j = r.json();
    JsonNode list = j.isArray() ? j : j.path("tasks");
    return list.size();
  }
}

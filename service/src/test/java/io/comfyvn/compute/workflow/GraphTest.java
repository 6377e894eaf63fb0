package io.comfyvn.compute.workflow;

import static io.comfyvn.compute.workflow.TestGraphs.link;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GraphTest {
  private static final Limits LIMITS = Limits.DEFAULT;

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.comfyvn.compute.workflow.TestGraphs#malformedGraphs")
  void malformedGraphsAreRefusedWithTheProblemAndTheNode(
      String name, JsonNode graph, Problem problem, String nodeId) {
    assertThatThrownBy(() -> Graph.parse(graph, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(problem);
              assertThat(e.code()).isEqualTo("invalid_workflow");
              assertThat(e.details().get("problem")).isEqualTo(problem.wire());
              if (nodeId != null) {
                assertThat(e.details().get("node_id")).isEqualTo(nodeId);
              }
              assertThat(e.kind()).isIn(Kind.BAD_REQUEST, Kind.UNPROCESSABLE);
            });
  }

  @Test
  void structuralProblemsAre400AndUnrunnableGraphs422() {
    assertThat(Problem.BAD_LINK.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(Problem.DANGLING_LINK.kind()).isEqualTo(Kind.UNPROCESSABLE);
    assertThat(Problem.CYCLE.kind()).isEqualTo(Kind.UNPROCESSABLE);
    assertThat(Problem.TOO_LARGE.kind()).isEqualTo(Kind.TOO_LARGE);
  }

  @Test
  void aTenMegabyteGraphIsRefusedAsTooLarge() {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    String text = "x".repeat(10_000);
    for (int i = 1; i <= 1000; i++) {
      ObjectNode n = g.putObject(Integer.toString(i));
      n.put("class_type", "CLIPTextEncode");
      n.putObject("inputs").put("text", text);
    }
    assertThatThrownBy(() -> Graph.parse(g, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(Problem.TOO_LARGE);
              assertThat(e.code()).isEqualTo("workflow_too_large");
              assertThat(e.kind()).isEqualTo(Kind.TOO_LARGE);
            });
  }

  @Test
  void moreNodesThanTheLimitAreRefused() {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i <= LIMITS.maxNodes(); i++) {
      g.putObject(Integer.toString(i)).put("class_type", "A").putObject("inputs");
    }
    assertThatThrownBy(() -> Graph.parse(g, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class, e -> assertThat(e.problem()).isEqualTo(Problem.TOO_LARGE));
  }

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 25);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void keyOrderNeverChangesTheBytes(long seed) {
    Random random = new Random(seed);
    ObjectNode g = seed % 2 == 0 ? TestGraphs.sdxlImg2Img() : TestGraphs.randomDag(random, 30);
    Graph a = Graph.parse(g, LIMITS);
    Graph b = Graph.parse(TestGraphs.shuffled(g, random), LIMITS);
    assertThat(b.bytes()).isEqualTo(a.bytes());
    assertThat(b.sha256()).isEqualTo(a.sha256()).hasSize(64);
    assertThat(a.json()).isEqualTo(g);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void executionOrderPutsEveryNodeAfterItsSources(long seed) {
    Random random = new Random(seed);
    Graph g = Graph.parse(TestGraphs.randomDag(random, 5 + random.nextInt(60)), LIMITS);
    List<String> order = g.executionOrder();
    assertThat(order).hasSize(g.size()).doesNotHaveDuplicates();
    for (Node n : g.nodes()) {
      for (Link l : n.links().values()) {
        assertThat(order.indexOf(l.node())).isLessThan(order.indexOf(n.id()));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void aBackLinkInARandomGraphIsACycleNamingNodesOnIt(long seed) {
    Random random = new Random(seed);
    ObjectNode g = TestGraphs.randomDag(random, 10 + random.nextInt(30));
    // link the first node to the last, which (through its chain) may or may not reach it: make
    // sure it does by linking the last node directly to the first, too.
    List<String> ids = new java.util.ArrayList<>();
    g.fieldNames().forEachRemaining(ids::add);
    String first = ids.get(0);
    String last = ids.get(ids.size() - 1);
    ((ObjectNode) g.get(last).get("inputs")).set("back", link(first, 0));
    ((ObjectNode) g.get(first).get("inputs")).set("loop", link(last, 0));
    assertThatThrownBy(() -> Graph.parse(g, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(Problem.CYCLE);
              assertThat((String) e.details().get("node_id")).isIn(first, last);
              assertThat(e.getMessage()).contains(first).contains(last);
            });
  }

  @Test
  void nodesAreReadInNumericOrderWithLinksAndLiterals() {
    Graph g = Graph.parse(TestGraphs.sdxlImg2Img(), LIMITS);
    assertThat(g.nodes().stream().map(Node::id))
        .containsExactly("3", "4", "6", "7", "8", "9", "10", "11", "12");
    Node sampler = g.node("3").orElseThrow();
    assertThat(sampler.classType()).isEqualTo("KSampler");
    assertThat(sampler.links()).containsEntry("model", new Link("4", 0)).hasSize(4);
    assertThat(sampler.whole("steps")).hasValue(20);
    assertThat(g.node("10").orElseThrow().text("image")).hasValue("castle_sketch.png");
    assertThat(g.executionOrder()).startsWith("4").endsWith("9");
  }

  @Test
  void withReplacesLiteralsAndKeepsTheGraphCanonical() {
    Graph g = Graph.parse(TestGraphs.sdxlImg2Img(), LIMITS);
    Graph h = g.with(Map.of("3", Map.of("seed", JsonNodeFactory.instance.numberNode(5L))), LIMITS);
    assertThat(h.node("3").orElseThrow().whole("seed")).hasValue(5);
    assertThat(h.sha256()).isNotEqualTo(g.sha256());
    assertThat(Graph.parse(h.json(), LIMITS).bytes()).isEqualTo(h.bytes());
  }
}

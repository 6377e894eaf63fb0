package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReceivedGraphsTest {
  private static ObjectNode graph(int n) {
    ObjectNode g = FakeJson.mapper().createObjectNode();
    g.putObject("9").put("class_type", "SaveImage").putObject("inputs").put("n", n);
    return g;
  }

  @Test
  void keepsTheLast256AndDropsTheOldestFirst() {
    ReceivedGraphs received = new ReceivedGraphs();
    int total = ReceivedGraphs.CAP + 44;
    for (int i = 0; i < total; i++) {
      received.record(i % 2 == 0 ? "modal" : "runpod", graph(i), Map.of());
    }
    List<ReceivedGraph> all = received.all();
    assertThat(ReceivedGraphs.CAP).isEqualTo(256);
    assertThat(all).hasSize(256);
    // the first 44 are gone; the rest are kept in arrival order
    assertThat(all.get(0).graph()).contains("\"n\":44");
    assertThat(all.get(255).graph()).contains("\"n\":" + (total - 1));
    assertThat(received.of("modal")).hasSize(128);
    assertThat(received.of("runpod")).hasSize(128);
  }

  @Test
  void aSmallCapKeepsThatMany() {
    ReceivedGraphs received = new ReceivedGraphs(2);
    for (int i = 0; i < 3; i++) {
      received.record("comfyui", graph(i), Map.of());
    }
    assertThat(received.all())
        .extracting(ReceivedGraph::graph)
        .containsExactly(
            "{\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"n\":1}}}",
            "{\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"n\":2}}}");
    assertThatThrownBy(() -> new ReceivedGraphs(0)).isInstanceOf(IllegalArgumentException.class);
  }
}

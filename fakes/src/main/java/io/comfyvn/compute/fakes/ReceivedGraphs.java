package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The graphs the fakes handed to their stand-in ComfyUI ({@link FakeKit#execute}: run or refused),
 * in arrival order: what tests compare across providers. Only the last {@value #CAP} are kept (a
 * {@code fake-providers} process left running keeps no more), the oldest dropped first.
 */
final class ReceivedGraphs {
  /** How many graphs are kept. */
  static final int CAP = 256;

  private static final ObjectMapper MAPPER = FakeJson.mapper();
  private final int cap;
  private final ArrayDeque<ReceivedGraph> all = new ArrayDeque<>();

  ReceivedGraphs() {
    this(CAP);
  }

  ReceivedGraphs(int cap) {
    if (cap < 1) {
      throw new IllegalArgumentException("cap must be at least 1");
    }
    this.cap = cap;
  }

  /**
   * Records a graph. The loader inputs that name files are cut to the file name (ComfyUI reads
   * {@code comfyvn/ab12/sketch.png} from a subfolder of its input folder; the file is {@code
   * sketch.png}), nothing else is touched; of the inputs, the files the graph names are kept.
   */
  synchronized void record(String provider, ObjectNode graph, Map<String, byte[]> inputs) {
    ObjectNode g = graph.deepCopy();
    for (Map.Entry<String, JsonNode> n : g.properties()) {
      String input = FakeExecutor.INPUT_LOADERS.get(n.getValue().path("class_type").asText(""));
      JsonNode in = n.getValue().path("inputs");
      if (input != null && in.path(input).isTextual()) {
        ((ObjectNode) in).put(input, FakeExecutor.baseName(in.get(input).asText()));
      }
    }
    String text;
    try {
      text = MAPPER.writeValueAsString(g);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
    Map<String, String> files = new TreeMap<>();
    List<JsonNode> nodes = new ArrayList<>();
    graph.forEach(nodes::add);
    FakeExecutor.referenced(nodes, inputs)
        .forEach((name, data) -> files.put(name, FakeExecutor.hex(FakeExecutor.digest(data))));
    if (all.size() == cap) {
      all.removeFirst();
    }
    all.addLast(
        new ReceivedGraph(
            provider,
            text,
            FakeExecutor.hex(FakeExecutor.digest(text.getBytes(StandardCharsets.UTF_8))),
            files));
  }

  synchronized List<ReceivedGraph> of(String provider) {
    return all.stream().filter(r -> r.provider().equals(provider)).toList();
  }

  synchronized List<ReceivedGraph> all() {
    return List.copyOf(all);
  }
}

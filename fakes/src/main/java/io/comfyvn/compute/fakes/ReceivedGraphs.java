package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every graph the fakes ran (or refused), in arrival order: what tests compare across providers.
 */
final class ReceivedGraphs {
  private static final ObjectMapper MAPPER = FakeJson.mapper();
  private final List<ReceivedGraph> all = new ArrayList<>();

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
    all.add(
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

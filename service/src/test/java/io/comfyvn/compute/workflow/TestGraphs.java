package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The two workflows the tests run everywhere, and ways to build and shuffle graphs. */
public final class TestGraphs {
  private TestGraphs() {}

  /** SDXL image-to-image: LoadImage castle_sketch.png, scaled to 1024x1024, SaveImage. */
  public static ObjectNode sdxlImg2Img() {
    return resource("sdxl_img2img.json");
  }

  /** Wan 2.1 text-to-video, 832x480x33: SaveAnimatedWEBP and SaveVideo (mp4). */
  public static ObjectNode wanVideo() {
    return resource("wan_t2v_video.json");
  }

  static ObjectNode resource(String name) {
    try (InputStream in = TestGraphs.class.getResourceAsStream("/workflows/" + name)) {
      return (ObjectNode) Json.mapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses JSON text, single quotes allowed for readability. */
  public static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text.replace('\'', '"'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A link to another node's output. */
  public static ArrayNode link(String node, int output) {
    return JsonNodeFactory.instance.arrayNode().add(node).add(output);
  }

  /** The same JSON with every object's keys in a random order. */
  public static JsonNode shuffled(JsonNode node, Random random) {
    if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      node.properties().forEach(fields::add);
      Collections.shuffle(fields, random);
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      fields.forEach(e -> out.set(e.getKey(), shuffled(e.getValue(), random)));
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(n -> out.add(shuffled(n, random)));
      return out;
    }
    return node;
  }

  /**
   * A random acyclic graph: node i links only to nodes before it, ids shuffled, a SaveImage last.
   */
  public static ObjectNode randomDag(Random random, int size) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ids.add(Integer.toString(random.nextInt(100_000) * 10 + i % 10));
    }
    ids = new ArrayList<>(new java.util.LinkedHashSet<>(ids));
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < ids.size(); i++) {
      ObjectNode n = g.putObject(ids.get(i));
      n.put("class_type", i == ids.size() - 1 ? "SaveImage" : "Node" + random.nextInt(5));
      ObjectNode in = n.putObject("inputs");
      in.put("value", random.nextInt(1000));
      int links = i == 0 ? 0 : random.nextInt(Math.min(i, 3) + 1);
      for (int k = 0; k < links; k++) {
        in.set("in" + k, link(ids.get(random.nextInt(i)), random.nextInt(3)));
      }
    }
    return g;
  }

  /** Malformed graphs: name, graph, the problem, the node it is about (or null). */
  public static Stream<Arguments> malformedGraphs() {
    return Stream.of(
        Arguments.of("an array", json("[1, 2]"), Problem.NOT_AN_OBJECT, null),
        Arguments.of("text", json("'graph'"), Problem.NOT_AN_OBJECT, null),
        Arguments.of("UI export", json("{'nodes': [], 'links': []}"), Problem.UI_FORMAT, null),
        Arguments.of("no nodes", json("{}"), Problem.EMPTY, null),
        Arguments.of(
            "space in id",
            json("{'a b': {'class_type': 'SaveImage', 'inputs': {}}}"),
            Problem.BAD_NODE_ID,
            "a b"),
        Arguments.of("node is text", json("{'1': 'SaveImage'}"), Problem.NOT_A_NODE, "1"),
        Arguments.of("no class_type", json("{'1': {'inputs': {}}}"), Problem.NO_CLASS_TYPE, "1"),
        Arguments.of(
            "class_type number",
            json("{'1': {'class_type': 7, 'inputs': {}}}"),
            Problem.NO_CLASS_TYPE,
            "1"),
        Arguments.of(
            "blank class_type",
            json("{'1': {'class_type': '  ', 'inputs': {}}}"),
            Problem.NO_CLASS_TYPE,
            "1"),
        Arguments.of(
            "no inputs", json("{'1': {'class_type': 'SaveImage'}}"), Problem.BAD_INPUTS, "1"),
        Arguments.of(
            "inputs array",
            json("{'1': {'class_type': 'SaveImage', 'inputs': []}}"),
            Problem.BAD_INPUTS,
            "1"),
        Arguments.of(
            "link of three",
            json(
                "{'1': {'class_type': 'A', 'inputs': {}}, '2': {'class_type': 'SaveImage',"
                    + " 'inputs': {'images': ['1', 0, 1]}}}"),
            Problem.BAD_LINK,
            "2"),
        Arguments.of(
            "link by number",
            json(
                "{'1': {'class_type': 'A', 'inputs': {}}, '2': {'class_type': 'SaveImage',"
                    + " 'inputs': {'images': [1, 0]}}}"),
            Problem.BAD_LINK,
            "2"),
        Arguments.of(
            "negative output",
            json(
                "{'1': {'class_type': 'A', 'inputs': {}}, '2': {'class_type': 'SaveImage',"
                    + " 'inputs': {'images': ['1', -1]}}}"),
            Problem.BAD_LINK,
            "2"),
        Arguments.of(
            "dangling link",
            json("{'2': {'class_type': 'SaveImage', 'inputs': {'images': ['8', 0]}}}"),
            Problem.DANGLING_LINK,
            "2"),
        Arguments.of(
            "self link",
            json("{'2': {'class_type': 'SaveImage', 'inputs': {'images': ['2', 0]}}}"),
            Problem.SELF_LINK,
            "2"),
        Arguments.of(
            "two-node cycle",
            json(
                "{'1': {'class_type': 'A', 'inputs': {'x': ['2', 0]}}, '2': {'class_type':"
                    + " 'SaveImage', 'inputs': {'images': ['1', 0]}}}"),
            Problem.CYCLE,
            null),
        Arguments.of(
            "three-node cycle behind a sane node",
            json(
                "{'1': {'class_type': 'A', 'inputs': {}}, '2': {'class_type': 'B', 'inputs':"
                    + " {'a': ['1', 0], 'c': ['4', 0]}}, '3': {'class_type': 'C', 'inputs': {'b':"
                    + " ['2', 0]}}, '4': {'class_type': 'D', 'inputs': {'c': ['3', 0]}}}"),
            Problem.CYCLE,
            null));
  }
}

package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A validated ComfyUI API-format graph ({@code {node_id: {class_type, inputs, _meta?}}}) in its
 * canonical form: nodes in {@link #NODE_ORDER}, every other object's keys in natural order, arrays
 * as given. The same graph therefore always gives the same {@link #bytes()} and {@link #sha256()},
 * whatever the key order of the request, and every provider is sent those bytes.
 *
 * <p>Validation follows what ComfyUI's own {@code validate_prompt} would refuse, but answers before
 * anything is sent: every array input must be a link {@code [node_id, output_index]} to another
 * node that exists, and the links must not go round in a circle.
 */
public final class Graph {
  /** Node ids are usually numbers: "9" before "10", then any other text in natural order. */
  public static final Comparator<String> NODE_ORDER =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  /** Letters, digits and {@code _ : . -}: ComfyUI's numbers and its subgraph ids ({@code 12:5}). */
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_:.\\-]{1,64}");

  private static final int MAX_CLASS_TYPE = 200;
  private static final int MAX_OUTPUT_INDEX = 1024;
  private static final ObjectMapper MAPPER = Json.mapper();

  private final ObjectNode json;
  private final Map<String, Node> nodes;
  private final byte[] bytes;
  private final String sha256;
  private final List<String> order;

  private Graph(ObjectNode json, Map<String, Node> nodes, byte[] bytes, List<String> order) {
    this.json = json;
    this.nodes = Collections.unmodifiableMap(nodes);
    this.bytes = bytes;
    this.sha256 = HexFormat.of().formatHex(sha256(bytes));
    this.order = List.copyOf(order);
  }

  /**
   * Validates a graph and puts it in canonical form.
   *
   * @throws WorkflowException with the {@link Problem} and the node and input it is about
   */
  public static Graph parse(JsonNode workflow, Limits limits) {
    if (workflow == null || !workflow.isObject()) {
      throw WorkflowException.of(
          Problem.NOT_AN_OBJECT,
          "job.workflow must be a ComfyUI API-format graph {node_id: {class_type, inputs}}");
    }
    if (workflow.path("nodes").isArray() || workflow.path("links").isArray()) {
      throw WorkflowException.of(
          Problem.UI_FORMAT,
          "job.workflow is a ComfyUI UI-format workflow (nodes, links); export it with"
              + " \"Save (API)\" / \"Export (API)\" and send that");
    }
    if (workflow.isEmpty()) {
      throw WorkflowException.of(Problem.EMPTY, "job.workflow has no nodes");
    }
    if (workflow.size() > limits.maxNodes()) {
      throw WorkflowException.of(
          Problem.TOO_LARGE,
          "job.workflow has " + workflow.size() + " nodes; at most " + limits.maxNodes());
    }
    TreeMap<String, JsonNode> raw = new TreeMap<>(NODE_ORDER);
    workflow.properties().forEach(e -> raw.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, JsonNode> e : raw.entrySet()) {
      shape(e.getKey(), e.getValue());
    }
    ObjectNode canonical = JsonNodeFactory.instance.objectNode();
    raw.forEach((id, node) -> canonical.set(id, sorted(node)));
    return build(canonical, limits);
  }

  /** Builds a graph from a canonical object whose node shapes were checked. */
  private static Graph build(ObjectNode canonical, Limits limits) {
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(canonical);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
    if (bytes.length > limits.maxGraphBytes()) {
      throw WorkflowException.of(
          Problem.TOO_LARGE,
          "job.workflow is "
              + bytes.length
              + " bytes as canonical JSON; at most "
              + limits.maxGraphBytes());
    }
    Map<String, Node> nodes = new TreeMap<>(NODE_ORDER);
    canonical
        .properties()
        .forEach(
            e -> {
              ObjectNode n = (ObjectNode) e.getValue();
              ObjectNode inputs = (ObjectNode) n.get("inputs");
              Map<String, Link> links = new TreeMap<>();
              inputs
                  .properties()
                  .forEach(
                      in -> {
                        if (in.getValue().isArray()) {
                          links.put(in.getKey(), link(e.getKey(), in.getKey(), in.getValue()));
                        }
                      });
              nodes.put(
                  e.getKey(), new Node(e.getKey(), n.get("class_type").asText(), inputs, links));
            });
    for (Node n : nodes.values()) {
      n.links()
          .forEach(
              (input, l) -> {
                if (!nodes.containsKey(l.node())) {
                  throw WorkflowException.at(
                      Problem.DANGLING_LINK,
                      n.id(),
                      input,
                      n
                          + " input '"
                          + WorkflowException.clip(input)
                          + "' links to node '"
                          + WorkflowException.clip(l.node())
                          + "', which the graph does not have");
                }
                if (l.node().equals(n.id())) {
                  throw WorkflowException.at(
                      Problem.SELF_LINK,
                      n.id(),
                      input,
                      n + " input '" + WorkflowException.clip(input) + "' links to its own output");
                }
              });
    }
    return new Graph(canonical, nodes, bytes, topological(nodes));
  }

  /** Checks one node's shape: id, class_type, inputs object, arrays only as links. */
  private static void shape(String id, JsonNode node) {
    if (!NODE_ID.matcher(id).matches()) {
      throw WorkflowException.at(
          Problem.BAD_NODE_ID,
          WorkflowException.clip(id),
          null,
          "node id '"
              + WorkflowException.clip(id)
              + "' must be 1 to 64 letters, digits or _ : . - (ComfyUI writes numbers)");
    }
    if (!node.isObject()) {
      throw WorkflowException.at(
          Problem.NOT_A_NODE, id, null, "node '" + id + "' must be an object {class_type, inputs}");
    }
    JsonNode ct = node.get("class_type");
    if (ct == null
        || !ct.isTextual()
        || ct.asText().isBlank()
        || ct.asText().length() > MAX_CLASS_TYPE
        || ct.asText().chars().anyMatch(Character::isISOControl)) {
      throw WorkflowException.at(
          Problem.NO_CLASS_TYPE,
          id,
          null,
          "node '"
              + id
              + "' needs a class_type: the node class name, 1 to 200 printable characters");
    }
    JsonNode inputs = node.get("inputs");
    if (inputs == null || !inputs.isObject()) {
      throw WorkflowException.at(
          Problem.BAD_INPUTS,
          id,
          null,
          ct.asText() + " #" + id + " needs an inputs object (empty when the node takes none)");
    }
    inputs
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isArray()) {
                link(id, e.getKey(), e.getValue());
              }
            });
  }

  /** An array input as a link; anything else an array can be is refused. */
  private static Link link(String id, String input, JsonNode v) {
    ArrayNode a = (ArrayNode) v;
    boolean ok =
        a.size() == 2
            && a.get(0).isTextual()
            && a.get(1).isIntegralNumber()
            && a.get(1).canConvertToInt()
            && a.get(1).asInt() >= 0
            && a.get(1).asInt() < MAX_OUTPUT_INDEX;
    if (!ok) {
      throw WorkflowException.at(
          Problem.BAD_LINK,
          id,
          WorkflowException.clip(input),
          "node '"
              + id
              + "' input '"
              + WorkflowException.clip(input)
              + "' is an array, so it must be a link [\"<node_id>\", <output_index>]");
    }
    return new Link(a.get(0).asText(), a.get(1).asInt());
  }

  /**
   * Kahn's algorithm, ready nodes taken in {@link #NODE_ORDER}: the order ComfyUI could run the
   * graph in, deterministic for the fakes' progress. What is left over sits on a cycle.
   */
  private static List<String> topological(Map<String, Node> nodes) {
    Map<String, Integer> waiting = new TreeMap<>(NODE_ORDER);
    Map<String, List<String>> feeds = new TreeMap<>(NODE_ORDER);
    for (Node n : nodes.values()) {
      TreeSet<String> sources = new TreeSet<>(NODE_ORDER);
      n.links().values().forEach(l -> sources.add(l.node()));
      waiting.put(n.id(), sources.size());
      for (String s : sources) {
        feeds.computeIfAbsent(s, k -> new ArrayList<>()).add(n.id());
      }
    }
    TreeSet<String> ready = new TreeSet<>(NODE_ORDER);
    waiting.forEach(
        (id, count) -> {
          if (count == 0) {
            ready.add(id);
          }
        });
    List<String> out = new ArrayList<>();
    while (!ready.isEmpty()) {
      String id = ready.pollFirst();
      out.add(id);
      for (String next : feeds.getOrDefault(id, List.of())) {
        int left = waiting.merge(next, -1, Integer::sum);
        if (left == 0) {
          ready.add(next);
        }
      }
    }
    if (out.size() < nodes.size()) {
      List<String> cycle = cycle(nodes, waiting);
      throw WorkflowException.at(
          Problem.CYCLE,
          cycle.get(0),
          null,
          "the links of nodes "
              + String.join(" -> ", cycle.stream().map(WorkflowException::clip).toList())
              + " go round in a circle; a graph must be acyclic");
    }
    return out;
  }

  /** One cycle among the nodes Kahn's algorithm could not order, as node ids. */
  private static List<String> cycle(Map<String, Node> nodes, Map<String, Integer> waiting) {
    String start = null;
    for (Map.Entry<String, Integer> e : waiting.entrySet()) {
      if (e.getValue() > 0) {
        start = e.getKey();
        break;
      }
    }
    // Every unordered node has an unordered source: walk back until a node repeats.
    Deque<String> path = new ArrayDeque<>();
    List<String> seen = new ArrayList<>();
    String at = start;
    while (!seen.contains(at)) {
      seen.add(at);
      path.addLast(at);
      String next = null;
      for (Link l : nodes.get(at).links().values()) {
        if (waiting.get(l.node()) > 0) {
          next = l.node();
          break;
        }
      }
      at = next;
    }
    List<String> walked = new ArrayList<>(path);
    List<String> loop = new ArrayList<>(walked.subList(walked.indexOf(at), walked.size()));
    Collections.reverse(loop); // walked against the links; show them in their direction
    loop.add(loop.get(0));
    return loop;
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      node.properties().forEach(e -> fields.put(e.getKey(), sorted(e.getValue())));
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  /**
   * This graph with some literal inputs replaced, canonical again.
   *
   * @param changes node id -> input name -> new value
   */
  Graph with(Map<String, Map<String, JsonNode>> changes, Limits limits) {
    if (changes.isEmpty()) {
      return this;
    }
    ObjectNode copy = json.deepCopy();
    changes.forEach(
        (id, inputs) -> {
          ObjectNode in = (ObjectNode) copy.get(id).get("inputs");
          inputs.forEach((name, value) -> in.set(name, sorted(value)));
          ObjectNode resorted = (ObjectNode) sorted(in);
          ((ObjectNode) copy.get(id)).set("inputs", resorted);
        });
    return build(copy, limits);
  }

  /** The nodes in {@link #NODE_ORDER}. */
  public List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  /** A node by id. */
  public Optional<Node> node(String id) {
    return Optional.ofNullable(nodes.get(id));
  }

  /** How many nodes the graph has. */
  public int size() {
    return nodes.size();
  }

  /** Node ids in an order ComfyUI could run them: every node after the nodes it links to. */
  public List<String> executionOrder() {
    return order;
  }

  /** A copy of the canonical graph, to embed in a provider's request. */
  public ObjectNode json() {
    return json.deepCopy();
  }

  /** The canonical JSON bytes, the same for the same graph on every provider. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The canonical JSON as text. */
  public String text() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Hex SHA-256 of {@link #bytes()}: the workflow hash recorded in provenance. */
  public String sha256() {
    return sha256;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Graph g && Arrays.equals(g.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return sha256.hashCode();
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }
}

package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One node of a validated graph: its id, class and inputs. Literal inputs are read with {@link
 * #text} and {@link #whole}; linked inputs are in {@link #links}. Immutable: {@link #inputs()}
 * hands out a copy.
 */
public final class Node {
  private final String id;
  private final String classType;
  private final ObjectNode inputs;
  private final Map<String, Link> links;

  Node(String id, String classType, ObjectNode inputs, Map<String, Link> links) {
    this.id = id;
    this.classType = classType;
    this.inputs = inputs.deepCopy();
    this.links = java.util.Collections.unmodifiableMap(new TreeMap<>(links));
  }

  /** The node id, a key of the API-format graph. */
  public String id() {
    return id;
  }

  /** The node class, such as {@code KSampler}. */
  public String classType() {
    return classType;
  }

  /** A copy of the node's inputs, literals and links as the graph writes them. */
  public ObjectNode inputs() {
    return inputs.deepCopy();
  }

  /** The linked inputs, by input name. */
  public Map<String, Link> links() {
    return links;
  }

  /** A literal text input, when the node has one by that name. */
  public Optional<String> text(String input) {
    JsonNode v = inputs.get(input);
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }

  /** A literal whole-number input that fits a long, when the node has one by that name. */
  public OptionalLong whole(String input) {
    JsonNode v = inputs.get(input);
    if (v == null || !v.isNumber()) {
      return OptionalLong.empty();
    }
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return OptionalLong.of(v.asLong());
    }
    double d = v.asDouble();
    return d == Math.rint(d) && Math.abs(d) < 9.0e15
        ? OptionalLong.of((long) d)
        : OptionalLong.empty();
  }

  /** Whether the input is a literal number (not a link, not text). */
  boolean isNumber(String input) {
    JsonNode v = inputs.get(input);
    return v != null && v.isNumber();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Node n
        && n.id.equals(id)
        && n.classType.equals(classType)
        && n.inputs.equals(inputs);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + classType.hashCode();
  }

  @Override
  public String toString() {
    return classType + " #" + id;
  }
}

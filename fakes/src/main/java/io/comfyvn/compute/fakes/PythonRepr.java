package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON values written as Python's {@code str()} of the parsed value writes them ({@code {'a': 'b',
 * 'n': None}}), because the runners' error texts are Python f-strings over ComfyUI's parsed JSON
 * and the service reads those texts.
 */
final class PythonRepr {
  private PythonRepr() {}

  static String of(JsonNode v) {
    StringBuilder b = new StringBuilder();
    write(v, b);
    return b.toString();
  }

  private static void write(JsonNode v, StringBuilder b) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      b.append("None");
    } else if (v.isBoolean()) {
      b.append(v.asBoolean() ? "True" : "False");
    } else if (v.isNumber()) {
      b.append(v.asText());
    } else if (v.isTextual()) {
      b.append(str(v.asText()));
    } else if (v.isArray()) {
      b.append('[');
      for (int i = 0; i < v.size(); i++) {
        if (i > 0) {
          b.append(", ");
        }
        write(v.get(i), b);
      }
      b.append(']');
    } else {
      b.append('{');
      Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        b.append(str(e.getKey())).append(": ");
        write(e.getValue(), b);
        if (it.hasNext()) {
          b.append(", ");
        }
      }
      b.append('}');
    }
  }

  /** Python's {@code repr} of a string: single quotes unless it holds one and no double quote. */
  static String str(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder b = new StringBuilder().append(q);
    for (char c : s.toCharArray()) {
      if (c == '\\') {
        b.append("\\\\");
      } else if (c == q) {
        b.append('\\').append(c);
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c == '\t') {
        b.append("\\t");
      } else {
        b.append(c);
      }
    }
    return b.append(q).toString();
  }

  /** Python's {@code str()} of a list of strings: {@code ['a', 'b']}. */
  static String list(java.util.List<String> items) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      b.append(i > 0 ? ", " : "").append(str(items.get(i)));
    }
    return b.append(']').toString();
  }
}

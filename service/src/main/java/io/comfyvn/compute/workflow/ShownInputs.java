package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * A workflow job's inputs as they may be shown (task answers, {@code /jobs/ws}, hook events, the
 * call log): an {@code http(s)} URL input keeps its scheme, host, path and query parameter names,
 * but each query value reads {@code ***} and the fragment is dropped. A pre-signed URL (S3's {@code
 * X-Amz-Signature}, GCS's {@code X-Goog-Signature}, Azure's SAS {@code sig}) is a bearer credential
 * for its object, and those answers reach more readers than the submitter: the task keeps the URL
 * whole, since a create rebuilt after a crash fetches it again.
 */
public final class ShownInputs {
  private ShownInputs() {}

  /**
   * The payload with its {@code inputs}' URL queries masked; the same object when nothing changes.
   */
  public static JsonNode of(JsonNode payload) {
    if (payload == null || !payload.path("inputs").isObject() || !hasQuery(payload.get("inputs"))) {
      return payload;
    }
    ObjectNode copy = ((ObjectNode) payload).deepCopy();
    ObjectNode inputs = (ObjectNode) copy.get("inputs");
    inputs
        .properties()
        .forEach(
            e -> {
              JsonNode v = e.getValue();
              if (v.isTextual()) {
                e.setValue(inputs.textNode(masked(v.asText())));
              } else if (v.isObject() && v.path("url").isTextual()) {
                ((ObjectNode) v).put("url", masked(v.get("url").asText()));
              }
            });
    return copy;
  }

  private static boolean hasQuery(JsonNode inputs) {
    for (JsonNode v : inputs) {
      String s = v.isTextual() ? v.asText() : v.path("url").asText("");
      if (isWeb(s) && (s.indexOf('?') >= 0 || s.indexOf('#') >= 0)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isWeb(String s) {
    String lower = s.strip().toLowerCase(Locale.ROOT);
    return lower.startsWith("https://") || lower.startsWith("http://");
  }

  /** {@code https://h/p?a=1&b=2#f} -> {@code https://h/p?a=***&b=***}; other text as it is. */
  static String masked(String s) {
    if (!isWeb(s)) {
      return s;
    }
    String t = s.strip();
    int hash = t.indexOf('#');
    if (hash >= 0) {
      t = t.substring(0, hash);
    }
    int q = t.indexOf('?');
    if (q < 0) {
      return t;
    }
    StringBuilder out = new StringBuilder(t.substring(0, q + 1));
    String[] params = t.substring(q + 1).split("&", -1);
    for (int i = 0; i < params.length; i++) {
      if (i > 0) {
        out.append('&');
      }
      int eq = params[i].indexOf('=');
      out.append(eq < 0 ? params[i] : params[i].substring(0, eq)).append(eq < 0 ? "" : "=***");
    }
    return out.toString();
  }
}

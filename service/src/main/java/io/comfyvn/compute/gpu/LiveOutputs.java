package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.gpu.LiveClient.Output;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the files in a provider's output JSON, whose shape the model or worker decides: every
 * http(s) URL and every base64 {@code data:} URI anywhere in it, and objects that carry inline
 * bytes as {@code {"base64": ..., "mime": ..., "name": ...}}. Plain text values are not files.
 */
public final class LiveOutputs {
  private static final Map<String, String> MIME_BY_EXTENSION =
      Map.ofEntries(
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("jpeg", "image/jpeg"),
          Map.entry("webp", "image/webp"),
          Map.entry("gif", "image/gif"),
          Map.entry("mp4", "video/mp4"),
          Map.entry("webm", "video/webm"),
          Map.entry("wav", "audio/wav"),
          Map.entry("mp3", "audio/mpeg"),
          Map.entry("json", "application/json"),
          Map.entry("txt", "text/plain"));

  private LiveOutputs() {}

  /** Every file in the output, in document order, each URL once. */
  public static List<Output> collect(JsonNode output) {
    Map<String, Output> found = new LinkedHashMap<>();
    walk(output, found);
    return new ArrayList<>(found.values());
  }

  /** One URL or data URI as an output, or null when the text is neither. */
  public static Output fromText(String text) {
    String t = text.strip();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.startsWith("data:")) {
      int comma = t.indexOf(',');
      String header = comma < 0 ? "" : lower.substring(5, comma);
      if (!header.endsWith(";base64")) {
        return null;
      }
      String mime = header.substring(0, header.length() - ";base64".length());
      return new Output(null, null, t, mime.isEmpty() ? "application/octet-stream" : mime);
    }
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      return null;
    }
    String name;
    try {
      String path = URI.create(t).getPath();
      name = path == null ? null : path.substring(path.lastIndexOf('/') + 1);
    } catch (IllegalArgumentException notAUri) {
      return null;
    }
    if (name != null && name.isEmpty()) {
      name = null;
    }
    return new Output(name, t, null, name == null ? null : mimeOf(name));
  }

  /** Inline bytes (plain base64) as an output; the media type is sniffed when not given. */
  public static Output inline(String name, String base64, String mime) {
    String m = mime != null && !mime.isBlank() ? mime : sniff(base64);
    return new Output(name, null, base64, m);
  }

  private static void walk(JsonNode node, Map<String, Output> found) {
    if (node == null || node.isNull()) {
      return;
    }
    if (node.isTextual()) {
      Output o = fromText(node.asText());
      if (o != null) {
        found.putIfAbsent(o.url() != null ? o.url() : o.base64(), o);
      }
      return;
    }
    if (node.isObject() && node.path("base64").isTextual()) {
      String b64 = node.get("base64").asText();
      Output o = fromText(b64);
      if (o == null) {
        o = inline(firstText(node, "name", "filename"), b64, firstText(node, "mime", "mime_type"));
      }
      found.putIfAbsent(b64, o);
      return;
    }
    node.forEach(child -> walk(child, found));
  }

  private static String firstText(JsonNode node, String... fields) {
    for (String f : fields) {
      JsonNode v = node.get(f);
      if (v != null && v.isTextual() && !v.asText().isBlank()) {
        return v.asText();
      }
    }
    return null;
  }

  private static String mimeOf(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? null : MIME_BY_EXTENSION.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /** The media type of base64 bytes from their magic numbers (base64 of the file signature). */
  private static String sniff(String base64) {
    if (base64.startsWith("iVBORw0KGgo")) {
      return "image/png";
    }
    if (base64.startsWith("/9j/")) {
      return "image/jpeg";
    }
    if (base64.startsWith("R0lGOD")) {
      return "image/gif";
    }
    return "application/octet-stream";
  }
}

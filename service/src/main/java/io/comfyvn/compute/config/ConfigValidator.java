package io.comfyvn.compute.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigProblem.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a settings file against a {@link Shape}: every problem at once, each with the file, the
 * JSON path, the values allowed and the nearest known word. A value that is there but cannot be
 * used (wrong type, unknown word, out of range) is an {@link Severity#ERROR}: running on a default
 * the file did not ask for would hide the typo. A key nobody reads is a {@link Severity#WARNING}:
 * it is kept and ignored. Text values are never quoted (a URL may hold a password); only short
 * values of words, numbers and flags are.
 */
public final class ConfigValidator {
  private static final int QUOTE_AT_MOST = 24;

  private final String file;
  private final List<ConfigProblem> out = new ArrayList<>();

  private ConfigValidator(String file) {
    this.file = file;
  }

  /**
   * The problems of {@code root} against {@code schema}.
   *
   * @param file the file's name as shown in messages
   */
  public static List<ConfigProblem> check(JsonNode root, Shape schema, String file) {
    ConfigValidator v = new ConfigValidator(file);
    v.visit(root, schema, "");
    return List.copyOf(v.out);
  }

  private void visit(JsonNode v, Shape shape, String path) {
    if (shape instanceof Shape.Free) {
      return; // read and checked by its own reader
    }
    if (shape instanceof Shape.Nullable n) {
      if (!v.isNull()) {
        visit(v, n.inner(), path);
      }
    } else if (shape instanceof Shape.Section s) {
      section(v, s, path);
    } else if (shape instanceof Shape.ListOf l) {
      if (!v.isArray()) {
        wrong(v, shape, path);
        return;
      }
      for (int i = 0; i < v.size(); i++) {
        visit(v.get(i), l.item(), path + "[" + i + "]");
      }
    } else if (shape instanceof Shape.Either e) {
      if (fits(v, e.first())) {
        visit(v, e.first(), path);
      } else if (fits(v, e.second())) {
        visit(v, e.second(), path);
      } else {
        wrong(v, shape, path);
      }
    } else if (shape instanceof Shape.Words w && v.isTextual()) {
      String word = v.asText().trim();
      if (w.allowed().stream().noneMatch(a -> a.equalsIgnoreCase(word))) {
        out.add(
            new ConfigProblem(
                Severity.ERROR,
                file,
                path,
                "unknown word " + quote(v),
                w.allowed(),
                Suggest.nearest(word, w.allowed())));
      }
    } else if (!fits(v, shape)) {
      wrong(v, shape, path);
    }
  }

  private void section(JsonNode v, Shape.Section s, String path) {
    if (v.isNull()) {
      return; // the section's defaults
    }
    if (!v.isObject()) {
      wrong(v, s, path);
      return;
    }
    for (Map.Entry<String, JsonNode> e : v.properties()) {
      String key = e.getKey();
      String at = path.isEmpty() ? key : path + "." + key;
      Shape known = s.keys().get(key);
      if (known != null) {
        visit(e.getValue(), known, at);
      } else if (s.others() != null) {
        visit(e.getValue(), s.others(), at);
      } else {
        List<String> keys = List.copyOf(s.keys().keySet());
        Optional<String> near = Suggest.nearest(key, keys);
        out.add(
            new ConfigProblem(
                Severity.WARNING,
                file,
                at,
                "unknown key, ignored" + (path.isEmpty() ? "" : " (known keys of " + path + ")"),
                keys,
                near));
      }
    }
  }

  /** Whether a value has the shape (sections and lists only by their type: they are visited). */
  private static boolean fits(JsonNode v, Shape shape) {
    if (shape instanceof Shape.Flag) {
      return v.isBoolean();
    }
    if (shape instanceof Shape.Whole w) {
      return v.isIntegralNumber()
          && v.canConvertToLong()
          && v.longValue() >= w.min()
          && v.longValue() <= w.max();
    }
    if (shape instanceof Shape.Decimal d) {
      return v.isNumber() && d.allows(v.doubleValue());
    }
    if (shape instanceof Shape.Text) {
      return v.isTextual();
    }
    if (shape instanceof Shape.Words w) {
      return v.isTextual()
          && w.allowed().stream().anyMatch(a -> a.equalsIgnoreCase(v.asText().trim()));
    }
    if (shape instanceof Shape.Nullable n) {
      return v.isNull() || fits(v, n.inner());
    }
    if (shape instanceof Shape.Either e) {
      return fits(v, e.first()) || fits(v, e.second());
    }
    if (shape instanceof Shape.ListOf) {
      return v.isArray();
    }
    if (shape instanceof Shape.Section) {
      return v.isObject() || v.isNull();
    }
    return true; // Free
  }

  private void wrong(JsonNode v, Shape shape, String path) {
    out.add(
        ConfigProblem.error(
            file, path, "is " + describe(v, shape) + ", must be " + shape.expected()));
  }

  /** The value in words: short words and numbers quoted, anything else by its JSON type. */
  private static String describe(JsonNode v, Shape shape) {
    if (v.isNumber() || v.isBoolean()) {
      return v.toString();
    }
    if (v.isTextual()) {
      return quotable(shape) && v.asText().length() <= QUOTE_AT_MOST
          ? quote(v)
          : "a string of " + v.asText().length() + " characters";
    }
    if (v.isNull()) {
      return "null";
    }
    return v.isArray() ? "a list" : "an object";
  }

  /** A string value is quoted only where a word or number was expected (never a free text). */
  private static boolean quotable(Shape shape) {
    if (shape instanceof Shape.Nullable n) {
      return quotable(n.inner());
    }
    return shape instanceof Shape.Flag
        || shape instanceof Shape.Whole
        || shape instanceof Shape.Decimal
        || shape instanceof Shape.Words;
  }

  private static String quote(JsonNode v) {
    String s = v.asText();
    if (s.length() > QUOTE_AT_MOST) {
      s = s.substring(0, QUOTE_AT_MOST) + "...";
    }
    return "\"" + s.replace("\"", "'") + "\"";
  }
}

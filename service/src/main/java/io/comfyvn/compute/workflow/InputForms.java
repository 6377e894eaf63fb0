package io.comfyvn.compute.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.workflow.InputSource.Inline;
import io.comfyvn.compute.workflow.InputSource.Local;
import io.comfyvn.compute.workflow.InputSource.Origin;
import io.comfyvn.compute.workflow.InputSource.Remote;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/** Reads an {@link InputSource} from the value a job gives for one input. */
final class InputForms {
  private InputForms() {}

  /** Leading "data/" names the same folder the path is relative to. */
  private static final String DATA_PREFIX = "data/";

  /**
   * Reads a file as the job gives it.
   *
   * @param name the input name, for messages
   * @param v the value of {@code job.inputs.<name>}
   * @param maxBytes the most an inline file may decode to
   */
  static InputSource parse(String name, JsonNode v, long maxBytes) {
    if (v != null && v.isObject() && v.size() == 1) {
      String form = v.fieldNames().next();
      JsonNode inner = v.get(form);
      if (inner.isTextual()) {
        String s = inner.asText();
        switch (form) {
          case "base64":
            return new Inline(base64(name, s, maxBytes), Origin.BASE64);
          case "data_url":
            return dataUrl(name, s, maxBytes);
          case "url":
            return remote(name, s);
          case "path":
            return local(name, s);
          default:
            break;
        }
      }
    }
    if (v == null || !v.isTextual()) {
      throw bad(
          name,
          "input '"
              + name
              + "' must be base64, a data URL, an https URL, a path under data/, or"
              + " {\"base64\"|\"data_url\"|\"url\"|\"path\": \"...\"}");
    }
    String s = v.asText().strip();
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("data:")) {
      return dataUrl(name, s, maxBytes);
    }
    if (lower.startsWith("https://") || lower.startsWith("http://")) {
      return remote(name, s);
    }
    if (s.indexOf('.') >= 0) {
      return local(name, s);
    }
    return new Inline(base64(name, s, maxBytes), Origin.BASE64);
  }

  private static WorkflowException bad(String name, String message) {
    return WorkflowException.at(Problem.BAD_SOURCE, null, name, message);
  }

  private static byte[] base64(String name, String text, long maxBytes) {
    String s = WHITESPACE.matcher(text).replaceAll("");
    // 4 characters carry 3 bytes: refuse before decoding what could not fit anyway
    if (s.length() / 4 * 3L > maxBytes + 3) {
      throw WorkflowException.at(
          Problem.INPUT_TOO_LARGE,
          null,
          name,
          "input '" + name + "' is over " + maxBytes + " bytes");
    }
    try {
      byte[] out = Base64.getDecoder().decode(s);
      if (out.length == 0) {
        throw WorkflowException.at(Problem.BAD_BASE64, null, name, "input '" + name + "' is empty");
      }
      if (out.length > maxBytes) {
        throw WorkflowException.at(
            Problem.INPUT_TOO_LARGE,
            null,
            name,
            "input '" + name + "' is over " + maxBytes + " bytes");
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw WorkflowException.at(
          Problem.BAD_BASE64,
          null,
          name,
          "input '"
              + name
              + "' is not base64 (to name a file under data/, give its path with the extension)");
    }
  }

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  private static final Pattern DATA_URL =
      Pattern.compile(
          "(?i)data:([a-z0-9.+-]+/[a-z0-9.+-]+)?(;[a-z0-9=._-]+)*;base64,(.*)", Pattern.DOTALL);

  private static Inline dataUrl(String name, String s, long maxBytes) {
    var m = DATA_URL.matcher(s);
    if (!m.matches()) {
      throw WorkflowException.at(
          Problem.BAD_DATA_URL,
          null,
          name,
          "input '" + name + "' must be a data URL of the form data:<type>;base64,<data>");
    }
    return new Inline(base64(name, m.group(3), maxBytes), Origin.DATA_URL);
  }

  private static Remote remote(String name, String s) {
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw bad(name, "input '" + name + "' is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw WorkflowException.at(
          Problem.URL_NOT_ALLOWED, null, name, "input '" + name + "' must be an https URL");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw bad(name, "input '" + name + "' is a URL without a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw WorkflowException.at(
          Problem.URL_NOT_ALLOWED,
          null,
          name,
          "input '" + name + "' is a URL with credentials in it; this service sends none");
    }
    return new Remote(uri);
  }

  private static Local local(String name, String s) {
    String p = s.startsWith(DATA_PREFIX) ? s.substring(DATA_PREFIX.length()) : s;
    boolean escapes =
        p.isEmpty()
            || p.length() > 512
            || p.startsWith("/")
            || p.startsWith("~")
            || p.indexOf('\\') >= 0
            || p.indexOf(':') >= 0
            || p.chars().anyMatch(Character::isISOControl);
    if (!escapes) {
      for (String segment : p.split("/", -1)) {
        if (segment.isEmpty() || segment.equals("..") || segment.equals(".")) {
          escapes = true;
          break;
        }
      }
    }
    if (escapes) {
      throw WorkflowException.at(
          Problem.PATH_ESCAPE,
          null,
          name,
          "input '"
              + name
              + "' must be a relative path under the service's data/ folder (no '..', no"
              + " absolute path)");
    }
    return new Local(p);
  }
}

package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.secrets.Secret;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The secret values the service holds, each with its owner (see {@link EgressPolicy#ownerOf}), and
 * the forms in which a text may carry one. It finds them ({@link #owners}, for the egress check)
 * and masks them as {@code ***} ({@link #scrub}). Covered, for every secret:
 *
 * <ul>
 *   <li>the raw value (so also {@code Bearer <value>} and any header or URL holding it);
 *   <li>its URL encoding, with upper- or lower-case hex;
 *   <li>its base64 encoding in the standard and the URL-safe alphabet, at any of the three byte
 *       alignments, so it is found inside a longer base64 text such as {@code Basic
 *       base64(user:value)} (for values of 6 characters or more);
 *   <li>any {@value #WINDOW} or more consecutive characters of any of these forms: a provider that
 *       echoes a key's first 20 characters, or its last 12, is masked too.
 * </ul>
 *
 * JSON string escapes are handled by scrubbing decoded strings ({@link #scrubJson}). Not covered:
 * other transformations (hex, case changes, reversal, a key split by separators, hashes) and echoes
 * shorter than {@value #WINDOW} characters of a longer key.
 *
 * <p>Finding uses one rolling-hash pass over the text for every form of {@value #WINDOW} or more
 * characters (linear in the text, whatever the number of secrets), and {@code indexOf} for the few
 * shorter ones.
 */
public final class KnownSecrets {
  /** The shortest run of a secret's characters that is masked on its own. */
  public static final int WINDOW = 12;

  static final String MASK = "***";
  private static final long BASE = 0x100000001B3L;
  private static final long TOP = pow(BASE, WINDOW - 1);

  /** No secrets at all. */
  public static final KnownSecrets NONE = new KnownSecrets(Map.of());

  /** A form a secret may take, with its owner. */
  private record Form(String text, String owner) {}

  /**
   * {@value #WINDOW} characters of a form; {@code whole} is the form itself when the window is its
   * start (a hit there may be the whole form), else null.
   */
  private record Window(String text, String owner, String whole) {}

  private final List<Form> shortForms = new ArrayList<>();
  private final Map<Long, List<Window>> windows = new HashMap<>();
  private final long[] table;
  private final int mask;
  private final boolean empty;

  /**
   * The secrets by owner.
   *
   * @param byOwner owner -> its secret values
   */
  public KnownSecrets(Map<String, ? extends Iterable<Secret>> byOwner) {
    Set<Form> forms = new LinkedHashSet<>();
    byOwner.forEach(
        (owner, secrets) -> {
          for (Secret s : secrets) {
            for (String f : forms(s.reveal())) {
              forms.add(new Form(f, owner));
            }
          }
        });
    for (Form f : forms) {
      if (f.text().length() < WINDOW) {
        shortForms.add(f);
        continue;
      }
      for (int i = 0; i + WINDOW <= f.text().length(); i++) {
        String w = f.text().substring(i, i + WINDOW);
        windows
            .computeIfAbsent(hash(w, 0), k -> new ArrayList<>())
            .add(new Window(w, f.owner(), i == 0 ? f.text() : null));
      }
    }
    int size = Integer.highestOneBit(Math.max(16, windows.size() * 4) - 1) << 1;
    table = new long[size];
    mask = size - 1;
    for (long h : windows.keySet()) {
      int slot = slot(h);
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = nonZero(h);
    }
    empty = forms.isEmpty();
  }

  /** The forms of one value: raw, URL-encoded, and the base64 cores. */
  public static Set<String> forms(String value) {
    Set<String> out = new LinkedHashSet<>();
    out.add(value);
    if (value.length() < 6) {
      return out;
    }
    String url = URLEncoder.encode(value, StandardCharsets.UTF_8);
    out.add(url);
    out.add(url.replace("+", "%20"));
    out.add(lowerHex(url));
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    for (int k = 0; k < 3; k++) {
      byte[] shifted = new byte[k + bytes.length];
      System.arraycopy(bytes, 0, shifted, k, bytes.length);
      String std = Base64.getEncoder().withoutPadding().encodeToString(shifted);
      // Characters that depend only on the value's bits: after the k leading bytes, before the
      // last partial sextet.
      int from = (8 * k + 5) / 6;
      int to = (8 * (k + bytes.length)) / 6;
      if (to - from >= 6) {
        String core = std.substring(from, to);
        out.add(core);
        out.add(core.replace('+', '-').replace('/', '_'));
      }
    }
    return out;
  }

  private static String lowerHex(String urlEncoded) {
    StringBuilder b = new StringBuilder(urlEncoded.length());
    for (int i = 0; i < urlEncoded.length(); i++) {
      char c = urlEncoded.charAt(i);
      b.append(c);
      if (c == '%' && i + 2 < urlEncoded.length()) {
        b.append(urlEncoded.substring(i + 1, i + 3).toLowerCase(Locale.ROOT));
        i += 2;
      }
    }
    return b.toString();
  }

  /** Whether there are no secrets (then nothing is ever found or masked). */
  public boolean isEmpty() {
    return empty;
  }

  /**
   * The owners whose secrets occur whole in the text, in any covered form (raw, URL-encoded,
   * base64). Partial runs do not count here: two keys may share a run of characters, and a request
   * carries a credential only when it carries all of it.
   */
  public Set<String> owners(String text) {
    Set<String> out = new TreeSet<>();
    if (!empty && text != null) {
      scan(
          text,
          (from, to, owner, whole) -> {
            if (whole) {
              out.add(owner);
            }
          });
    }
    return out;
  }

  /** The text with every covered form of every secret replaced by {@code ***}. */
  public String scrub(String text) {
    if (empty || text == null || text.isEmpty()) {
      return text;
    }
    BitSet masked = new BitSet(text.length());
    scan(text, (from, to, owner, whole) -> masked.set(from, to));
    if (masked.isEmpty()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      int start = masked.nextSetBit(i);
      if (start < 0) {
        out.append(text, i, text.length());
        break;
      }
      out.append(text, i, start).append(MASK);
      i = masked.nextClearBit(start);
    }
    return out.toString();
  }

  /**
   * A JSON tree with every string value and field name scrubbed (a copy; the same node when nothing
   * changed). Strings are scrubbed after JSON decoding, so escapes such as {@code \u0072} cannot
   * hide a secret.
   */
  public JsonNode scrubJson(JsonNode node) {
    if (empty || node == null) {
      return node;
    }
    return walk(node, this::scrub);
  }

  private static JsonNode walk(JsonNode node, Function<String, String> f) {
    if (node.isTextual()) {
      String s = f.apply(node.asText());
      return s.equals(node.asText()) ? node : JsonNodeFactory.instance.textNode(s);
    }
    if (node.isArray()) {
      ArrayNode out = null;
      for (int i = 0; i < node.size(); i++) {
        JsonNode c = node.get(i);
        JsonNode w = walk(c, f);
        if (w != c && out == null) {
          out = JsonNodeFactory.instance.arrayNode(node.size());
          for (int j = 0; j < i; j++) {
            out.add(node.get(j));
          }
        }
        if (out != null) {
          out.add(w);
        }
      }
      return out == null ? node : out;
    }
    if (node.isObject()) {
      boolean changed = false;
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        String name = f.apply(e.getKey());
        JsonNode w = walk(e.getValue(), f);
        changed |= w != e.getValue() || !name.equals(e.getKey());
        out.set(name, w);
      }
      return changed ? out : node;
    }
    return node;
  }

  /**
   * A find: characters [from, to) of the text belong to the owner's secret; {@code whole} when they
   * are a whole form of it, not only a run of {@value #WINDOW} characters.
   */
  private interface Hit {
    void found(int from, int to, String owner, boolean whole);
  }

  private void scan(String text, Hit hit) {
    for (Form f : shortForms) {
      for (int at = text.indexOf(f.text()); at >= 0; at = text.indexOf(f.text(), at + 1)) {
        hit.found(at, at + f.text().length(), f.owner(), true);
      }
    }
    if (windows.isEmpty() || text.length() < WINDOW) {
      return;
    }
    long h = hash(text, 0);
    for (int i = 0; ; i++) {
      if (contains(h)) {
        List<Window> candidates = windows.get(h);
        if (candidates != null) {
          for (Window w : candidates) {
            if (text.regionMatches(i, w.text(), 0, WINDOW)) {
              hit.found(i, i + WINDOW, w.owner(), false);
              if (w.whole() != null && text.startsWith(w.whole(), i)) {
                hit.found(i, i + w.whole().length(), w.owner(), true);
              }
            }
          }
        }
      }
      if (i + WINDOW >= text.length()) {
        return;
      }
      h = (h - text.charAt(i) * TOP) * BASE + text.charAt(i + WINDOW);
    }
  }

  private boolean contains(long h) {
    long key = nonZero(h);
    for (int slot = slot(h); table[slot] != 0; slot = (slot + 1) & mask) {
      if (table[slot] == key) {
        return true;
      }
    }
    return false;
  }

  private int slot(long h) {
    return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
  }

  private static long nonZero(long h) {
    return h == 0 ? 1 : h;
  }

  private static long hash(String s, int from) {
    long h = 0;
    for (int i = from; i < from + WINDOW; i++) {
      h = h * BASE + s.charAt(i);
    }
    return h;
  }

  private static long pow(long b, int e) {
    long r = 1;
    for (int i = 0; i < e; i++) {
      r *= b;
    }
    return r;
  }
}

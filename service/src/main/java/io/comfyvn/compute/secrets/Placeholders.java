package io.comfyvn.compute.secrets;

import java.util.Locale;
import java.util.Set;

/**
 * Whether a value in the secrets file is a placeholder rather than a key: the shipped sample's
 * values ({@code RP_...}, {@code r8_...}, {@code hf_...}, {@code wk-...}, {@code
 * <platform.comfy.org API key>}) and the usual stand-ins ({@code changeme}, {@code <your key>},
 * {@code YOUR_API_KEY}, {@code xxxx}...). A placeholder counts as missing and is never sent.
 */
public final class Placeholders {
  private Placeholders() {}

  /** Stand-in words, compared lower case with everything but letters and digits removed. */
  private static final Set<String> WORDS =
      Set.of(
          "changeme",
          "changethis",
          "replaceme",
          "replacethis",
          "placeholder",
          "todo",
          "fixme",
          "tbd",
          "none",
          "null",
          "undefined",
          "apikey",
          "apikeyhere",
          "apitoken",
          "tokenhere",
          "keyhere",
          "secrethere",
          "insertkeyhere",
          "insertyourkey",
          "insertyourkeyhere",
          "putyourkeyhere",
          "enteryourkey",
          "redacted");

  /** Whether {@code value} is a placeholder. */
  public static boolean is(String value) {
    String v = value.trim();
    if (v.contains("...") || v.contains("\u2026")) {
      return true; // the sample's "RP_...", "hf_..."
    }
    if (v.startsWith("<") && v.endsWith(">")) {
      return true; // "<your key>", "<platform.comfy.org API key>"
    }
    String word = v.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (WORDS.contains(word)) {
      return true;
    }
    if (word.startsWith("your")
        && (word.contains("key") || word.contains("token") || word.contains("secret"))) {
      return true; // "YOUR_API_KEY", "your-token-here"
    }
    return v.length() >= 3 && v.chars().distinct().count() == 1; // "xxxx", "****"
  }
}

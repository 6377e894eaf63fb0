package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.secrets.Secret;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Finding and masking secrets in the forms {@link KnownSecrets} documents. */
class KnownSecretsTest {
  private static final String KEY = "rpa_4F1C9E0B77D24A5C8E31A9F0C2D4B6E8";
  private static final String HF = "hf_aZ+9/q=Tk3LmNoPqRsTuVwXyZ01";
  private static final KnownSecrets KNOWN =
      new KnownSecrets(
          Map.of("runpod", List.of(Secret.of(KEY)), "huggingface", List.of(Secret.of(HF))));

  /** No run of 8 characters of the key survives (fewer than {@code WINDOW} is tolerated). */
  private static void assertNoRun(String text, String key, int run) {
    for (int i = 0; i + run <= key.length(); i++) {
      assertThat(text).doesNotContain(key.substring(i, i + run));
    }
  }

  @Test
  void rawAndBearerFormsAreMasked() {
    assertThat(KNOWN.scrub("Authorization: Bearer " + KEY + " was refused"))
        .isEqualTo("Authorization: Bearer *** was refused");
    assertThat(KNOWN.scrub("p-Bearer " + KEY)).isEqualTo("p-Bearer ***");
    assertThat(KNOWN.owners("x " + KEY + " y " + HF)).containsExactly("huggingface", "runpod");
    assertThat(KNOWN.owners("nothing here")).isEmpty();
  }

  @Test
  void aLongErrorIsScrubbedBeforeItIsCut() {
    String error = "x".repeat(270) + " bad token Bearer " + KEY + " (see docs)";
    String shown = ProviderHttp.cut(KNOWN.scrub(error), 300);
    assertThat(shown).doesNotContain(KEY.substring(0, 6));
    // the old order (cut, then scrub) leaked the key's first characters
    String old = ProviderHttp.cut(error, 300).replace(KEY, "***");
    assertThat(old).contains(KEY.substring(0, 6));
  }

  @Test
  void urlEncodedFormsAreMasked() {
    String enc = URLEncoder.encode(HF, StandardCharsets.UTF_8);
    assertThat(enc).isNotEqualTo(HF).contains("%2B");
    assertThat(KNOWN.scrub("https://x/?token=" + enc)).isEqualTo("https://x/?token=***");
    assertThat(KNOWN.scrub("https://x/?token=" + enc.toLowerCase(java.util.Locale.ROOT)))
        .doesNotContain("aZ%2b9");
    assertThat(KNOWN.owners("?t=" + enc)).containsExactly("huggingface");
  }

  @ParameterizedTest(name = "prefix of {0} bytes")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 7})
  void base64AtAnyAlignmentIsFoundAndMasked(int prefix) {
    String plain = "u".repeat(prefix) + ":" + KEY + ":tail";
    for (Base64.Encoder enc : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
      String b64 = enc.encodeToString(plain.getBytes(StandardCharsets.UTF_8));
      assertThat(KNOWN.owners("Basic " + b64)).containsExactly("runpod");
      String scrubbed = KNOWN.scrub("Basic " + b64);
      assertThat(scrubbed).contains("***");
      // what is left, decoded as far as it goes, holds no 8 characters of the key
      String left = scrubbed.substring(6).replace("***", "").replace('-', '+').replace('_', '/');
      left = left.replace("=", "");
      byte[] decoded = Base64.getMimeDecoder().decode(left.substring(0, left.length() / 4 * 4));
      assertNoRun(new String(decoded, StandardCharsets.ISO_8859_1), KEY, 8);
    }
  }

  @Test
  void partialEchoesOfTwelveOrMoreCharactersAreMasked() {
    assertThat(KNOWN.scrub("key " + KEY.substring(0, 20) + "...")).isEqualTo("key ***...");
    assertThat(KNOWN.scrub("..." + KEY.substring(KEY.length() - 12))).isEqualTo("...***");
    assertThat(KNOWN.scrub("[" + KEY.substring(7, 22) + "]")).isEqualTo("[***]");
    // documented limit: shorter runs of a longer key are left alone
    assertThat(KNOWN.scrub("key " + KEY.substring(0, 11))).isEqualTo("key " + KEY.substring(0, 11));
  }

  @Test
  void jsonEscapesCannotHideASecret() throws Exception {
    StringBuilder escaped = new StringBuilder();
    for (char c : KEY.toCharArray()) {
      escaped.append(String.format("\\u%04x", (int) c));
    }
    JsonNode tree =
        Json.mapper()
            .readTree(
                "{\"detail\":\"bad "
                    + escaped
                    + "\",\""
                    + escaped
                    + "\":[1,{\"x\":\"Bearer "
                    + escaped
                    + "\"}],\"n\":3}");
    assertThat(tree.toString()).contains(KEY);
    JsonNode clean = KNOWN.scrubJson(tree);
    assertThat(clean.toString())
        .doesNotContain(KEY)
        .isEqualTo("{\"detail\":\"bad ***\",\"***\":[1,{\"x\":\"Bearer ***\"}],\"n\":3}");
    JsonNode untouched = Json.mapper().readTree("{\"a\":[\"b\",{\"c\":1}]}");
    assertThat(KNOWN.scrubJson(untouched)).isSameAs(untouched);
  }

  @Test
  void shortSecretsAreMaskedWhole() {
    KnownSecrets k = new KnownSecrets(Map.of("modal", List.of(Secret.of("wk-abc"))));
    assertThat(k.scrub("Modal-Key: wk-abc, wk-abd")).isEqualTo("Modal-Key: ***, wk-abd");
    assertThat(KnownSecrets.NONE.scrub("wk-abc")).isEqualTo("wk-abc");
    assertThat(KnownSecrets.NONE.owners("wk-abc")).isEmpty();
  }

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 100).mapToObj(i -> (long) i);
  }

  /**
   * A random key, a random run of 12+ of its characters (or the whole key, URL-encoded or base64)
   * buried in random filler: the result holds no 12-character run of the key or of its forms, and
   * the filler is untouched.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void seededEchoesNeverSurvive(long seed) {
    Random r = new Random(seed);
    String keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=";
    StringBuilder key = new StringBuilder();
    int n = 16 + r.nextInt(48);
    for (int i = 0; i < n; i++) {
      key.append(keyAlphabet.charAt(r.nextInt(keyAlphabet.length())));
    }
    String k = key.toString();
    int kind = r.nextInt(4);
    String echo =
        switch (kind) {
          case 0 -> {
            int len = 12 + r.nextInt(n - 11);
            int from = r.nextInt(n - len + 1);
            yield k.substring(from, from + len);
          }
          case 1 -> URLEncoder.encode(k, StandardCharsets.UTF_8);
          case 2 -> Base64.getEncoder().encodeToString(("x:" + k).getBytes(StandardCharsets.UTF_8));
          default -> "Bearer " + k;
        };
    String filler = " .,;!?()[]{}<>~";
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    for (int i = r.nextInt(400); i > 0; i--) {
      before.append(filler.charAt(r.nextInt(filler.length())));
    }
    for (int i = r.nextInt(400); i > 0; i--) {
      after.append(filler.charAt(r.nextInt(filler.length())));
    }
    KnownSecrets known = new KnownSecrets(Map.of("p", List.of(Secret.of(k))));
    String text = before + echo + after;
    // a run of the key is masked, but only a whole form counts as carrying the credential
    boolean whole = kind != 0 || echo.equals(k);
    assertThat(known.owners(text)).isEqualTo(whole ? java.util.Set.of("p") : java.util.Set.of());
    String out = known.scrub(text);
    assertThat(out).startsWith(before.toString()).endsWith(after.toString());
    for (String form : KnownSecrets.forms(k)) {
      for (int i = 0; i + KnownSecrets.WINDOW <= form.length(); i++) {
        assertThat(out).doesNotContain(form.substring(i, i + KnownSecrets.WINDOW));
      }
    }
  }
}

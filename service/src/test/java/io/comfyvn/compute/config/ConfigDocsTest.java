package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Repo;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/config/comfyvn.md} documents every key of the schema: each key's name is on a row of
 * the keys table that names its top-level section, so a key added to {@link ConfigSchema} without
 * its documentation fails the build.
 */
class ConfigDocsTest {
  /** Every key of the schema as {@code [top-level section, key name, full path]}. */
  private static void keys(Shape.Section s, String top, String path, List<String[]> out) {
    for (Map.Entry<String, Shape> e : s.keys().entrySet()) {
      String t = top.isEmpty() ? e.getKey() : top;
      String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      out.add(new String[] {t, e.getKey(), at});
      Shape inner = e.getValue() instanceof Shape.Nullable n ? n.inner() : e.getValue();
      if (inner instanceof Shape.Section sub) {
        keys(sub, t, at, out);
      }
    }
  }

  @Test
  void everyKeyOfTheSchemaIsInTheKeysTable() throws Exception {
    String doc = Files.readString(Repo.file("docs/config/comfyvn.md"));
    String table = doc.substring(doc.indexOf("## Every key of `config/comfyvn.json`"));
    List<String> rows = table.lines().filter(l -> l.startsWith("| `")).toList();
    List<String[]> all = new ArrayList<>();
    keys(ConfigSchema.CONFIG, "", "", all);
    assertThat(all).hasSizeGreaterThan(60);
    for (String[] k : all) {
      Pattern word =
          Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(k[1]) + "(?![A-Za-z0-9_])");
      assertThat(rows)
          .as("docs/config/comfyvn.md documents %s", k[2])
          .anyMatch(
              r ->
                  (r.startsWith("| `" + k[0] + ".") || r.startsWith("| `" + k[0] + "`"))
                      && word.matcher(r).find());
    }
  }
}

package io.comfyvn.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs name only files a clone has: every markdown link and every {@code `docs/...`}, {@code
 * `bin/...`}, {@code `config/defaults/...`} or relative {@code `../x.md`} reference resolves inside
 * the repository, and nothing points outside it (a user's clone has no team folders beside it).
 * Other {@code config/...} names are files in the user's home folder, not in the repository.
 */
class DocsLinksTest {
  private static final Path ROOT = io.comfyvn.compute.support.Repo.root();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s#]+)(?:#[^)]*)?\\)");
  private static final Pattern NAMED =
      Pattern.compile(
          "`((?:\\.\\./|docs/|config/defaults/|bin/)[A-Za-z0-9_./-]+\\.(?:md|py|json|cmd)"
              + "|config/[a-z.]+\\.sample|bin/[a-z-]+)`");

  private static List<Path> docs() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> top = Files.list(ROOT)) {
      top.filter(p -> p.toString().endsWith(".md")).forEach(out::add);
    }
    try (Stream<Path> d = Files.walk(ROOT.resolve("docs"))) {
      d.filter(p -> p.toString().endsWith(".md")).forEach(out::add);
    }
    return out;
  }

  @Test
  void everyReferencedFileIsInTheRepository() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path doc : docs()) {
      String text = Files.readString(doc);
      for (Matcher m = LINK.matcher(text); m.find(); ) {
        String target = m.group(1);
        if (target.matches("[a-z]+:.*")) {
          continue; // a URL, not a file
        }
        check(doc, doc.getParent().resolve(target), target, broken);
      }
      for (Matcher m = NAMED.matcher(text); m.find(); ) {
        String target = m.group(1);
        Path base = target.startsWith("../") ? doc.getParent() : ROOT;
        check(doc, base.resolve(target), target, broken);
      }
      if (text.contains("../shared") || text.contains("/work/")) {
        broken.add(ROOT.relativize(doc) + ": names a folder outside the repository");
      }
    }
    assertThat(broken).isEmpty();
  }

  private static void check(Path doc, Path resolved, String target, List<String> broken) {
    Path p = resolved.normalize();
    if (!p.startsWith(ROOT) || !Files.exists(p)) {
      broken.add(ROOT.relativize(doc) + ": " + target);
    }
  }
}

package io.comfyvn.compute.secrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only source of secrets: {@code config/comfyvn.secrets.json} under the home folder. The file
 * is re-read when its modification time or size changes, so adding a key needs no restart. A file
 * that cannot be parsed is reported (file and position, never content) and treated as empty; a file
 * other users can read is reported as a warning.
 */
public final class SecretStore {
  /** Where secrets live, relative to the home folder. */
  public static final String SECRETS_FILE = "config/comfyvn.secrets.json";

  private static final Logger log = LoggerFactory.getLogger(SecretStore.class);

  private final Path file;
  private final ObjectMapper mapper;
  private Snapshot snapshot = Snapshot.EMPTY;

  /** The parsed file: section (lower case) -> field (lower case) -> value. */
  private record Snapshot(
      long modified, long size, Map<String, Map<String, Secret>> values, Optional<String> problem) {
    static final Snapshot EMPTY = new Snapshot(-1, -1, Map.of(), Optional.empty());
  }

  public SecretStore(Path home, ObjectMapper mapper) {
    this.file = home.resolve(SECRETS_FILE);
    this.mapper = mapper;
  }

  /** The path of the secrets file (for messages; it holds no secret itself). */
  public Path file() {
    return file;
  }

  /** The value for a key, trying every accepted spelling; empty when absent or blank. */
  public Optional<Secret> find(SecretKey key) {
    Map<String, Map<String, Secret>> values = current().values();
    for (String section : names(key.section(), key.sectionAliases())) {
      Map<String, Secret> fields = values.get(section);
      if (fields == null) {
        continue;
      }
      for (String field : names(key.field(), key.fieldAliases())) {
        Secret s = fields.get(field);
        if (s != null) {
          return Optional.of(s);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Every value in the file: section (lower case) -> field (lower case) -> value. The same map
   * instance is returned while the file is unchanged, so callers may cache what they derive.
   */
  public Map<String, Map<String, Secret>> all() {
    return current().values();
  }

  /** The qualified names of the keys that are missing. */
  public List<String> missing(Collection<SecretKey> keys) {
    List<String> out = new ArrayList<>();
    for (SecretKey k : keys) {
      if (find(k).isEmpty()) {
        out.add(k.qualifiedName());
      }
    }
    return out;
  }

  /** Why the file could not be used, if it could not (file and position only). */
  public Optional<String> problem() {
    return current().problem();
  }

  private static List<String> names(String canonical, List<String> aliases) {
    List<String> out = new ArrayList<>(aliases.size() + 1);
    out.add(canonical);
    out.addAll(aliases);
    return out;
  }

  private synchronized Snapshot current() {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      snapshot = Snapshot.EMPTY;
      return snapshot;
    }
    long modified = attrs.lastModifiedTime().toMillis();
    if (modified == snapshot.modified() && attrs.size() == snapshot.size()) {
      return snapshot;
    }
    snapshot = read(modified, attrs.size());
    return snapshot;
  }

  private Snapshot read(long modified, long size) {
    warnIfWorldReadable();
    JsonNode root;
    try {
      root = mapper.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      // Jackson's own message quotes the offending token, which may be a secret: keep position
      // only.
      return problem(modified, size, "not valid JSON" + Json.where(e));
    } catch (IOException e) {
      return problem(modified, size, "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    if (root == null || !root.isObject()) {
      return problem(modified, size, "the top level must be a JSON object of provider sections");
    }
    Map<String, Map<String, Secret>> values = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    for (Map.Entry<String, JsonNode> section : root.properties()) {
      if (!section.getValue().isObject()) {
        skipped.add(section.getKey());
        continue;
      }
      Map<String, Secret> fields = new LinkedHashMap<>();
      section
          .getValue()
          .properties()
          .forEach(
              f -> {
                if (f.getValue().isTextual() && !f.getValue().asText().isBlank()) {
                  fields.put(f.getKey().toLowerCase(Locale.ROOT), Secret.of(f.getValue().asText()));
                }
              });
      values.put(section.getKey().toLowerCase(Locale.ROOT), Map.copyOf(fields));
    }
    if (!skipped.isEmpty()) {
      log.atWarn()
          .addKeyValue("file", file.toString())
          .addKeyValue("sections", skipped)
          .log("secrets file: sections that are not objects were ignored");
    }
    return new Snapshot(modified, size, Map.copyOf(values), Optional.empty());
  }

  private Snapshot problem(long modified, long size, String what) {
    String message = file + ": " + what + "; treating it as empty";
    log.atWarn().addKeyValue("file", file.toString()).log("secrets file unusable: {}", message);
    return new Snapshot(modified, size, Map.of(), Optional.of(message));
  }

  private void warnIfWorldReadable() {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    try {
      if (view.readAttributes().permissions().contains(PosixFilePermission.OTHERS_READ)) {
        log.atWarn()
            .addKeyValue("file", file.toString())
            .log("secrets file is readable by other users; run: chmod 600 {}", file);
      }
    } catch (IOException e) {
      // Permissions are advisory here; an unreadable attribute set is not worth failing over.
    }
  }
}

package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code fake-providers --write-config HOME}: merges the fakes' live-mode settings into {@code
 * HOME/config/comfyvn.json} (and turns the public GPU flag on) and their credentials into {@code
 * HOME/config/comfyvn.secrets.json} (owner-only), keeping every other key the files hold. Each file
 * is written aside and moved into place, so a reader never sees half a file; a file whose content
 * changes is kept once as {@code <file>.bak} (same permissions) so a user's real keys are not lost.
 */
final class FakeConfigWriter {
  static final String CONFIG = "config/comfyvn.json";
  static final String SECRETS = "config/comfyvn.secrets.json";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private final ObjectMapper mapper;

  FakeConfigWriter(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** What was written: the two files and the backups made. */
  record Written(Path config, Path secrets, List<Path> backups) {}

  /**
   * Writes {@code handshake} (the fakes' {@code {"providers_gpu":…, "secrets":…, …}}) into the
   * home: every top-level key but {@code secrets} goes to the config file.
   *
   * @throws IllegalArgumentException when an existing file is not a JSON object (it is left alone)
   */
  Written write(Path home, ObjectNode handshake) {
    ObjectNode settings = handshake.deepCopy();
    JsonNode secrets = settings.remove("secrets");
    settings.withObject("/features").put("enable_public_gpu_adapters", true);
    Path config = home.resolve(CONFIG);
    Path secretsFile = home.resolve(SECRETS);
    // Read and merge both before writing either: a broken file changes nothing.
    Planned plannedConfig = plan(config, settings);
    Planned plannedSecrets =
        plan(
            secretsFile,
            secrets != null && secrets.isObject()
                ? (ObjectNode) secrets
                : mapper.createObjectNode());
    List<Path> backups = new ArrayList<>();
    try {
      apply(config, plannedConfig, false, backups);
      apply(secretsFile, plannedSecrets, true, backups);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write under " + home.resolve("config"), e);
    }
    return new Written(config, secretsFile, List.copyOf(backups));
  }

  /** A file's bytes now (null when absent) and after the merge. */
  private record Planned(byte[] before, byte[] after) {}

  private Planned plan(Path file, ObjectNode over) {
    try {
      ObjectNode current = read(file);
      ObjectNode merged = deepMerge(current == null ? mapper.createObjectNode() : current, over);
      byte[] after =
          (mapper.writerWithDefaultPrettyPrinter().writeValueAsString(merged) + "\n")
              .getBytes(StandardCharsets.UTF_8);
      return new Planned(current == null ? null : Files.readAllBytes(file), after);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static void apply(Path file, Planned p, boolean secret, List<Path> backups)
      throws IOException {
    Files.createDirectories(file.getParent());
    if (p.before() != null) {
      if (java.util.Arrays.equals(p.before(), p.after())) {
        return;
      }
      Path backup = file.resolveSibling(file.getFileName() + ".bak");
      replace(backup, p.before(), secret);
      backups.add(backup);
    }
    replace(file, p.after(), secret);
  }

  /** The file as a JSON object, null when it does not exist. */
  private ObjectNode read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    JsonNode node;
    try {
      node = mapper.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      // Say where, never what: the secrets file's content must not be echoed.
      throw new IllegalArgumentException(
          file
              + ": not valid JSON"
              + FakeJson.where(e)
              + "; fix or remove it first (left unchanged)");
    }
    if (node == null || node.isMissingNode()) {
      return null; // an empty file
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          file + ": the top level must be a JSON object; fix or remove it first (left unchanged)");
    }
    return (ObjectNode) node;
  }

  /**
   * Objects merge key by key; lists merge as a set union (what {@code base} had, in its order, then
   * what {@code over} adds), so a user's {@code egress.allowed_base_urls} keep their origins;
   * anything else in {@code over} replaces what {@code base} had.
   */
  static ObjectNode deepMerge(ObjectNode base, ObjectNode over) {
    ObjectNode out = base.deepCopy();
    over.properties()
        .forEach(
            e -> {
              JsonNode have = out.get(e.getKey());
              if (have != null && have.isObject() && e.getValue().isObject()) {
                out.set(e.getKey(), deepMerge((ObjectNode) have, (ObjectNode) e.getValue()));
              } else if (have != null && have.isArray() && e.getValue().isArray()) {
                out.set(e.getKey(), union((ArrayNode) have, (ArrayNode) e.getValue()));
              } else {
                out.set(e.getKey(), e.getValue().deepCopy());
              }
            });
    return out;
  }

  /** {@code base}'s items, then each item of {@code over} that {@code base} does not hold. */
  private static ArrayNode union(ArrayNode base, ArrayNode over) {
    ArrayNode out = base.deepCopy();
    Set<JsonNode> seen = new HashSet<>();
    out.forEach(seen::add);
    over.forEach(
        item -> {
          if (seen.add(item)) {
            out.add(item.deepCopy());
          }
        });
    return out;
  }

  /** Writes a temp file beside {@code target} (owner-only when secret), then moves it over. */
  private static void replace(Path target, byte[] bytes, boolean secret) throws IOException {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    FileAttribute<?>[] attrs =
        secret && posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
            : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp", attrs);
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      if (secret && posix) {
        Files.setPosixFilePermissions(target, OWNER_ONLY);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}

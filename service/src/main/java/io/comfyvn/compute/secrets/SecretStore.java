package io.comfyvn.compute.secrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigProblem;
import io.comfyvn.compute.config.Suggest;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only source of secrets: {@code config/comfyvn.secrets.json} under the home folder. The file
 * is re-read when its modification time or size changes, so adding a key needs no restart. A file
 * that cannot be parsed is reported (file and position, never content): at start it counts as
 * empty, on a re-read the secrets read before are kept. Placeholders (the sample's {@code RP_...})
 * are reported and count as missing, so they are never sent. A file other users can read is
 * reported as a warning.
 */
public final class SecretStore {
  /** Where secrets live, relative to the home folder. */
  public static final String SECRETS_FILE = "config/comfyvn.secrets.json";

  /** The service's own API token ({@code server.api_token}; {@code docs/config/secrets.md}). */
  public static final SecretKey API_TOKEN =
      new SecretKey("server", "api_token", List.of(), List.of());

  /** The task store's login user ({@code store.user}, also {@code store.username}). */
  public static final SecretKey STORE_USER =
      new SecretKey("store", "user", List.of(), List.of("username"));

  /** The task store's login password. */
  public static final SecretKey STORE_PASSWORD =
      new SecretKey("store", "password", List.of(), List.of());

  /** The service's own keys, besides the providers'. */
  public static final List<SecretKey> SERVICE_KEYS = List.of(API_TOKEN, STORE_USER, STORE_PASSWORD);

  private static final Logger log = LoggerFactory.getLogger(SecretStore.class);

  private final Path file;
  private final ObjectMapper mapper;
  // Read without a lock on every call (one stat of the file); only a changed file is parsed, under
  // the lock, so concurrent requests never queue behind each other to look at an unchanged file.
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  /**
   * The parsed file.
   *
   * @param values section (lower case) -> field (lower case) -> value; placeholders left out
   * @param fields section (lower case) -> every field name the file has there (for the key check)
   * @param layout problems of the file itself: not JSON, sections that are not objects, values that
   *     are not strings, placeholders
   * @param problem why the file could not be used, if it could not
   * @param worldReadable whether other users can read it
   * @param good whether the values come from a good read (this one or one kept from before)
   */
  private record Snapshot(
      long modified,
      long size,
      Map<String, Map<String, Secret>> values,
      Map<String, Set<String>> fields,
      List<ConfigProblem> layout,
      Optional<String> problem,
      boolean worldReadable,
      boolean good) {
    static final Snapshot EMPTY =
        new Snapshot(-1, -1, Map.of(), Map.of(), List.of(), Optional.empty(), false, false);
  }

  public SecretStore(Path home, ObjectMapper mapper) {
    this.file = home.resolve(SECRETS_FILE);
    this.mapper = mapper;
  }

  /** The path of the secrets file (for messages; it holds no secret itself). */
  public Path file() {
    return file;
  }

  /**
   * The value for a key, trying every accepted spelling; empty when absent, blank or a placeholder.
   */
  public Optional<Secret> find(SecretKey key) {
    return find(current().values(), key);
  }

  private static Optional<Secret> find(Map<String, Map<String, Secret>> values, SecretKey key) {
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

  /** The qualified names of the keys that are missing (placeholders count as missing). */
  public List<String> missing(Collection<SecretKey> keys) {
    // one look at the file for all the keys: they are answered from the same version of it
    Map<String, Map<String, Secret>> values = current().values();
    List<String> out = new ArrayList<>();
    for (SecretKey k : keys) {
      if (find(values, k).isEmpty()) {
        out.add(k.qualifiedName());
      }
    }
    return out;
  }

  /**
   * What is wrong with the file, in one line (file and position, key names; never a value): why it
   * could not be used, and the placeholders and values it ignored. Empty when nothing is.
   */
  public Optional<String> problem() {
    Snapshot s = current();
    List<String> parts = new ArrayList<>();
    s.problem().ifPresent(parts::add);
    s.layout().stream()
        .filter(p -> !p.path().isEmpty())
        .forEach(p -> parts.add(p.path() + ": " + p.message()));
    if (parts.isEmpty()) {
      return Optional.empty();
    }
    if (s.problem().isEmpty()) {
      return Optional.of(file + ": " + String.join("; ", parts));
    }
    return Optional.of(String.join("; ", parts));
  }

  /**
   * Every problem of the file, for {@code doctor}, health and the providers answer: those of {@link
   * #problem()}, a field of a known section that no spelling of its keys names (with the nearest
   * one), a section close to a known one, and a file other users can read.
   *
   * @param known every key the service reads (providers' and its own), aliases included
   */
  public List<ConfigProblem> problems(Collection<SecretKey> known) {
    Snapshot s = current();
    List<ConfigProblem> out = new ArrayList<>(s.layout());
    Map<String, Set<String>> fieldsBySection = new TreeMap<>();
    for (SecretKey k : known) {
      for (String section : names(k.section(), k.sectionAliases())) {
        Set<String> f = fieldsBySection.computeIfAbsent(section, x -> new TreeSet<>());
        f.addAll(names(k.field(), k.fieldAliases()));
      }
    }
    for (Map.Entry<String, Set<String>> e : s.fields().entrySet()) {
      String section = e.getKey();
      Set<String> fields = fieldsBySection.get(section);
      if (fields == null) {
        // a section no provider names may be a registry entry's meta.credentials: only a near
        // miss of a known section is worth saying
        Suggest.nearest(section, fieldsBySection.keySet())
            .ifPresent(
                near ->
                    out.add(
                        new ConfigProblem(
                            ConfigProblem.Severity.WARNING,
                            file.toString(),
                            section,
                            "no provider reads this section",
                            List.of(),
                            Optional.of(near))));
        continue;
      }
      for (String field : e.getValue()) {
        if (!fields.contains(field)) {
          out.add(
              new ConfigProblem(
                  ConfigProblem.Severity.WARNING,
                  file.toString(),
                  section + "." + field,
                  "unknown key, ignored",
                  List.copyOf(fields),
                  Suggest.nearest(field, fields)));
        }
      }
    }
    if (s.worldReadable()) {
      out.add(
          ConfigProblem.warning(
              file.toString(), "", "readable by other users; run: chmod 600 " + file));
    }
    return List.copyOf(out);
  }

  private static List<String> names(String canonical, List<String> aliases) {
    List<String> out = new ArrayList<>(aliases.size() + 1);
    out.add(canonical);
    out.addAll(aliases);
    return out;
  }

  private Snapshot current() {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      snapshot = Snapshot.EMPTY;
      return Snapshot.EMPTY;
    }
    long modified = attrs.lastModifiedTime().toMillis();
    Snapshot s = snapshot;
    if (modified == s.modified() && attrs.size() == s.size()) {
      return s;
    }
    synchronized (this) {
      s = snapshot;
      if (modified != s.modified() || attrs.size() != s.size()) {
        s = read(modified, attrs.size(), s);
        snapshot = s;
      }
      return s;
    }
  }

  private Snapshot read(long modified, long size, Snapshot before) {
    boolean worldReadable = worldReadable();
    JsonNode root;
    try {
      root = mapper.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      // Jackson's own message quotes the offending token, which may be a secret: keep position
      // only.
      return problem(modified, size, "not valid JSON" + Json.where(e), before, worldReadable);
    } catch (IOException e) {
      return problem(
          modified,
          size,
          "cannot be read (" + e.getClass().getSimpleName() + ")",
          before,
          worldReadable);
    }
    if (root == null || !root.isObject()) {
      return problem(
          modified,
          size,
          "the top level must be a JSON object of provider sections",
          before,
          worldReadable);
    }
    Map<String, Map<String, Secret>> values = new LinkedHashMap<>();
    Map<String, Set<String>> names = new LinkedHashMap<>();
    List<ConfigProblem> layout = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Map.Entry<String, JsonNode> section : root.properties()) {
      String name = section.getKey().toLowerCase(Locale.ROOT);
      if (!section.getValue().isObject()) {
        skipped.add(section.getKey());
        layout.add(
            ConfigProblem.warning(
                file.toString(),
                name,
                "must be an object of fields such as {\"api_key\": \"...\"}; ignored"));
        continue;
      }
      Map<String, Secret> fields = new LinkedHashMap<>();
      Set<String> seen = new TreeSet<>();
      for (Map.Entry<String, JsonNode> f : section.getValue().properties()) {
        String field = f.getKey().toLowerCase(Locale.ROOT);
        String at = name + "." + field;
        seen.add(field);
        JsonNode v = f.getValue();
        if (!v.isTextual()) {
          layout.add(
              ConfigProblem.warning(file.toString(), at, "must be a string; ignored (missing)"));
        } else if (v.asText().isBlank()) {
          continue; // blank is missing, as documented
        } else if (Placeholders.is(v.asText())) {
          layout.add(
              ConfigProblem.warning(
                  file.toString(),
                  at,
                  "a placeholder, not a key (the sample's value): counted as missing, never sent"));
        } else {
          fields.put(field, Secret.of(v.asText()));
        }
      }
      values.put(name, Map.copyOf(fields));
      names.put(name, Set.copyOf(seen));
    }
    if (!skipped.isEmpty()) {
      log.atWarn()
          .addKeyValue("file", file.toString())
          .addKeyValue("sections", skipped)
          .log("secrets file: sections that are not objects were ignored");
    }
    return new Snapshot(
        modified,
        size,
        Map.copyOf(values),
        Map.copyOf(names),
        List.copyOf(layout),
        Optional.empty(),
        worldReadable,
        true);
  }

  /**
   * A file that cannot be used: at start it counts as empty; after a good read, the secrets read
   * then are kept (a half-saved edit does not take every key away at once).
   */
  private Snapshot problem(
      long modified, long size, String what, Snapshot before, boolean worldReadable) {
    boolean keep = before.good();
    Snapshot base = keep ? before : Snapshot.EMPTY;
    String message =
        file
            + ": "
            + what
            + (keep ? "; keeping the secrets read before it changed" : "; treating it as empty");
    log.atWarn().addKeyValue("file", file.toString()).log("secrets file unusable: {}", message);
    List<ConfigProblem> layout =
        List.of(
            ConfigProblem.warning(
                file.toString(), "", message.substring(file.toString().length() + 2)));
    return new Snapshot(
        modified,
        size,
        base.values(),
        base.fields(),
        layout,
        Optional.of(message),
        worldReadable,
        keep);
  }

  private boolean worldReadable() {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return false;
    }
    try {
      if (view.readAttributes().permissions().contains(PosixFilePermission.OTHERS_READ)) {
        log.atWarn()
            .addKeyValue("file", file.toString())
            .log("secrets file is readable by other users; run: chmod 600 {}", file);
        return true;
      }
    } catch (IOException e) {
      // Permissions are advisory here; an unreadable attribute set is not worth failing over.
    }
    return false;
  }
}

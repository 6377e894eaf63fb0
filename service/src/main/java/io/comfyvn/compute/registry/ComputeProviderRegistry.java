package io.comfyvn.compute.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.errors.ComputeException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ComfyVN's compute provider registry, kept in {@code config/compute_providers.json} as {@code
 * {"providers":[...]}}. On first start it is seeded from the {@code providers} array of {@code
 * config/comfyvn.json} (unless {@code features.enable_compute} is false); {@code local} is always
 * present and cannot be removed.
 *
 * <p>Every change is written to a temporary file and moved over the old one, then made visible: a
 * failed write changes nothing. A file that cannot be read is reported (see {@link #problem()}) and
 * never overwritten: changes are refused until the user fixes or moves it. Unknown keys, at the top
 * level and in entries, are written back as they were read.
 */
public final class ComputeProviderRegistry {
  /** Where the registry lives, relative to the home folder. */
  public static final String FILE = "config/compute_providers.json";

  private final Path file;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final String problem;
  private final ObjectNode topLevelExtras;
  private Map<String, ComputeProvider> entries;

  private ComputeProviderRegistry(
      Path file,
      ObjectMapper mapper,
      Clock clock,
      Map<String, ComputeProvider> entries,
      ObjectNode topLevelExtras,
      String problem) {
    this.file = file;
    this.mapper = mapper;
    this.clock = clock;
    this.entries = entries;
    this.topLevelExtras = topLevelExtras;
    this.problem = problem;
  }

  /**
   * Opens the registry of a home folder.
   *
   * @param home the service's home folder
   * @param config the merged {@code config/comfyvn.json} (for the seed)
   * @param local the {@code local} entry to add when the file has none
   * @throws ConfigException when the seed in {@code config/comfyvn.json} is unusable
   */
  public static ComputeProviderRegistry open(
      Path home, JsonNode config, ComputeProvider local, ObjectMapper mapper, Clock clock) {
    Path file = home.resolve(FILE);
    if (!Files.exists(file)) {
      Map<String, ComputeProvider> seeded = seed(config, clock.instant());
      seeded.putIfAbsent(local.id(), local);
      ComputeProviderRegistry r =
          new ComputeProviderRegistry(
              file, mapper, clock, Map.of(), JsonNodeFactory.instance.objectNode(), null);
      r.commit(seeded);
      return r;
    }
    try {
      JsonNode root = mapper.readTree(file.toFile());
      if (root == null || !root.isObject() || !root.path("providers").isArray()) {
        throw new Unreadable("the top level must be an object with a 'providers' array");
      }
      Map<String, ComputeProvider> loaded = new LinkedHashMap<>();
      ArrayNode list = (ArrayNode) root.get("providers");
      for (int i = 0; i < list.size(); i++) {
        JsonNode e = list.get(i);
        if (!e.isObject()) {
          throw new Unreadable("providers[" + i + "] is not an object");
        }
        try {
          ComputeProvider p = Entries.parse((ObjectNode) e, null, clock.instant(), true);
          if (loaded.putIfAbsent(p.id(), p) != null) {
            throw new Unreadable("providers[" + i + "]: id '" + p.id() + "' appears twice");
          }
        } catch (ComputeException bad) {
          throw new Unreadable("providers[" + i + "]: " + bad.getMessage());
        }
      }
      boolean added = loaded.putIfAbsent(local.id(), local) == null;
      ObjectNode extras = ((ObjectNode) root).deepCopy();
      extras.remove("providers");
      ComputeProviderRegistry r =
          new ComputeProviderRegistry(file, mapper, clock, Map.of(), extras, null);
      if (added) {
        r.commit(loaded);
      } else {
        r.entries = loaded;
      }
      return r;
    } catch (JsonProcessingException e) {
      String where = Json.where(e);
      return broken(file, mapper, clock, local, "not valid JSON" + where);
    } catch (Unreadable e) {
      return broken(file, mapper, clock, local, e.getMessage());
    } catch (IOException e) {
      return broken(
          file, mapper, clock, local, "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static ComputeProviderRegistry broken(
      Path file, ObjectMapper mapper, Clock clock, ComputeProvider local, String why) {
    Map<String, ComputeProvider> only = new LinkedHashMap<>();
    only.put(local.id(), local);
    return new ComputeProviderRegistry(
        file,
        mapper,
        clock,
        only,
        JsonNodeFactory.instance.objectNode(),
        FILE + ": " + why + "; it was left as it is: fix it or move it away, then restart");
  }

  private static Map<String, ComputeProvider> seed(JsonNode config, Instant now) {
    Map<String, ComputeProvider> out = new LinkedHashMap<>();
    if (config == null || !config.path("features").path("enable_compute").asBoolean(true)) {
      return out;
    }
    JsonNode list = config.path("providers");
    if (list.isMissingNode() || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      throw new ConfigException("config/comfyvn.json: providers must be an array");
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      if (!e.isObject()) {
        throw new ConfigException("config/comfyvn.json: providers[" + i + "] must be an object");
      }
      try {
        ComputeProvider p = Entries.parse((ObjectNode) e, null, now, false);
        out.put(p.id(), p);
      } catch (ComputeException bad) {
        throw new ConfigException("config/comfyvn.json: providers[" + i + "]: " + bad.getMessage());
      }
    }
    return out;
  }

  /** Why the file could not be used, when it could not; changes are refused then. */
  public Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /** Every entry, by priority then id. */
  public synchronized List<ComputeProvider> list() {
    List<ComputeProvider> out = new ArrayList<>(entries.values());
    out.sort(Comparator.comparingInt(ComputeProvider::priority).thenComparing(ComputeProvider::id));
    return out;
  }

  /** The entry with this id (case-insensitive). */
  public synchronized Optional<ComputeProvider> get(String id) {
    return Optional.ofNullable(entries.get(id.toLowerCase(java.util.Locale.ROOT)));
  }

  /** Adds or replaces an entry; fields left out of a replacement keep their values. */
  public synchronized ComputeProvider register(ObjectNode payload) {
    writable();
    String id = Entries.id(payload);
    ComputeProvider p = Entries.parse(payload, entries.get(id), clock.instant(), false);
    Map<String, ComputeProvider> next = new LinkedHashMap<>(entries);
    next.put(p.id(), p);
    commit(next);
    return p;
  }

  /** Adds a new entry; an existing id is a conflict. */
  public synchronized ComputeProvider create(ObjectNode payload) {
    writable();
    String id = Entries.id(payload);
    if (entries.containsKey(id)) {
      throw new ComputeException(
          ComputeException.Kind.CONFLICT,
          "provider_exists",
          "a provider with id '" + id + "' exists; pick another id or use /register to replace it");
    }
    return register(payload);
  }

  /** Turns an entry on or off. */
  public synchronized ComputeProvider setActive(String id, boolean active) {
    writable();
    ComputeProvider p = existing(id).withActive(active, clock.instant());
    Map<String, ComputeProvider> next = new LinkedHashMap<>(entries);
    next.put(p.id(), p);
    commit(next);
    return p;
  }

  /**
   * Gives the listed ids priorities 0, 1, 2... in that order; entries not listed follow, in their
   * current order.
   */
  public synchronized List<ComputeProvider> order(List<String> ids) {
    writable();
    List<String> wanted = new ArrayList<>();
    for (String raw : ids) {
      String id = existing(raw).id();
      if (wanted.contains(id)) {
        throw ComputeException.badRequest("invalid_value", "'" + id + "' is listed twice");
      }
      wanted.add(id);
    }
    for (ComputeProvider p : list()) {
      if (!wanted.contains(p.id())) {
        wanted.add(p.id());
      }
    }
    Instant now = clock.instant();
    Map<String, ComputeProvider> next = new LinkedHashMap<>();
    for (int i = 0; i < wanted.size(); i++) {
      ComputeProvider p = entries.get(wanted.get(i));
      next.put(p.id(), p.priority() == i ? p : p.withPriority(i, now));
    }
    commit(next);
    return list();
  }

  /** Records a health answer as the entry's {@code last_health}. */
  public synchronized void recordHealth(String id, ObjectNode health) {
    ComputeProvider p = entries.get(id);
    if (p == null || problem != null) {
      // removed meanwhile, or a file we must not overwrite: the answer is still returned
      return;
    }
    Map<String, ComputeProvider> next = new LinkedHashMap<>(entries);
    next.put(id, p.withHealth(health));
    commit(next);
  }

  /** Removes an entry; {@code local} cannot be removed. */
  public synchronized ComputeProvider remove(String id) {
    writable();
    ComputeProvider p = existing(id);
    if (ComputeProvider.LOCAL_ID.equals(p.id())) {
      throw ComputeException.badRequest(
          "local_not_removable", "the 'local' provider is always present and cannot be removed");
    }
    Map<String, ComputeProvider> next = new LinkedHashMap<>(entries);
    next.remove(p.id());
    commit(next);
    return p;
  }

  /**
   * What an import did.
   *
   * @param imported ids added or replaced
   * @param skipped ids already present and left alone (without {@code overwrite})
   */
  public record ImportResult(List<String> imported, List<String> skipped) {}

  /**
   * Imports entries all at once (one bad entry refuses the whole import).
   *
   * @param replace drop every entry first ({@code local} comes back if the import lacks it)
   * @param overwrite replace entries with the same id instead of skipping them
   */
  public synchronized ImportResult importAll(
      List<ObjectNode> payloads, boolean replace, boolean overwrite) {
    writable();
    Instant now = clock.instant();
    Map<String, ComputeProvider> next = new LinkedHashMap<>();
    ComputeProvider local = entries.get(ComputeProvider.LOCAL_ID);
    if (!replace) {
      next.putAll(entries);
    }
    List<String> imported = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (int i = 0; i < payloads.size(); i++) {
      ComputeProvider p;
      try {
        p = Entries.parse(payloads.get(i), null, now, true);
      } catch (ComputeException bad) {
        throw ComputeException.badRequest(bad.code(), "providers[" + i + "]: " + bad.getMessage());
      }
      if (imported.contains(p.id())) {
        throw ComputeException.badRequest(
            "invalid_value", "providers[" + i + "]: id '" + p.id() + "' appears twice");
      }
      if (next.containsKey(p.id()) && !overwrite) {
        skipped.add(p.id());
        continue;
      }
      next.put(p.id(), p);
      imported.add(p.id());
    }
    next.putIfAbsent(local.id(), local);
    commit(next);
    return new ImportResult(List.copyOf(imported), List.copyOf(skipped));
  }

  private ComputeProvider existing(String id) {
    ComputeProvider p = entries.get(id.toLowerCase(java.util.Locale.ROOT));
    if (p == null) {
      throw ComputeException.notFound("unknown_provider", "no provider with id '" + id + "'");
    }
    return p;
  }

  private void writable() {
    if (problem != null) {
      throw new ComputeException(ComputeException.Kind.CONFLICT, "registry_unreadable", problem);
    }
  }

  /** Writes the new state to disk, then makes it the current one. */
  private synchronized void commit(Map<String, ComputeProvider> next) {
    ObjectNode root = topLevelExtras.deepCopy();
    ArrayNode list = root.putArray("providers");
    next.values().stream()
        .sorted(
            Comparator.comparingInt(ComputeProvider::priority).thenComparing(ComputeProvider::id))
        .forEach(p -> list.add(Entries.toJson(p, false)));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".compute_providers", ".tmp");
      try {
        Files.write(tmp, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        try {
          Files.move(
              tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new ComputeException(
          ComputeException.Kind.UNAVAILABLE,
          "registry_write_failed",
          FILE + " could not be written (" + e.getClass().getSimpleName() + ")",
          true,
          e);
    }
    entries = next;
  }

  /** A registry file that parses but is not the registry's shape. */
  private static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreadable(String message) {
      super(message);
    }
  }
}

package io.comfyvn.compute.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads {@code config/comfyvn.json} under the service's home folder. A missing file means the
 * shipped defaults; a file that is not a JSON object is a {@link ConfigException} naming the file
 * and line.
 */
public final class ConfigLoader {
  /** Where the config lives, relative to the home folder. */
  public static final String CONFIG_FILE = "config/comfyvn.json";

  private static final String DEFAULTS_RESOURCE = "/io/comfyvn/compute/config/comfyvn.json";
  private final ObjectMapper mapper;

  public ConfigLoader(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * The config of a home folder and every problem of its file (the shipped defaults when there is
   * none). A file that is not a JSON object is an error and the config is the defaults; problems
   * never stop this method, {@link #load} decides.
   */
  public Loaded read(Path home) {
    ObjectNode defaults = defaults();
    Path file = home.resolve(CONFIG_FILE);
    if (!Files.exists(file)) {
      return new Loaded(AppConfig.fromJson(defaults), List.of());
    }
    ObjectNode user;
    try {
      user = lowerCaseProviderKeys(readObject(file));
    } catch (ConfigException e) {
      return new Loaded(
          AppConfig.fromJson(defaults),
          List.of(ConfigProblem.error(file.toString(), "", e.bare())));
    }
    return new Loaded(
        AppConfig.fromJson(merge(defaults, user)),
        ConfigValidator.check(user, ConfigSchema.CONFIG, file.toString()));
  }

  /**
   * Loads the config for a home folder.
   *
   * @throws ConfigException listing every error when the file has any (warnings do not stop it)
   */
  public AppConfig load(Path home) {
    Loaded loaded = read(home);
    if (!loaded.errors().isEmpty()) {
      throw new ConfigException(loaded.errors());
    }
    return loaded.config();
  }

  /**
   * What {@link #read} found.
   *
   * @param config the settings: the file merged over the defaults (the defaults when the file is
   *     not JSON)
   * @param problems every problem of the file, errors and warnings
   */
  public record Loaded(AppConfig config, List<ConfigProblem> problems) {
    public Loaded {
      problems = List.copyOf(problems);
    }

    /** The problems the service refuses to start on. */
    public List<ConfigProblem> errors() {
      return problems.stream().filter(ConfigProblem::isError).toList();
    }

    /** The problems it runs with. */
    public List<ConfigProblem> warnings() {
      return problems.stream().filter(p -> !p.isError()).toList();
    }
  }

  /** Parses a JSON object file, or throws a {@link ConfigException} with file, line and column. */
  ObjectNode readObject(Path file) {
    try {
      JsonNode node = mapper.readTree(file.toFile());
      if (node == null || !node.isObject()) {
        throw new ConfigException(file, "the top level must be a JSON object");
      }
      return (ObjectNode) node;
    } catch (JsonProcessingException e) {
      String where = Json.where(e);
      throw new ConfigException(
          file, "not valid JSON" + where + " (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new ConfigException(file, "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private ObjectNode defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + DEFAULTS_RESOURCE);
      }
      return (ObjectNode) mapper.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Provider slugs are case-insensitive: {@code "RunPod"} must merge with the default {@code
   * runpod}.
   */
  private static ObjectNode lowerCaseProviderKeys(ObjectNode user) {
    JsonNode providers = user.get("providers_gpu");
    if (providers == null || !providers.isObject()) {
      return user;
    }
    ObjectNode out = user.deepCopy();
    ObjectNode lowered = out.putObject("providers_gpu");
    providers
        .properties()
        .forEach(e -> lowered.set(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
    return out;
  }

  /** Deep merge: objects merge key by key, anything else in {@code over} replaces {@code base}. */
  static ObjectNode merge(ObjectNode base, ObjectNode over) {
    ObjectNode out = base.deepCopy();
    over.properties()
        .forEach(
            e -> {
              JsonNode existing = out.get(e.getKey());
              if (existing != null && existing.isObject() && e.getValue().isObject()) {
                out.set(e.getKey(), merge((ObjectNode) existing, (ObjectNode) e.getValue()));
              } else {
                out.set(e.getKey(), e.getValue().deepCopy());
              }
            });
    return out;
  }
}

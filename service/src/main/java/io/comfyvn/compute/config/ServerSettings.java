package io.comfyvn.compute.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code server} section of {@code config/comfyvn.json}: who may reach the HTTP service and how
 * long a client may take to send a request. The boundary ({@code web/boundary}) parses the host and
 * origin entries; this record only checks that they are strings.
 *
 * @param allowedHosts extra {@code Host} names the service answers to ({@code name} or {@code
 *     name:port}), e.g. the name a reverse proxy forwards
 * @param allowedOrigins extra browser origins ({@code scheme://host[:port]}) allowed to call the
 *     API, with CORS
 * @param idleTimeout how long a connection may send nothing (headers or body) before it is closed
 * @param bodyTimeout how long a request body may take to arrive in full, however it trickles
 */
public record ServerSettings(
    List<String> allowedHosts,
    List<String> allowedOrigins,
    Duration idleTimeout,
    Duration bodyTimeout) {

  /** Idle connections are closed after this long by default. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** A request body must arrive within this long by default. */
  public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(20);

  public ServerSettings {
    allowedHosts = List.copyOf(allowedHosts);
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** Loopback defaults: nothing extra allowed. */
  public static ServerSettings defaults() {
    return new ServerSettings(List.of(), List.of(), DEFAULT_IDLE_TIMEOUT, DEFAULT_BODY_TIMEOUT);
  }

  /**
   * Reads the section; a value of the wrong type is a {@link ConfigException} naming the key.
   *
   * @param config the loaded config
   */
  public static ServerSettings from(AppConfig config) {
    JsonNode server = config.section("server");
    if (server.isMissingNode() || server.isNull()) {
      return defaults();
    }
    if (!server.isObject()) {
      throw new ConfigException(ConfigLoader.CONFIG_FILE + ": 'server' must be an object");
    }
    return new ServerSettings(
        strings(server, "allowed_hosts"),
        strings(server, "allowed_origins"),
        millis(server, "idle_timeout_ms", DEFAULT_IDLE_TIMEOUT, 1_000, 600_000),
        millis(server, "body_timeout_ms", DEFAULT_BODY_TIMEOUT, 100, 600_000));
  }

  private static List<String> strings(JsonNode server, String key) {
    JsonNode list = server.get(key);
    if (list == null || list.isNull()) {
      return List.of();
    }
    if (!list.isArray()) {
      throw new ConfigException(
          ConfigLoader.CONFIG_FILE + ": 'server." + key + "' must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode v = list.get(i);
      if (!v.isTextual() || v.asText().isBlank()) {
        throw new ConfigException(
            ConfigLoader.CONFIG_FILE
                + ": 'server."
                + key
                + "["
                + i
                + "]' must be a non-empty string");
      }
      out.add(v.asText().trim());
    }
    return out;
  }

  private static Duration millis(JsonNode server, String key, Duration dflt, long min, long max) {
    JsonNode v = server.get(key);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
      throw new ConfigException(
          ConfigLoader.CONFIG_FILE
              + ": 'server."
              + key
              + "' must be a whole number of milliseconds from "
              + min
              + " to "
              + max);
    }
    return Duration.ofMillis(v.asLong());
  }
}

package io.comfyvn.compute.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reading and writing registry entries as JSON, with ComfyVN's spellings: {@code base}/{@code
 * endpoint} for {@code base_url}, and the older registry's kinds ({@code runpod}, {@code unraid},
 * {@code custom}). Every refusal is a 400 naming the field.
 */
public final class Entries {
  /** Ids are folder names under {@code data/remote/}: no separators, no leading dot. */
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

  private static final Set<String> KNOWN =
      Set.of(
          "id",
          "name",
          "kind",
          "service",
          "base_url",
          "base",
          "endpoint",
          "active",
          "priority",
          "meta",
          "last_health",
          "created_at",
          "updated_at");

  /** The older registry's kinds ({@code compute/providers.py}) as kind and default service. */
  private static final Map<String, String[]> LEGACY_KINDS =
      Map.of(
          "runpod", new String[] {"remote", "runpod"},
          "unraid", new String[] {"lan", "unraid"},
          "custom", new String[] {"remote", "custom"});

  private static final String MASK = "***";

  private Entries() {}

  /**
   * An entry from a payload.
   *
   * @param in the JSON object
   * @param previous the entry with the same id, whose {@code created_at} and unstated fields are
   *     kept, or null
   * @param now the time of the change
   * @param trustTimes whether {@code created_at}, {@code updated_at} and {@code last_health} are
   *     taken from the payload (the file and imports) or set here (registrations)
   */
  static ComputeProvider parse(
      ObjectNode in, ComputeProvider previous, Instant now, boolean trustTimes) {
    String id = id(in);
    String rawKind = optText(in, "kind");
    String kind;
    String defaultService;
    if (rawKind == null) {
      kind = previous == null ? "remote" : previous.kind();
      defaultService = null;
    } else {
      String k = rawKind.toLowerCase(Locale.ROOT);
      String[] legacy = LEGACY_KINDS.get(k);
      if (legacy != null) {
        kind = legacy[0];
        defaultService = legacy[1];
      } else if (ComputeProvider.KINDS.contains(k)) {
        kind = k;
        defaultService = null;
      } else {
        throw ComputeException.badRequest(
            "invalid_value",
            "'kind' must be one of local, remote, lan (or runpod, unraid, custom)");
      }
    }
    String service = optText(in, "service");
    if (service == null) {
      service =
          defaultService != null
              ? defaultService
              : previous != null
                  ? previous.service()
                  : switch (kind) {
                    case "local" -> "comfyui";
                    case "lan" -> "lan";
                    default -> "custom";
                  };
    }
    service = service.toLowerCase(Locale.ROOT);
    if (!ID.matcher(service).matches()) {
      throw ComputeException.badRequest(
          "invalid_value", "'service' must be a word such as comfyui, runpod, lan, vast.ai");
    }
    String baseUrl = baseUrl(in);
    if (baseUrl == null) {
      if (previous == null) {
        throw ComputeException.badRequest("missing_field", "'base_url' is required");
      }
      baseUrl = previous.baseUrl();
    }
    String name = optText(in, "name");
    if (name == null) {
      name = previous == null ? id : previous.name();
    }
    boolean active = bool(in, "active", previous == null || previous.active());
    int priority = priority(in, previous == null ? 50 : previous.priority());
    ObjectNode meta = object(in, "meta");
    if (meta == null) {
      meta = previous == null ? null : previous.meta();
    }
    ObjectNode extra = JsonNodeFactory.instance.objectNode();
    in.properties()
        .forEach(
            e -> {
              if (!KNOWN.contains(e.getKey())) {
                extra.set(e.getKey(), e.getValue().deepCopy());
              }
            });
    refuseSecrets(meta, "meta");
    refuseSecrets(extra, "");
    ObjectNode lastHealth = previous == null ? null : previous.lastHealth();
    Instant created = previous == null ? now : previous.createdAt();
    Instant updated = now;
    if (trustTimes) {
      ObjectNode h = object(in, "last_health");
      lastHealth = h != null ? h : lastHealth;
      created = time(in.get("created_at"), created);
      updated = time(in.get("updated_at"), now);
    }
    return new ComputeProvider(
        id,
        name,
        kind,
        service,
        baseUrl,
        active,
        priority,
        meta,
        lastHealth,
        created,
        updated,
        extra);
  }

  /** The entry as stored; {@code masked} replaces secret-looking values (defence in depth). */
  static ObjectNode toJson(ComputeProvider p, boolean masked) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.setAll(masked ? mask(p.extra()) : p.extra().deepCopy());
    out.put("id", p.id());
    out.put("name", p.name());
    out.put("kind", p.kind());
    out.put("service", p.service());
    out.put("base_url", p.baseUrl());
    out.put("active", p.active());
    out.put("priority", p.priority());
    out.set("meta", masked ? mask(p.meta()) : p.meta().deepCopy());
    out.set("last_health", p.lastHealth() == null ? null : p.lastHealth().deepCopy());
    out.put("created_at", p.createdAt().toString());
    out.put("updated_at", p.updatedAt().toString());
    return out;
  }

  /** The entry as callers see it: secret-looking values masked. */
  public static ObjectNode masked(ComputeProvider p) {
    return toJson(p, true);
  }

  /**
   * ComfyVN's masking rule: a value whose key contains key, secret, token or password is shown as
   * {@code ***}, at any depth.
   */
  public static ObjectNode mask(ObjectNode node) {
    ObjectNode out = node.deepCopy();
    maskInPlace(out);
    return out;
  }

  private static void maskInPlace(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.properties()
          .forEach(
              e -> {
                JsonNode v = e.getValue();
                if (secretLooking(e.getKey()) && v.isValueNode() && !v.asText().isBlank()) {
                  e.setValue(JsonNodeFactory.instance.textNode(MASK));
                } else {
                  maskInPlace(v);
                }
              });
    } else if (node != null && node.isArray()) {
      node.forEach(Entries::maskInPlace);
    }
  }

  static boolean secretLooking(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("key")
        || k.contains("secret")
        || k.contains("token")
        || k.contains("password");
  }

  /**
   * Secrets belong in {@code config/comfyvn.secrets.json} only. A masked placeholder (all stars, as
   * an export shows it) is not a secret and is accepted.
   */
  private static void refuseSecrets(JsonNode node, String path) {
    if (node instanceof ObjectNode o) {
      o.properties()
          .forEach(
              e -> {
                String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                JsonNode v = e.getValue();
                if (secretLooking(e.getKey())
                    && v.isValueNode()
                    && !v.asText().isBlank()
                    && !v.asText().chars().allMatch(c -> c == '*')) {
                  throw ComputeException.badRequest(
                      "secret_not_allowed",
                      "'"
                          + at
                          + "' looks like a secret; secrets belong in"
                          + " config/comfyvn.secrets.json, never in the provider registry");
                }
                refuseSecrets(v, at);
              });
    } else if (node != null && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        refuseSecrets(node.get(i), path + "[" + i + "]");
      }
    }
  }

  /** The id, or one made from the name when only a name is given. */
  static String id(ObjectNode in) {
    String id = optText(in, "id");
    if (id == null) {
      String name = optText(in, "name");
      if (name == null) {
        throw ComputeException.badRequest("missing_field", "'id' (or 'name') is required");
      }
      id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]+", "_").replaceAll("^[_.-]+", "");
    }
    id = id.toLowerCase(Locale.ROOT);
    if (!ID.matcher(id).matches()) {
      throw ComputeException.badRequest(
          "invalid_value",
          "'id' must be 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter or"
              + " digit");
    }
    return id;
  }

  private static String baseUrl(ObjectNode in) {
    String found = null;
    for (String f : new String[] {"base_url", "base", "endpoint"}) {
      String v = optText(in, f);
      if (v != null) {
        if (found != null && !found.equals(v)) {
          throw ComputeException.badRequest(
              "ambiguous_field", "give one of 'base_url', 'base', 'endpoint', not several");
        }
        found = v;
      }
    }
    if (found == null) {
      return null;
    }
    if (found.length() > 2048) {
      throw ComputeException.badRequest("invalid_value", "'base_url' is too long");
    }
    try {
      URI uri = new URI(found);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!Set.of("http", "https", "ssh").contains(scheme) || uri.getHost() == null) {
        throw ComputeException.badRequest(
            "invalid_value", "'base_url' must be an http(s) or ssh URL with a host");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw ComputeException.badRequest(
            "invalid_value", "'base_url' must not have a query or fragment");
      }
      if (uri.getUserInfo() != null) {
        throw ComputeException.badRequest(
            "secret_not_allowed",
            "'base_url' must not carry credentials; put them in config/comfyvn.secrets.json");
      }
    } catch (URISyntaxException e) {
      throw ComputeException.badRequest("invalid_value", "'base_url' is not a valid URL");
    }
    return found;
  }

  static String optText(ObjectNode in, String field) {
    JsonNode v = in.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw ComputeException.badRequest(
          "invalid_type", "'" + field + "' must be a non-empty string");
    }
    if (v.asText().length() > 2048) {
      throw ComputeException.badRequest("invalid_value", "'" + field + "' is too long");
    }
    if (v.asText().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      // names end up in logs and file listings, where control characters forge lines
      throw ComputeException.badRequest(
          "invalid_value", "'" + field + "' must not contain control characters");
    }
    return v.asText().strip();
  }

  static boolean bool(ObjectNode in, String field, boolean otherwise) {
    JsonNode v = in.get(field);
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isBoolean()) {
      throw ComputeException.badRequest("invalid_type", "'" + field + "' must be true or false");
    }
    return v.booleanValue();
  }

  static int priority(ObjectNode in, int otherwise) {
    JsonNode v = in.get("priority");
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || Math.abs(v.intValue()) > 1_000_000) {
      throw ComputeException.badRequest(
          "invalid_type", "'priority' must be a whole number between -1000000 and 1000000");
    }
    return v.intValue();
  }

  static ObjectNode object(ObjectNode in, String field) {
    JsonNode v = in.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw ComputeException.badRequest("invalid_type", "'" + field + "' must be a JSON object");
    }
    return (ObjectNode) v;
  }

  /** ISO text or epoch seconds (ComfyVN writes {@code time.time()} floats); else the fallback. */
  private static Instant time(JsonNode v, Instant otherwise) {
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (v.isNumber()) {
      return Instant.ofEpochMilli(Math.round(v.doubleValue() * 1000));
    }
    try {
      return Instant.parse(v.asText());
    } catch (DateTimeParseException e) {
      return otherwise;
    }
  }
}

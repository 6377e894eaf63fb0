package io.comfyvn.compute.registry;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Set;

/**
 * One entry of the compute provider registry, as ComfyVN's {@code core/compute_registry.py} shapes
 * it. It never holds a secret: credentials live only in {@code config/comfyvn.secrets.json}, and
 * {@code meta.credentials} may name the section there that this entry uses.
 *
 * @param id unique, lower case, safe as a folder name ({@code data/remote/<id>/})
 * @param name display name
 * @param kind {@code local}, {@code remote} or {@code lan}
 * @param service what speaks at {@code base_url}: {@code comfyui}, {@code runpod}, {@code lan},
 *     {@code unraid}, ... (decides how health, quota and templates are checked)
 * @param baseUrl where the provider is reached
 * @param active whether "health of all" and the advisor look at it
 * @param priority lower first
 * @param meta free-form profile metadata (template, gpu, auth field names...)
 * @param lastHealth the last health answer, or null before the first check
 * @param createdAt when it was first registered
 * @param updatedAt when it last changed
 * @param extra keys this service does not know, kept as they were written
 */
public record ComputeProvider(
    String id,
    String name,
    String kind,
    String service,
    String baseUrl,
    boolean active,
    int priority,
    ObjectNode meta,
    ObjectNode lastHealth,
    Instant createdAt,
    Instant updatedAt,
    ObjectNode extra) {

  /** The kinds ComfyVN's registry uses. */
  public static final Set<String> KINDS = Set.of("local", "remote", "lan");

  /** The id of the always-present local entry. */
  public static final String LOCAL_ID = "local";

  public ComputeProvider {
    meta = meta == null ? JsonNodeFactory.instance.objectNode() : meta.deepCopy();
    lastHealth = lastHealth == null ? null : lastHealth.deepCopy();
    extra = extra == null ? JsonNodeFactory.instance.objectNode() : extra.deepCopy();
  }

  /** The secrets section this entry's credentials are read from: {@code meta.credentials}. */
  public String credentialsSection() {
    String named = meta.path("credentials").asText("");
    return named.isBlank() ? service : named;
  }

  ComputeProvider withActive(boolean on, Instant now) {
    return new ComputeProvider(
        id, name, kind, service, baseUrl, on, priority, meta, lastHealth, createdAt, now, extra);
  }

  ComputeProvider withPriority(int p, Instant now) {
    return new ComputeProvider(
        id, name, kind, service, baseUrl, active, p, meta, lastHealth, createdAt, now, extra);
  }

  ComputeProvider withHealth(ObjectNode health) {
    // A health check is an observation, not an edit: updated_at stays.
    return new ComputeProvider(
        id, name, kind, service, baseUrl, active, priority, meta, health, createdAt, updatedAt,
        extra);
  }
}

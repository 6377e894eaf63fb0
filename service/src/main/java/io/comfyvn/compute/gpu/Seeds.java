package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Seeds and job fingerprints. A job's seed is the request's {@code seed}, else {@code job.seed},
 * else a stable hash of the job, so the same request always gives the same mock id. The hash is
 * taken over canonical JSON (keys sorted at every level), so key order does not change it.
 */
public final class Seeds {
  /** The largest seed: JSON numbers stay exact in every client up to 2^53 - 1. */
  public static final long MAX_SEED = (1L << 53) - 1;

  private Seeds() {}

  /**
   * The seed of a job.
   *
   * @param requestSeed the request's {@code seed} node, or null
   * @param job the job
   */
  public static long resolve(JsonNode requestSeed, ObjectNode job) {
    if (requestSeed != null && !requestSeed.isNull()) {
      return validate(requestSeed, "seed");
    }
    JsonNode jobSeed = job.get("seed");
    if (jobSeed != null && !jobSeed.isNull()) {
      return validate(jobSeed, "job.seed");
    }
    byte[] digest = sha256(canonical(job).getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = 0; i < 6; i++) {
      v = (v << 8) | (digest[i] & 0xff);
    }
    return v;
  }

  /** Hex SHA-256 of the job's canonical JSON. */
  public static String fingerprint(JsonNode job) {
    return HexFormat.of().formatHex(sha256(canonical(job).getBytes(StandardCharsets.UTF_8)));
  }

  /** JSON text with object keys sorted at every level. */
  public static String canonical(JsonNode node) {
    return sorted(node).toString();
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      Map<String, JsonNode> fields = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  private static long validate(JsonNode seed, String field) {
    if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
      throw ComputeException.badRequest(
          "invalid_seed", field + " must be a whole number from 0 to " + MAX_SEED);
    }
    long v = seed.asLong();
    if (v < 0 || v > MAX_SEED) {
      throw ComputeException.badRequest(
          "invalid_seed", field + " must be a whole number from 0 to " + MAX_SEED);
    }
    return v;
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }
}

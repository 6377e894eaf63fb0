package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.io.IOException;

/**
 * Reads a provider's successful answers defensively: unknown keys are the caller's to ignore,
 * duplicate keys are tolerated (last wins), inline images may be large, and a body that is not the
 * JSON expected becomes a {@link ProviderException} {@code provider_bad_answer} (HTTP 502). A bad
 * answer to a create is not retryable: the provider did answer, so the job may exist.
 */
public final class ProviderAnswers {
  /** Inline base64 images can be several megabytes; the service's own limit is 1 MB per string. */
  private static final int MAX_STRING = 64 * 1024 * 1024;

  /**
   * One reader for every client: clients are built per use, and a reader of its own would cost a
   * mapper copy each time. Tree reading needs none of the service mapper's settings.
   */
  private static final ObjectReader READER = reader();

  private final String provider;

  public ProviderAnswers(String provider) {
    this.provider = provider;
  }

  private static ObjectReader reader() {
    JsonMapper mapper = JsonMapper.builder().build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(MAX_STRING)
                .maxNumberLength(1000)
                .build());
    return mapper.readerFor(JsonNode.class);
  }

  /** The answer's body as a JSON object. */
  public ObjectNode object(Op op, HttpCall call, HttpReply reply) {
    JsonNode node = json(op, call, reply);
    if (!node.isObject()) {
      throw bad(op, call.describe(), "the answer is not a JSON object");
    }
    return (ObjectNode) node;
  }

  /** The answer's body as JSON of any shape. */
  public JsonNode json(Op op, HttpCall call, HttpReply reply) {
    try {
      JsonNode node = READER.readValue(reply.body());
      if (node == null || node.isMissingNode()) {
        throw bad(op, call.describe(), "the answer is empty");
      }
      return node;
    } catch (IOException e) {
      throw bad(op, call.describe(), "the answer is not valid JSON");
    }
  }

  /**
   * A required text field of an answer.
   *
   * @param where the request it answered, as {@link HttpCall#describe()} gives it
   * @throws ProviderException when it is missing or blank
   */
  public String requiredText(Op op, String where, JsonNode answer, String field) {
    JsonNode v = answer.get(field);
    if (v == null || !v.isValueNode() || v.isNull() || v.asText().isBlank()) {
      throw bad(op, where, "the answer has no '" + field + "'");
    }
    return v.asText();
  }

  /** A non-blank text field (stripped), or null when it is missing, blank or not text. */
  public static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText().strip() : null;
  }

  /** A {@code provider_bad_answer} failure for an answer this client cannot use. */
  public ProviderException bad(Op op, String where, String why) {
    return new ProviderException(
        Kind.UPSTREAM_FAILED,
        "provider_bad_answer",
        provider + " " + where + ": " + why,
        op != Op.CREATE,
        Sent.AMBIGUOUS,
        0,
        null,
        null);
  }

  /** A job this provider cannot run as given; nothing was sent. */
  public static ProviderException invalidJob(String provider, String why) {
    return new ProviderException(
        Kind.BAD_REQUEST,
        "invalid_job",
        provider + ": " + why,
        false,
        Sent.NOT_SENT,
        0,
        null,
        null);
  }

  /** A setting the provider needs is missing or unusable; nothing was sent. */
  public static ProviderException notConfigured(String provider, String why) {
    return new ProviderException(
        Kind.UNPROCESSABLE,
        "provider_not_configured",
        provider + ": " + why,
        false,
        Sent.NOT_SENT,
        0,
        null,
        null);
  }
}

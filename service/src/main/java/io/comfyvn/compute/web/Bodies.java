package io.comfyvn.compute.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.ModeDecision;
import io.javalin.http.Context;
import java.io.IOException;

/** Request-body parsing and shape checks shared by the routes; every failure is a 4xx. */
final class Bodies {
  private final ObjectMapper mapper;

  Bodies(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** The body as a JSON object; an empty body is an empty object when {@code optional}. */
  ObjectNode object(Context ctx, boolean optional) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      if (optional) {
        return JsonNodeFactory.instance.objectNode();
      }
      throw ComputeException.badRequest("missing_body", "a JSON object body is required");
    }
    JsonNode node;
    try {
      node = mapper.readTree(bytes);
    } catch (StreamConstraintsException e) {
      throw ComputeException.badRequest(
          "invalid_json", "the body is nested or sized beyond limits");
    } catch (JsonProcessingException e) {
      String where = Json.where(e);
      throw ComputeException.badRequest("invalid_json", "the body is not valid JSON" + where);
    } catch (IOException e) {
      throw ComputeException.badRequest("invalid_json", "the body could not be read");
    }
    if (node == null || !node.isObject()) {
      throw ComputeException.badRequest("invalid_body", "the body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /** A required non-blank string field. */
  static String requiredText(ObjectNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      throw ComputeException.badRequest("missing_field", "'" + field + "' is required");
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw ComputeException.badRequest(
          "invalid_type", "'" + field + "' must be a non-empty string");
    }
    if (v.asText().length() > 128) {
      throw ComputeException.badRequest(
          "invalid_value", "'" + field + "' is longer than 128 characters");
    }
    return v.asText();
  }

  /**
   * The object under one of the given field names (synonyms such as {@code job}/{@code payload}),
   * or null when none is present. Giving two synonyms at once is ambiguous and refused.
   */
  static ObjectNode optionalObject(ObjectNode body, String... names) {
    ObjectNode found = null;
    String foundName = null;
    for (String name : names) {
      JsonNode v = body.get(name);
      if (v == null || v.isNull()) {
        continue;
      }
      if (found != null) {
        throw ComputeException.badRequest(
            "ambiguous_field", "give either '" + foundName + "' or '" + name + "', not both");
      }
      if (!v.isObject()) {
        throw ComputeException.badRequest("invalid_type", "'" + name + "' must be a JSON object");
      }
      found = (ObjectNode) v;
      foundName = name;
    }
    return found;
  }

  /** What mode the request asks for, from {@code dry_run} (boolean) and {@code mode} (string). */
  static ModeDecision.Requested requestedMode(ObjectNode body) {
    JsonNode dry = body.get("dry_run");
    boolean forceDry = false;
    if (dry != null && !dry.isNull()) {
      if (!dry.isBoolean()) {
        throw ComputeException.badRequest("invalid_type", "'dry_run' must be true or false");
      }
      forceDry = dry.booleanValue();
    }
    JsonNode mode = body.get("mode");
    if (mode != null && !mode.isNull()) {
      if (!mode.isTextual()) {
        throw ComputeException.badRequest("invalid_type", "'mode' must be a string");
      }
      switch (mode.asText()) {
        case "sim":
          if (forceDry) {
            throw ComputeException.badRequest(
                "invalid_value", "'mode':'sim' and 'dry_run':true contradict each other");
          }
          return ModeDecision.Requested.SIM;
        case "dry_run":
          return ModeDecision.Requested.DRY_RUN;
        case "live":
        case "auto":
          break;
        default:
          throw ComputeException.badRequest(
              "invalid_value", "'mode' must be one of auto, live, dry_run, sim");
      }
    }
    return forceDry ? ModeDecision.Requested.DRY_RUN : ModeDecision.Requested.AUTO;
  }

  /** A value as a JSON tree with the service's settings (snake_case names). */
  @SuppressWarnings("unchecked")
  <T extends JsonNode> T tree(Object value) {
    return (T) mapper.valueToTree(value);
  }
}

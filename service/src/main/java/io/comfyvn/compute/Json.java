package io.comfyvn.compute;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON configuration of the service: snake_case names, ISO instants, sorted map keys (so
 * the same data always gives the same bytes), duplicate keys rejected, and bounded nesting.
 */
public final class Json {
  private Json() {}

  /**
   * Where a parse error is, as {@code " at line L, column C"} (empty when unknown). Callers use
   * this instead of Jackson's own message, which quotes the offending text (a secret, in a secrets
   * file).
   */
  public static String where(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    return at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
  }

  /** A new mapper with the service's settings. */
  public static ObjectMapper mapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(64)
                // an input file travels as one base64 string: 8 MiB of file is ~11.2 MB of text
                // (bodies that big reach only the workflow routes: BoundaryPolicy.maxBodyBytes)
                .maxStringLength(12 * 1024 * 1024)
                .maxNumberLength(64)
                .build());
    return mapper;
  }
}

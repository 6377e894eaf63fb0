package io.comfyvn.compute.fakes;

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
 * The fakes' own JSON settings (the fakes module depends on no service code): the same choices as
 * the service's mapper, so a fake answers with the bytes a provider's documented shape gives —
 * snake_case names, ISO instants, sorted map keys, duplicate keys rejected, bounded nesting.
 */
final class FakeJson {
  private FakeJson() {}

  /**
   * Where a parse error is, as {@code " at line L, column C"} (empty when unknown); never Jackson's
   * own message, which quotes the offending text (a secret, in a secrets file).
   */
  static String where(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    return at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
  }

  /** A new mapper with the fakes' settings. */
  static ObjectMapper mapper() {
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
                // a fake ComfyUI upload or a base64 input file travels as one string
                .maxStringLength(12 * 1024 * 1024)
                .maxNumberLength(64)
                .build());
    return mapper;
  }
}

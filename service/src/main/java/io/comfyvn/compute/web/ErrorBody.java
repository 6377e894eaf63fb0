package io.comfyvn.compute.web;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * Every error answer: {@code {ok:false, code, message}}, plus {@code retryable} where it applies
 * and any extras a route adds (the GPU routes add {@code feature}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ErrorBody(
    boolean ok, String code, String message, Boolean retryable, Map<String, Object> extras) {

  @JsonAnyGetter
  Map<String, Object> anyExtras() {
    return extras;
  }

  /** Extras are written flat, not as a nested object. */
  @Override
  @com.fasterxml.jackson.annotation.JsonIgnore
  public Map<String, Object> extras() {
    return extras;
  }
}

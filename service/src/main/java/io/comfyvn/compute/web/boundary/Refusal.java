package io.comfyvn.compute.web.boundary;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;

/**
 * A request turned away before any route saw it, as the service's one error shape: {@code
 * {ok:false, code, message}} with a 4xx status.
 *
 * @param status the HTTP status
 * @param code a stable word for programs
 * @param message a sentence for people; it may quote a sanitized header value, never a credential
 */
record Refusal(int status, String code, String message) {
  private static final ObjectMapper MAPPER = Json.mapper();

  /** The error body as written on the wire. */
  record Body(boolean ok, String code, String message) {}

  /** The JSON bytes of this refusal. */
  byte[] json() {
    return json(code, message);
  }

  /** The JSON bytes of any error answer. */
  static byte[] json(String code, String message) {
    try {
      return MAPPER.writeValueAsBytes(new Body(false, code, message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a record of three plain fields always serializes", e);
    }
  }

  /**
   * A header value fit to quote in a message: printable ASCII only, at most 80 characters. Header
   * values come from whoever sent the request.
   */
  static String quote(String value) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < value.length() && sb.length() < 80; i++) {
      char c = value.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.length() < value.length() ? sb + "..." : sb.toString();
  }
}

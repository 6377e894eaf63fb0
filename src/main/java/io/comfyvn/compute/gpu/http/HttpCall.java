package io.comfyvn.compute.gpu.http;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One outgoing HTTP request.
 *
 * @param method GET, POST...
 * @param uri the full URL
 * @param headers header name -> value (auth headers included; never logged)
 * @param body the body bytes, or null
 */
public record HttpCall(String method, URI uri, Map<String, String> headers, byte[] body) {
  public HttpCall {
    headers = Map.copyOf(headers);
  }

  /** A GET. */
  public static HttpCall get(URI uri, Map<String, String> headers) {
    return new HttpCall("GET", uri, headers, null);
  }

  /** A POST with a JSON body (the content type is added). */
  public static HttpCall postJson(URI uri, Map<String, String> headers, String json) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Content-Type", "application/json");
    return new HttpCall(
        "POST", uri, h, json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8));
  }

  /** The request line for messages and logs: method and path, no query, no headers. */
  public String describe() {
    return method + " " + uri.getRawPath();
  }
}

package io.comfyvn.compute.gpu.http;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
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

  /**
   * One part of a {@code multipart/form-data} body.
   *
   * @param name the form field
   * @param filename the file name for a file part, or null for a plain field
   * @param contentType the part's media type for a file part, or null
   * @param data the part's bytes
   */
  public record Part(String name, String filename, String contentType, byte[] data) {
    public Part {
      data = data.clone();
    }

    /** A plain text field. */
    public static Part field(String name, String value) {
      return new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * A POST with a {@code multipart/form-data} body (RFC 7578). The boundary is derived from the
   * parts' bytes, so the same parts make the same request, and checked not to occur in them.
   */
  public static HttpCall postMultipart(URI uri, Map<String, String> headers, List<Part> parts) {
    String boundary = boundary(parts);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n");
      head.append("Content-Disposition: form-data; name=\"").append(quoted(p.name())).append('"');
      if (p.filename() != null) {
        head.append("; filename=\"").append(quoted(p.filename())).append('"');
      }
      head.append("\r\n");
      if (p.contentType() != null) {
        head.append("Content-Type: ").append(p.contentType()).append("\r\n");
      }
      head.append("\r\n");
      out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
      out.writeBytes(p.data());
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Content-Type", "multipart/form-data; boundary=" + boundary);
    return new HttpCall("POST", uri, h, out.toByteArray());
  }

  private static String boundary(List<Part> parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      parts.forEach(p -> md.update(p.data()));
      String b = "comfyvn-" + HexFormat.of().formatHex(md.digest()).substring(0, 32);
      for (Part p : parts) {
        if (new String(p.data(), StandardCharsets.ISO_8859_1).contains(b)) {
          throw new IllegalArgumentException("a part contains the multipart boundary");
        }
      }
      return b;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }

  /** Form field names and file names are ours or checked plain names; quotes and breaks go. */
  private static String quoted(String s) {
    return s.replaceAll("[\"\\r\\n\\\\]", "_");
  }

  /** The request line for messages and logs: method and path, no query, no headers. */
  public String describe() {
    return method + " " + uri.getRawPath();
  }
}

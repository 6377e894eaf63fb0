package io.comfyvn.compute.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 on a bare socket, for requests no HTTP client would send: the bytes go out exactly as
 * given, and the first response is read back (status, headers, body by length, chunks or close).
 */
public final class RawHttp {
  private RawHttp() {}

  /**
   * A response; {@code status} is -1 when the server closed the connection without answering.
   *
   * @param status the status code
   * @param headers header names lower-cased, last value wins
   * @param body the body as text
   */
  public record Answer(int status, Map<String, String> headers, String body) {
    public static final Answer NONE = new Answer(-1, Map.of(), "");

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Sends the bytes (the server may stop reading early) and reads one response. */
  public static Answer exchange(int port, byte[] request) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
        s.shutdownOutput();
      } catch (SocketException refusedMidway) {
        // The server answered and closed before taking everything: read what it said.
      }
      return read(s.getInputStream());
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within 15 s", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Text request; {@code \n} is sent as CRLF only where the caller wrote {@code \r\n}. */
  public static Answer exchange(int port, String request) {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Reads one HTTP/1.1 response from a stream. */
  public static Answer read(InputStream in) throws IOException {
    String statusLine;
    try {
      statusLine = line(in);
    } catch (SocketException reset) {
      return Answer.NONE;
    }
    if (statusLine == null) {
      return Answer.NONE;
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new AssertionError("not an HTTP status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    Map<String, String> headers = new TreeMap<>();
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String length = headers.get("content-length");
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
      // no body
    } else if (length != null) {
      body.write(in.readNBytes(Integer.parseInt(length)));
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (String size = line(in); size != null; size = line(in)) {
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          break;
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    } else {
      try {
        body.write(in.readAllBytes());
      } catch (SocketException reset) {
        // what arrived is the body
      }
    }
    return new Answer(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }
}

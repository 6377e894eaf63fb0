package io.comfyvn.compute.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A bare HTTP/1.1 server on loopback that keeps each request's head exactly as the client wrote it
 * (what a framework would hide: {@code Upgrade}, {@code HTTP2-Settings}), reads the body by its
 * length and answers {@code 200 {}} with {@code Connection: close}.
 */
public final class HeaderRecorder implements AutoCloseable {
  /** One request: its request line, headers (names lower-cased) and body. */
  public record Seen(String line, Map<String, String> headers, String body) {}

  private final ServerSocket socket;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  public HeaderRecorder() throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::serve, "header-recorder");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + socket.getLocalPort() + path;
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        Map<String, String> headers = new TreeMap<>();
        for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
          int colon = h.indexOf(':');
          headers.put(
              h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        char[] body = new char[length];
        for (int read = 0; read < length; ) {
          int n = in.read(body, read, length - read);
          if (n < 0) {
            break;
          }
          read += n;
        }
        seen.add(new Seen(line, headers, new String(body)));
        OutputStream out = s.getOutputStream();
        out.write(
            ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    + "Connection: close\r\n\r\n{}")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException | RuntimeException e) {
        // closed, or a client that went away: take the next one
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

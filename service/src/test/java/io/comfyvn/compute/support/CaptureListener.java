package io.comfyvn.compute.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback listener standing in for an attacker's server: it counts every TCP connection (so a
 * test can prove that not even a connect happened), records every request line with its headers,
 * and answers each request with a 401 JSON whose long {@code detail} quotes the request's {@code
 * Authorization} header back, as a hostile or careless server would.
 */
public final class CaptureListener implements AutoCloseable {
  /** One request as received: request line and headers (lower-case names). */
  public record Request(String line, Map<String, String> headers) {}

  private final ServerSocket socket;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Request> requests = new ArrayList<>();
  private final Thread acceptor;

  public CaptureListener() {
    try {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    acceptor = new Thread(this::acceptLoop, "capture-listener");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String origin() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  /** TCP connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** Requests received so far. */
  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        connections.incrementAndGet();
        s.setSoTimeout(2000);
        serve(s);
      } catch (IOException closedOrBroken) {
        // closed by close(), or a client that hung up: keep counting the next one
      }
    }
  }

  private void serve(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    String head = readHead(in);
    if (head.isEmpty()) {
      return;
    }
    String[] lines = head.split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip());
      }
    }
    synchronized (this) {
      requests.add(new Request(lines[0], headers));
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    in.readNBytes(length);
    String auth = headers.getOrDefault("authorization", "none").replace("\"", "'");
    byte[] body =
        ("{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\""
                + "This server rejects the credentials it was sent. ".repeat(8)
                + "Got: "
                + auth
                + "\",\"id\":\"cap-"
                + auth
                + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(
        ("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length
                + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      byte[] sofar = b.toByteArray();
      int n = sofar.length;
      if (n >= 4
          && sofar[n - 4] == '\r'
          && sofar[n - 3] == '\n'
          && sofar[n - 2] == '\r'
          && sofar[n - 1] == '\n') {
        break;
      }
      if (n > 65536) {
        break;
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a listener that is already closed is fine
    }
  }
}

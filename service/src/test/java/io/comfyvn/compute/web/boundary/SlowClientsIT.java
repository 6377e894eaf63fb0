package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.RawHttp;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and vanishing clients: 300 connections trickling request bodies leave {@code /health}
 * answering (a functional bound: under a second, with the trickle going on); a body that does not
 * arrive within {@code server.body_timeout_ms} is a 408; clients that hang up mid-body cost no
 * ERROR log line and no thread.
 */
class SlowClientsIT {
  private static final int SLOW = 300;
  @TempDir Path dir;

  private static String head(int port, int length) {
    return "POST /api/providers/gpu/submit HTTP/1.1\r\nHost: 127.0.0.1:"
        + port
        + "\r\nContent-Type: application/json\r\nContent-Length: "
        + length
        + "\r\n\r\n";
  }

  @Test
  void healthAnswersWhile300ConnectionsTrickleBodies() throws Exception {
    new TestHome(dir).allSecrets("slow");
    List<Socket> sockets = new ArrayList<>();
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (Server s = Server.start(dir)) {
      int port = s.port();
      for (int i = 0; i < SLOW; i++) {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.getOutputStream().write(head(port, 100_000).getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write('{');
        socket.getOutputStream().flush();
        sockets.add(socket);
      }
      // One byte per connection every 200 ms: never idle long enough to be dropped, never done.
      trickle.scheduleAtFixedRate(
          () -> {
            for (Socket socket : sockets) {
              try {
                OutputStream out = socket.getOutputStream();
                out.write(' ');
                out.flush();
              } catch (IOException closed) {
                // the server may drop some; the point is it keeps answering others
              }
            }
          },
          200,
          200,
          TimeUnit.MILLISECONDS);
      long worst = 0;
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(s.base() + "/health"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(millis).as("GET /health with " + SLOW + " slow bodies open").isLessThan(1_000);
        worst = Math.max(worst, millis);
      }
      System.out.println(
          "slowest GET /health with " + SLOW + " trickling bodies: " + worst + " ms");
      // And a real submit still goes through.
      assertThat(
              s.post(
                      "/api/providers/gpu/submit",
                      "{\"provider\":\"runpod\",\"seed\":1,\"job\":{\"input\":{}}}")
                  .status())
          .isEqualTo(200);
      // None of the slow ones was let in: no task from them.
      assertThat(s.get("/jobs/all").json().path("jobs").size()).isEqualTo(1);
    } finally {
      trickle.shutdownNow();
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void aBodyThatDoesNotArriveInTimeIsA408() throws Exception {
    new TestHome(dir).config("{\"server\":{\"body_timeout_ms\":300}}");
    try (Server s = Server.start(dir);
        Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write((head(s.port(), 50) + "{\"provider\":").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      // No more bytes: the server answers on its own once the deadline passes.
      RawHttp.Answer a = RawHttp.read(socket.getInputStream());
      assertThat(a.status()).isEqualTo(408);
      assertThat(a.header("content-type")).startsWith("application/json");
      assertThat(a.body()).contains("\"code\":\"request_timeout\"", "\"ok\":false");
    }
  }

  @Test
  void clientsThatHangUpMidBodyAreNotErrors() throws Exception {
    new TestHome(dir).allSecrets("gone");
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (Server s = Server.start(dir)) {
      for (int i = 0; i < 50; i++) {
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress("127.0.0.1", s.port()), 5_000);
          String chunked =
              "POST /api/providers/gpu/submit HTTP/1.1\r\nHost: 127.0.0.1:"
                  + s.port()
                  + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"pro";
          String req = i % 2 == 0 ? head(s.port(), 5_000) + "{\"provider\":\"run" : chunked;
          socket.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
          socket.getOutputStream().flush();
          if (i % 3 == 0) {
            socket.setSoLinger(true, 0); // a reset, not a clean close
          }
        }
      }
      // The service still answers, and a request after the hang-ups is served normally.
      assertThat(s.get("/health").status()).isEqualTo(200);
      assertThat(s.get("/jobs/all").json().path("jobs").size()).isZero();
    } finally {
      System.setErr(realErr);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("\"level\":\"ERROR\"");
  }
}

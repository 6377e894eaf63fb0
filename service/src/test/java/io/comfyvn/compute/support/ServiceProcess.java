package io.comfyvn.compute.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged service ({@code target/comfyvn-compute.jar serve}) in a process of its own, as an
 * operator runs it: for tests that need several instances or need to kill one with {@code kill -9}.
 * Its error output goes to {@code logs/process.err} in its home.
 */
public final class ServiceProcess implements AutoCloseable {
  public static final Path JAR = Path.of("target", "comfyvn-compute.jar");
  private static final Pattern LISTENING =
      Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final int port;
  private final Path home;

  private ServiceProcess(Process process, int port, Path home) {
    this.process = process;
    this.port = port;
    this.home = home;
  }

  /** Starts {@code serve --home HOME --port 0 [extra...]} and waits for its "listening" line. */
  public static ServiceProcess start(Path home, String... extra) {
    return start(home, 0, extra);
  }

  /**
   * Starts {@code serve --home HOME --port PORT [extra...]}: a test that restarts an instance on
   * the port it had (webhooks registered before a crash still reach it) passes the port the first
   * start got, {@link #port()}.
   */
  public static ServiceProcess start(Path home, int port, String... extra) {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                javaBin,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toString(),
                "serve",
                "--home",
                home.toString(),
                "--port",
                Integer.toString(port)));
    cmd.addAll(List.of(extra));
    try {
      Files.createDirectories(home.resolve("logs"));
      Process p =
          new ProcessBuilder(cmd).redirectError(home.resolve("logs/process.err").toFile()).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          // keep draining stdout so the child never blocks on a full pipe
          Thread drain =
              new Thread(
                  () -> {
                    try {
                      while (out.readLine() != null) {
                        // discard
                      }
                    } catch (IOException ignored) {
                      // the process ended
                    }
                  },
                  "drain-" + home.getFileName());
          drain.setDaemon(true);
          drain.start();
          return new ServiceProcess(p, Integer.parseInt(m.group(1)), home);
        }
      }
      p.waitFor(5, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "service did not start; stderr: " + Files.readString(home.resolve("logs/process.err")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private final java.net.http.HttpClient http =
      java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();

  public Server.Reply get(String path) {
    return send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base() + path)).GET());
  }

  public Server.Reply post(String path, String body, java.util.Map<String, String> headers) {
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base() + path))
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return send(b);
  }

  private Server.Reply send(java.net.http.HttpRequest.Builder b) {
    try {
      java.net.http.HttpResponse<String> r =
          http.send(
              b.timeout(java.time.Duration.ofSeconds(30)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      com.fasterxml.jackson.databind.JsonNode json;
      try {
        json = io.comfyvn.compute.Json.mapper().readTree(r.body());
      } catch (IOException notJson) {
        json = null;
      }
      return new Server.Reply(r.statusCode(), r.body(), json, r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The port it listens on. */
  public int port() {
    return port;
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  public Path home() {
    return home;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** {@code kill -9}: no shutdown hook runs, no lease is given up. */
  public void kill9() {
    try {
      Process k = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).start();
      k.waitFor(10, TimeUnit.SECONDS);
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

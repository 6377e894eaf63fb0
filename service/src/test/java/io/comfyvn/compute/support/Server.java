package io.comfyvn.compute.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.App;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** A real service on a free loopback port, and a small JSON client for it. */
public final class Server implements AutoCloseable {
  private static final ObjectMapper MAPPER = Json.mapper();
  private final App app;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A response: status, raw body, parsed JSON (null when not JSON) and headers. */
  public record Reply(int status, String body, JsonNode json, java.net.http.HttpHeaders headers) {
    /** The first value of a header, when present. */
    public java.util.Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  private Server(App app) {
    this.app = app;
  }

  public static Server start(Path home) {
    return start(home, Map.of());
  }

  public static Server start(Path home, Map<String, String> env) {
    return start(home, env, "127.0.0.1");
  }

  /** Binds {@code host} (e.g. {@code 0.0.0.0}); the client still connects over loopback. */
  public static Server start(Path home, Map<String, String> env, String host) {
    return new Server(App.start(new App.Options(home, host, 0, env, Clock.systemUTC())));
  }

  public int port() {
    return app.port();
  }

  /** Every route the service registered ({@code METHOD path}, {@code WS path}). */
  public java.util.List<String> routes() {
    return app.routes();
  }

  public String base() {
    return "http://127.0.0.1:" + app.port();
  }

  public Reply get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base() + path)).GET());
  }

  public Reply post(String path, String body) {
    return post(path, body, Map.of());
  }

  public Reply post(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return send(b);
  }

  /** Any method with an optional JSON body (null for none). */
  public Reply request(String method, String path, String body) {
    return send(
        HttpRequest.newBuilder(URI.create(base() + path))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body)));
  }

  public Reply send(HttpRequest.Builder builder) {
    try {
      HttpResponse<String> r =
          http.send(
              builder.timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode json;
      try {
        json = MAPPER.readTree(r.body());
      } catch (IOException notJson) {
        json = null;
      }
      return new Reply(r.statusCode(), r.body(), json, r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    app.close();
  }
}

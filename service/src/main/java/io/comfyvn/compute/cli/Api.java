package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The service's HTTP API as the CLI speaks it: JSON in and out, the bearer token from the
 * environment on every request (to the service's own URL only; redirects are never followed), and
 * every failure turned into a {@link CliException} with its exit code.
 */
final class Api {
  /** The environment variable holding the service's API token. */
  static final String TOKEN_ENV = "COMFYVN_API_TOKEN";

  private final URI base;
  private final String token;
  private final ObjectMapper mapper;
  private final HttpClient http;
  private final Duration timeout;

  Api(String url, String token, ObjectMapper mapper, Duration timeout) {
    this.base = parse(url);
    this.token = token == null || token.isBlank() ? null : token.trim();
    this.mapper = mapper;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  private static URI parse(String url) {
    String u = url == null ? "" : url.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    try {
      URI uri = new URI(u);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        throw new CliException(Exit.USAGE, "--url must be http(s)://HOST[:PORT], got '" + u + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new CliException(Exit.USAGE, "--url is not a URL: '" + u + "'");
    }
  }

  /** The service's base URL, as given. */
  String base() {
    return base.toString();
  }

  JsonNode get(String path) {
    return json(send(request(path).GET(), path));
  }

  /** A GET whose answer is text (a task's log). */
  String text(String path) {
    HttpResponse<String> r = send(request(path).header("Accept", "text/plain").GET(), path);
    if (r.statusCode() >= 400) {
      throw failure(r.statusCode(), r.body(), path);
    }
    return r.body();
  }

  JsonNode post(String path, JsonNode body, Map<String, String> headers) {
    HttpRequest.Builder b =
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body == null ? "{}" : body.toString()));
    headers.forEach(b::header);
    return json(send(b, path));
  }

  /** A GET whose body is streamed to the caller (a download); errors are mapped as for JSON. */
  InputStream stream(String path) {
    HttpResponse<InputStream> r =
        exchange(request(path).GET(), path, HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() >= 400) {
      String body;
      try (InputStream in = r.body()) {
        body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        body = "";
      }
      throw failure(r.statusCode(), body, path);
    }
    return r.body();
  }

  /** Opens a WebSocket on the service (same host, same token). */
  WebSocket websocket(String path, WebSocket.Listener listener) {
    String scheme = base.getScheme().equalsIgnoreCase("https") ? "wss" : "ws";
    URI uri = URI.create(scheme + base.toString().substring(base.getScheme().length()) + path);
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    try {
      return b.buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(Exit.UNREACHABLE, "interrupted while connecting to " + uri);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof java.net.http.WebSocketHandshakeException h) {
        throw failure(h.getResponse().statusCode(), String.valueOf(h.getResponse().body()), path);
      }
      throw unreachable(cause);
    } catch (TimeoutException e) {
      throw unreachable(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Accept", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private HttpResponse<String> send(HttpRequest.Builder b, String path) {
    return exchange(b, path, HttpResponse.BodyHandlers.ofString());
  }

  private <T> HttpResponse<T> exchange(
      HttpRequest.Builder b, String path, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(b.build(), handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(Exit.UNREACHABLE, "interrupted");
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  private CliException unreachable(Throwable e) {
    String why =
        e instanceof HttpConnectTimeoutException
            ? "connection timed out"
            : e instanceof HttpTimeoutException
                ? "no answer in time"
                : e instanceof ConnectException
                    ? "connection refused"
                    : e.getClass().getSimpleName();
    return new CliException(
        Exit.UNREACHABLE,
        "cannot reach the service at "
            + base
            + " ("
            + why
            + "); start it with 'bin/comfyvn-compute serve' or pass --url");
  }

  private JsonNode json(HttpResponse<String> r) {
    if (r.statusCode() >= 400) {
      throw failure(r.statusCode(), r.body(), r.uri().getPath());
    }
    try {
      JsonNode node = mapper.readTree(r.body());
      if (node == null || node.isMissingNode()) {
        throw new IOException("empty");
      }
      return node;
    } catch (IOException e) {
      throw new CliException(
          Exit.SERVICE_ERROR,
          "the service answered " + r.uri().getPath() + " with something that is not JSON");
    }
  }

  /** A 4xx/5xx answer: the service's {@code code: message}, and a hint for a missing token. */
  private CliException failure(int status, String body, String path) {
    String code = "http_" + status;
    String message = "";
    try {
      JsonNode j = mapper.readTree(body);
      if (j != null && j.isObject()) {
        code = j.path("code").asText(code);
        message = j.path("message").asText("");
      }
    } catch (IOException notJson) {
      // keep the status word
    }
    StringBuilder line = new StringBuilder(code);
    if (!message.isEmpty()) {
      line.append(": ").append(message);
    }
    line.append(" (HTTP ").append(status).append(" from ").append(path).append(')');
    if ((status == 401 || status == 403) && token == null) {
      line.append("; set ").append(TOKEN_ENV).append(" to the service's API token");
    }
    return new CliException(status >= 500 ? Exit.SERVICE_ERROR : Exit.REFUSED, line.toString());
  }
}

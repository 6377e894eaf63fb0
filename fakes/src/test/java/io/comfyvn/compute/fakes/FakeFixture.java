package io.comfyvn.compute.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/** A started {@link FakeProviders} on a free port with a fake clock, and a small HTTP client. */
final class FakeFixture implements AutoCloseable {
  static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T12:00:00Z"));
  final FakeCredentials creds = FakeCredentials.forTests();
  final FakeProviders fakes;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final ObjectMapper mapper = new ObjectMapper();

  FakeFixture() {
    this(FakeSettings.defaults());
  }

  FakeFixture(FakeSettings settings) {
    this.fakes = new FakeProviders(clock, settings, creds).start(0);
  }

  String url(String path) {
    return fakes.baseUrl() + path;
  }

  HttpResponse<String> get(String path, String... headers) {
    return send(
        HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : url(path))).GET(),
        headers);
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.BodyPublisher pub =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body);
    return send(
        HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : url(path)))
            .header("Content-Type", "application/json")
            .POST(pub),
        headers);
  }

  HttpResponse<String> send(HttpRequest.Builder req, String... headers) {
    if (headers.length > 0) {
      req.headers(headers);
    }
    try {
      return http.send(
          req.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  byte[] bytes(String url) {
    try {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new AssertionError("GET " + url + " gave " + r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  JsonNode json(HttpResponse<String> r) {
    try {
      return mapper.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  void advance(Duration d) {
    clock.advance(d);
  }

  @Override
  public void close() {
    fakes.close();
  }
}

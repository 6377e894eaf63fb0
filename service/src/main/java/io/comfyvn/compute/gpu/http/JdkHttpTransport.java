package io.comfyvn.compute.gpu.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** {@link HttpTransport} on the JDK's {@link HttpClient}. */
public final class JdkHttpTransport implements HttpTransport {
  private static final java.util.Set<String> RESTRICTED =
      java.util.Set.of("connection", "content-length", "host", "expect", "upgrade");
  private final HttpClient client;

  public JdkHttpTransport(Duration connectTimeout) {
    this.client =
        HttpClient.newBuilder()
            // HTTP/1.1, not the JDK's default HTTP/2: over plain http (a ComfyUI box on the LAN)
            // that default adds "Upgrade: h2c" to every request, POSTs with a body too, and
            // aiohttp before 3.10.2 (the server of ComfyUI boxes older than late 2024) ignored the
            // upgrade but never read the body (aiohttp#6446, #8597). Providers' https APIs all
            // speak HTTP/1.1.
            .version(HttpClient.Version.HTTP_1_1)
            // Answers are read into byte arrays, which never blocks: completing them on the
            // client's own selector thread saves two thread hand-offs per call.
            .executor(Runnable::run)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  @Override
  public HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    HttpRequest.Builder b = HttpRequest.newBuilder(call.uri()).timeout(timeout);
    call.headers()
        .forEach(
            (k, v) -> {
              if (!RESTRICTED.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                b.header(k, v);
              }
            });
    b.method(
        call.method(),
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(call.body()));
    try {
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new HttpReply(r.statusCode(), r.headers().map(), r.body());
    } catch (HttpConnectTimeoutException e) {
      throw new TransportException(call.describe() + ": connect timed out", false, e);
    } catch (ConnectException | UnknownHostException e) {
      throw new TransportException(call.describe() + ": connection refused", false, e);
    } catch (HttpTimeoutException e) {
      throw new TransportException(call.describe() + ": no answer in time", true, e);
    } catch (IOException e) {
      throw new TransportException(
          call.describe() + ": connection failed (" + e.getClass().getSimpleName() + ")", true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(call.describe() + ": interrupted", true, e);
    }
  }
}

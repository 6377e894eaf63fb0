package io.comfyvn.compute.workflow;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The service's {@link InputSources}: paths under its {@code data/} folder (links out of the folder
 * are refused after resolving them) and URLs under a {@link UrlPolicy}, fetched with no cookie, no
 * auth header and no automatic redirect (each redirect is checked like the first URL, three at
 * most). The only class of this package that touches files or the network.
 *
 * <p>What remains: between the address check and the connection a host name is resolved again by
 * the HTTP client, so a name whose DNS answer changes within that moment could still reach a
 * private address; deployments that must rule that out keep URL inputs to hosts they trust.
 */
public final class DataAndWebInputs implements InputSources {
  /** Resolves a host name; injected so tests never ask a real DNS server. */
  @FunctionalInterface
  public interface HostResolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static final int MAX_REDIRECTS = 3;

  private final Path dataDir;
  private final UrlPolicy policy;
  private final HostResolver dns;
  private final HttpClient http;

  public DataAndWebInputs(Path dataDir, UrlPolicy policy, HostResolver dns) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.policy = policy;
    this.dns = dns;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // as the live transport: no h2c upgrade
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  /** With the system's resolver. */
  public DataAndWebInputs(Path dataDir, UrlPolicy policy) {
    this(dataDir, policy, InetAddress::getAllByName);
  }

  @Override
  public byte[] local(String name, String path, long maxBytes) {
    Path p = dataDir.resolve(path).normalize();
    try {
      if (!p.startsWith(dataDir)) {
        throw escape(name);
      }
      Path real = p.toRealPath();
      if (!real.startsWith(dataDir.toRealPath())) {
        throw escape(name); // a symbolic link out of data/
      }
      if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
        throw notFound(name, path);
      }
      if (Files.size(real) > maxBytes) {
        throw tooLarge(name, maxBytes);
      }
      return Files.readAllBytes(real);
    } catch (NoSuchFileException e) {
      throw notFound(name, path);
    } catch (IOException e) {
      throw WorkflowException.at(
          Problem.FILE_NOT_FOUND,
          null,
          name,
          "input '" + name + "': data/" + WorkflowException.clip(path) + " cannot be read");
    }
  }

  @Override
  public byte[] remote(String name, URI url, long maxBytes) {
    URI at = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      check(name, at);
      HttpRequest req =
          HttpRequest.newBuilder(at)
              .timeout(Duration.ofSeconds(30))
              .header("User-Agent", "comfyvn-compute input fetch")
              .GET()
              .build();
      HttpResponse<InputStream> r;
      try {
        r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw failed(name, at, "did not answer");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failed(name, at, "was interrupted");
      }
      try (InputStream body = r.body()) {
        int status = r.statusCode();
        if (status >= 300 && status < 400 && r.headers().firstValue("location").isPresent()) {
          at = at.resolve(r.headers().firstValue("location").get());
          continue;
        }
        if (status != 200) {
          throw failed(name, at, "answered HTTP " + status);
        }
        byte[] data = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        if (data.length > maxBytes) {
          throw tooLarge(name, maxBytes);
        }
        return data;
      } catch (IOException e) {
        throw failed(name, at, "broke off");
      }
    }
    throw failed(name, url, "redirected more than " + MAX_REDIRECTS + " times");
  }

  /** Refuses a URL, before any connection, by scheme, credentials and every resolved address. */
  private void check(String name, URI url) {
    String why = policy.refuseUrl(url);
    if (why == null) {
      try {
        for (InetAddress a : dns.resolve(url.getHost())) {
          why = policy.refuseAddress(a);
          if (why != null) {
            break;
          }
        }
      } catch (UnknownHostException e) {
        throw failed(name, url, "has a host name that does not resolve");
      }
    }
    if (why != null) {
      throw WorkflowException.at(
          Problem.URL_NOT_ALLOWED,
          null,
          name,
          "input '"
              + name
              + "': "
              + new InputSource.Remote(url).describe()
              + " is not fetched: "
              + why);
    }
  }

  private static WorkflowException failed(String name, URI url, String what) {
    return WorkflowException.at(
        Problem.FETCH_FAILED,
        null,
        name,
        "input '" + name + "': " + new InputSource.Remote(url).describe() + " " + what);
  }

  private static WorkflowException escape(String name) {
    return WorkflowException.at(
        Problem.PATH_ESCAPE, null, name, "input '" + name + "' leads out of the data/ folder");
  }

  private static WorkflowException notFound(String name, String path) {
    return WorkflowException.at(
        Problem.FILE_NOT_FOUND,
        null,
        name,
        "input '" + name + "': data/" + WorkflowException.clip(path) + " is not a file");
  }

  private static WorkflowException tooLarge(String name, long maxBytes) {
    return WorkflowException.at(
        Problem.INPUT_TOO_LARGE, null, name, "input '" + name + "' is over " + maxBytes + " bytes");
  }
}

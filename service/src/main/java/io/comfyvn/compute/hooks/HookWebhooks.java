package io.comfyvn.compute.hooks;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.errors.ComputeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Modders' webhooks ({@code data/webhooks.json}): each hook event is POSTed as {@code {event, ts,
 * data}} to the URLs registered for it, signed with {@code X-Comfy-Signature: <hex HMAC-SHA256 of
 * the body>} when a secret was given. Delivery is asynchronous through a bounded queue, with up to
 * three attempts; a slow receiver never slows a job.
 */
public final class HookWebhooks implements AutoCloseable {
  /** The registrations file, relative to the home folder. */
  public static final String FILE = "data/webhooks.json";

  private static final Logger log = LoggerFactory.getLogger(HookWebhooks.class);
  private final Path file;
  private final ObjectMapper mapper;
  private final Poster poster;
  private final Executor senders;
  private final Sleeper sleeper;
  private List<Registration> registrations;

  /** Sends one POST; the seam tests replace. */
  @FunctionalInterface
  public interface Poster {
    /**
     * @return the HTTP status
     * @throws IOException when there was no answer
     */
    int post(URI url, Map<String, String> headers, byte[] body) throws IOException;
  }

  /** Waits between attempts; tests record the pauses instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /**
   * One registration.
   *
   * @param event the hook name
   * @param url where to POST
   * @param secret the HMAC key, or null for unsigned deliveries
   */
  public record Registration(String event, String url, String secret) {
    /** The view returned by the API: the secret is never echoed. */
    public View view() {
      return new View(event, url, secret != null);
    }
  }

  /**
   * A registration as the API shows it.
   *
   * @param event the hook name
   * @param url where to POST
   * @param signed whether deliveries are signed
   */
  public record View(String event, String url, boolean signed) {}

  /** Delivery over the JDK's HTTP client from a small bounded pool (oldest dropped when full). */
  public HookWebhooks(Path home, ObjectMapper mapper) {
    this(
        home,
        mapper,
        jdkPoster(),
        new ThreadPoolExecutor(
            1,
            2,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(1000),
            r -> {
              Thread t = new Thread(r, "modder-webhooks");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.DiscardOldestPolicy()),
        d -> Thread.sleep(d.toMillis()));
  }

  /**
   * @param poster sends one delivery
   * @param senders where deliveries run (off the task writer's thread)
   * @param sleeper waits between attempts
   */
  public HookWebhooks(
      Path home, ObjectMapper mapper, Poster poster, Executor senders, Sleeper sleeper) {
    this.file = home.resolve(FILE);
    this.mapper = mapper;
    this.poster = poster;
    this.senders = senders;
    this.sleeper = sleeper;
    this.registrations = load();
  }

  private static Poster jdkPoster() {
    // HTTP/1.1: a modder's receiver is mostly plain http, where the JDK's default would add an
    // "Upgrade: h2c" that some small servers mishandle on a POST with a body
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3))
            .build();
    return (url, headers, body) -> {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(5))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      headers.forEach(b::header);
      try {
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    };
  }

  /** Registers a URL for an event (replacing an earlier one for the same pair). */
  public synchronized View add(String event, String url, String secret) {
    if (HookSpec.find(event).isEmpty()) {
      throw ComputeException.badRequest("unknown_event", "no hook named '" + event + "'");
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw ComputeException.badRequest("invalid_value", "'url' is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw ComputeException.badRequest("invalid_value", "'url' must be an http(s) URL");
    }
    List<Registration> next = new ArrayList<>(registrations);
    next.removeIf(r -> r.event().equals(event) && r.url().equals(url));
    Registration r =
        new Registration(event, url, secret == null || secret.isBlank() ? null : secret);
    next.add(r);
    save(next);
    return r.view();
  }

  /** Removes a registration; returns whether there was one. */
  public synchronized boolean remove(String event, String url) {
    List<Registration> next = new ArrayList<>(registrations);
    boolean removed = next.removeIf(r -> r.event().equals(event) && r.url().equals(url));
    if (removed) {
      save(next);
    }
    return removed;
  }

  public synchronized List<View> list() {
    return registrations.stream().map(Registration::view).toList();
  }

  /** Queues deliveries of an event to every URL registered for it. */
  public void deliver(HookEvent e) {
    List<Registration> targets;
    synchronized (this) {
      targets = registrations.stream().filter(r -> r.event().equals(e.event())).toList();
    }
    if (targets.isEmpty()) {
      return;
    }
    byte[] body;
    try {
      body = mapper.writeValueAsBytes(e);
    } catch (IOException ex) {
      return;
    }
    for (Registration r : targets) {
      senders.execute(() -> send(r, body));
    }
  }

  /** Up to three attempts, 200 ms then 400 ms apart; a 2xx ends it. */
  private void send(Registration r, byte[] body) {
    Map<String, String> headers = new TreeMap<>();
    headers.put("Content-Type", "application/json");
    if (r.secret() != null) {
      headers.put("X-Comfy-Signature", sign(r.secret(), body));
    }
    URI url = URI.create(r.url());
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        if (poster.post(url, headers, body) < 300) {
          return;
        }
      } catch (IOException ex) {
        // retried below
      }
      if (attempt == 3) {
        break;
      }
      try {
        sleeper.sleep(Duration.ofMillis(200L * attempt));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    log.atWarn()
        .addKeyValue("event", r.event())
        .log("modder webhook not delivered after 3 attempts");
  }

  /** Hex HMAC-SHA256 of the body. */
  public static String sign(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<Registration> load() {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      return List.copyOf(
          mapper.readValue(file.toFile(), new TypeReference<List<Registration>>() {}));
    } catch (IOException e) {
      log.atWarn()
          .addKeyValue("file", file.toString())
          .log("webhooks file unreadable; starting empty");
      return List.of();
    }
  }

  private void save(List<Registration> next) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(next));
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      registrations = List.copyOf(next);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  @Override
  public void close() {
    if (senders instanceof ExecutorService e) {
      e.shutdownNow();
    }
  }
}

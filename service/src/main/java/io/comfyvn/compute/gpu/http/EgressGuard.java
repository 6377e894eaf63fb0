package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.comfyvn.compute.errors.ComputeException.Kind;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.secrets.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The door every outgoing provider request passes through ({@link ProviderHttp} and the registry's
 * checks take this type, not a bare {@link HttpTransport}): it decides where credentials may go and
 * cleans what comes back.
 *
 * <ol>
 *   <li><b>Egress.</b> Before anything is sent (no connection is opened), the request's URL,
 *       headers and body are searched for every secret the service holds, in every form {@link
 *       KnownSecrets} covers. A request carrying one goes only where {@link EgressPolicy} allows
 *       for that secret's owner; otherwise it fails with {@code egress_denied} (HTTP 422, nothing
 *       sent, not retried). A credential-looking header whose value is no known secret (say, a key
 *       removed from the file since the client was built) may only go to the user's allowed base
 *       URLs. Finding secrets rather than trusting each client to declare them means a new client
 *       cannot forget the rule.
 *   <li><b>Scrubbing.</b> Every answer is scrubbed of every known secret before any client reads
 *       it: header values, and textual bodies (JSON string values and field names after decoding,
 *       other text as it is). Binary bodies (images, audio, video, octet streams) are left intact.
 *       Scrubbing happens before anything is parsed, cut or stored, so a long error that echoes a
 *       key cannot leak a prefix of it.
 * </ol>
 */
public final class EgressGuard implements HttpTransport {
  /** The owner of a credential header no known secret explains. */
  public static final String UNKNOWN_OWNER = "unknown credentials";

  private static final ObjectMapper READER = reader();

  private final HttpTransport delegate;
  private final EgressPolicy policy;
  private final Supplier<? extends Map<String, ? extends Map<String, Secret>>> secrets;
  private volatile Cached cached = new Cached(null, KnownSecrets.NONE);

  private record Cached(Object source, KnownSecrets known) {}

  /**
   * A guard.
   *
   * @param delegate what actually sends
   * @param policy where credentials may go
   * @param secrets every secret now held: section -> field -> value (the secret store's snapshot;
   *     the same map instance while the file is unchanged, so the search tables are built once)
   */
  public EgressGuard(
      HttpTransport delegate,
      EgressPolicy policy,
      Supplier<? extends Map<String, ? extends Map<String, Secret>>> secrets) {
    this.delegate = delegate;
    this.policy = policy;
    this.secrets = secrets;
  }

  private static ObjectMapper reader() {
    JsonMapper mapper = JsonMapper.builder().build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(64 * 1024 * 1024)
                .maxNumberLength(1000)
                .build());
    return mapper;
  }

  /** The policy this guard enforces. */
  public EgressPolicy policy() {
    return policy;
  }

  /** Every secret held now, with its owner. */
  public KnownSecrets known() {
    Map<String, ? extends Map<String, Secret>> now = secrets.get();
    Cached c = cached;
    if (c.source() == now) {
      return c.known();
    }
    Map<String, List<Secret>> byOwner = new TreeMap<>();
    now.forEach(
        (section, fields) ->
            byOwner
                .computeIfAbsent(policy.ownerOf(section), k -> new ArrayList<>())
                .addAll(fields.values()));
    KnownSecrets known = new KnownSecrets(byOwner);
    cached = new Cached(now, known);
    return known;
  }

  /** A text with every known secret masked. */
  public String scrub(String text) {
    return known().scrub(text);
  }

  /** The owners whose credentials a request carries (empty when it carries none). */
  public Set<String> owners(HttpCall call) {
    KnownSecrets known = known();
    Set<String> owners = new TreeSet<>(known.owners(call.uri().toString()));
    boolean credentialHeader = false;
    for (Map.Entry<String, String> h : call.headers().entrySet()) {
      Set<String> found = known.owners(h.getValue());
      owners.addAll(found);
      credentialHeader |= found.isEmpty() && credentialHeader(h.getKey());
    }
    if (call.body() != null && call.body().length > 0) {
      owners.addAll(known.owners(new String(call.body(), StandardCharsets.UTF_8)));
    }
    if (owners.isEmpty() && credentialHeader) {
      owners.add(UNKNOWN_OWNER);
    }
    return owners;
  }

  /** Whether the request may be sent; {@code egress_denied} (HTTP 422, not sent) otherwise. */
  public void admit(HttpCall call) {
    EgressPolicy.Decision d = policy.check(owners(call), call.uri());
    if (!d.allowed()) {
      throw denied(d.reason());
    }
  }

  /**
   * Whether a failure is an egress denial. Clients that turn failures into an unhealthy {@link
   * io.comfyvn.compute.gpu.LiveClient.Health} rethrow these instead: a URL that may not receive the
   * key is a configuration error (422 naming the host), not an unhealthy provider.
   */
  public static boolean isDenial(ProviderException e) {
    return "egress_denied".equals(e.code());
  }

  /** The failure of a request that may not be sent. */
  public static ProviderException denied(String reason) {
    return new ProviderException(
        Kind.UNPROCESSABLE, "egress_denied", reason, false, Sent.NOT_SENT, 0, null, null);
  }

  /**
   * Checks egress, sends, and scrubs the answer.
   *
   * @throws ProviderException {@code egress_denied} when the request may not be sent
   */
  @Override
  public HttpReply send(HttpCall call, Duration timeout) throws TransportException {
    admit(call);
    KnownSecrets known = known();
    HttpReply reply;
    try {
      reply = delegate.send(call, timeout);
    } catch (TransportException e) {
      // The cause may quote the URL; the message is a request line, scrubbed like everything else.
      throw new TransportException(known.scrub(e.getMessage()), e.maybeSent(), null);
    }
    return scrub(reply, known);
  }

  /** An answer with every known secret masked in its headers and textual body. */
  static HttpReply scrub(HttpReply reply, KnownSecrets known) {
    if (known.isEmpty()) {
      return reply;
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    reply.headers().forEach((k, v) -> headers.put(k, v.stream().map(known::scrub).toList()));
    byte[] body = reply.body();
    String type = reply.header("content-type").orElse("").toLowerCase(Locale.ROOT);
    if (body != null && body.length > 0 && !binary(type)) {
      String text = new String(body, StandardCharsets.UTF_8);
      String scrubbed = known.scrub(text);
      // Without a backslash every JSON string reads as written, so the text pass covered it; with
      // one, an escape could spell a secret: scrub the decoded strings too.
      if (scrubbed.indexOf('\\') >= 0 && looksLikeJson(scrubbed)) {
        try {
          JsonNode tree = READER.readTree(scrubbed);
          JsonNode clean = known.scrubJson(tree);
          if (clean != tree) {
            scrubbed = READER.writeValueAsString(clean);
          }
        } catch (IOException notJson) {
          // not JSON after all: the text pass stands
        }
      }
      if (!scrubbed.equals(text)) {
        body = scrubbed.getBytes(StandardCharsets.UTF_8);
      }
    }
    return new HttpReply(reply.status(), headers, body);
  }

  private static boolean binary(String contentType) {
    return contentType.startsWith("image/")
        || contentType.startsWith("audio/")
        || contentType.startsWith("video/")
        || contentType.startsWith("application/octet-stream")
        || contentType.startsWith("application/zip")
        || contentType.startsWith("application/gzip");
  }

  private static boolean looksLikeJson(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c)) {
        return c == '{' || c == '[' || c == '"';
      }
    }
    return false;
  }

  /** Header names that carry credentials by convention. */
  static boolean credentialHeader(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.equals("authorization")
        || n.equals("proxy-authorization")
        || n.equals("cookie")
        || n.contains("secret")
        || n.contains("token")
        || n.contains("password")
        || (n.endsWith("key") && !n.equals("idempotency-key"));
  }
}

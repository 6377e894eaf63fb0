package io.comfyvn.compute.gpu.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Where credentials may go: the one decision behind {@link EgressGuard}.
 *
 * <p>A secret belongs to an <em>owner</em>: the provider whose {@code provider.json} names its
 * section in the secrets file (canonical name or alias), or else the section itself (e.g. a
 * registry entry's {@code meta.credentials: "my_vast"}), which has no documented hosts. A request
 * carrying an owner's secret may go to
 *
 * <ul>
 *   <li>one of the owner's documented API hosts ({@code egress_hosts} in its {@code
 *       provider.json}), over {@code https} on port 443 only; {@code *.example.com} matches any
 *       host below {@code example.com} but not {@code example.com} itself; or
 *   <li>an origin the user listed in {@code egress.allowed_base_urls} of {@code
 *       config/comfyvn.json} (scheme, host and port; any path below it), which every owner may use.
 * </ul>
 *
 * <p>Hosts are compared as the JDK's HTTP client will connect to them ({@link URI#getHost()}),
 * lower-cased and otherwise exact: a trailing dot, a non-ASCII (IDN) or percent-encoded host, user
 * info ({@code https://api.runpod.ai@evil/}) or an unparseable authority never match. Anything that
 * does not match is denied; a denial is never wrong, only inconvenient.
 */
public final class EgressPolicy {
  /** A host label: letters, digits, '-' and '_' (some provider hosts use underscores). */
  private static final Pattern LABELS = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*");

  private final Map<String, List<HostPattern>> hostsByOwner;
  private final Map<String, String> ownerBySection;
  private final List<Origin> allowed;

  /**
   * A policy.
   *
   * @param hostsByOwner documented host patterns per owner (provider slug)
   * @param ownerBySection secrets-file section (lower case) -> owner
   * @param allowed the user's allowed origins
   */
  public EgressPolicy(
      Map<String, List<String>> hostsByOwner,
      Map<String, String> ownerBySection,
      List<Origin> allowed) {
    Map<String, List<HostPattern>> hosts = new TreeMap<>();
    hostsByOwner.forEach(
        (owner, patterns) -> hosts.put(owner, patterns.stream().map(HostPattern::parse).toList()));
    this.hostsByOwner = Map.copyOf(hosts);
    Map<String, String> sections = new TreeMap<>();
    ownerBySection.forEach((s, o) -> sections.put(s.toLowerCase(Locale.ROOT), o));
    this.ownerBySection = Map.copyOf(sections);
    this.allowed = List.copyOf(allowed);
  }

  /**
   * The policy of the providers' data files (see {@code GpuProviders.egressPolicy}) and the {@code
   * egress} section of {@code config/comfyvn.json}.
   *
   * @param hostsByOwner each provider's {@code egress_hosts}
   * @param ownerBySection each secrets-file section a provider names (canonical and aliases)
   * @param egress the {@code egress} section, or a missing node
   * @throws ConfigException when {@code egress.allowed_base_urls} is not a list of origins
   */
  public static EgressPolicy of(
      Map<String, List<String>> hostsByOwner, Map<String, String> ownerBySection, JsonNode egress) {
    return new EgressPolicy(hostsByOwner, ownerBySection, allowedBaseUrls(egress));
  }

  /** {@code egress.allowed_base_urls}: a missing section or key is an empty list. */
  static List<Origin> allowedBaseUrls(JsonNode egress) {
    String where = "config/comfyvn.json: egress.allowed_base_urls";
    JsonNode list = egress == null ? null : egress.get("allowed_base_urls");
    if (list == null || list.isNull() || list.isMissingNode()) {
      return List.of();
    }
    if (!list.isArray()) {
      throw new ConfigException(where + " must be a list of \"scheme://host:port\" strings");
    }
    List<Origin> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode v = list.get(i);
      if (!v.isTextual()) {
        throw new ConfigException(where + "[" + i + "] must be a string");
      }
      int index = i;
      out.add(
          Origin.parse(v.asText())
              .orElseThrow(
                  () ->
                      // The value is not quoted back: a pasted URL may carry a token.
                      new ConfigException(
                          where
                              + "["
                              + index
                              + "] must be an http(s) origin such as http://127.0.0.1:8188"
                              + " (scheme, host and optional port; no path, query or user info)")));
    }
    return out;
  }

  /** The owner of a secrets-file section: a provider slug, or the section itself. */
  public String ownerOf(String section) {
    String s = section.toLowerCase(Locale.ROOT);
    return ownerBySection.getOrDefault(s, s);
  }

  /** Whether the owner is a provider (has a {@code provider.json}), not a section of the user's. */
  public boolean isProvider(String owner) {
    return hostsByOwner.containsKey(owner);
  }

  /** The documented host patterns of an owner (empty for sections no provider names). */
  public List<String> documentedHosts(String owner) {
    return hostsByOwner.getOrDefault(owner, List.of()).stream().map(HostPattern::text).toList();
  }

  /** The user's allowed origins, as written back in canonical form. */
  public List<String> allowedBaseUrls() {
    return allowed.stream().map(Origin::toString).toList();
  }

  /**
   * Whether a request carrying the secrets of these owners may go to this URL.
   *
   * @param owners the owners whose secrets the request carries; empty means no credentials
   */
  public Decision check(Set<String> owners, URI uri) {
    if (owners.isEmpty()) {
      return new Decision(true, "");
    }
    Optional<Origin> target = Origin.of(uri);
    if (target.isEmpty()) {
      String who = "credentials of " + String.join(", ", new TreeSet<>(owners));
      String host = uri == null ? null : uri.getHost();
      if (host == null || !LABELS.matcher(host.toLowerCase(Locale.ROOT)).matches()) {
        return new Decision(
            false,
            who
                + " may not be sent to a URL whose host cannot be checked"
                + " (non-ASCII, percent-encoded or malformed)");
      }
      // user info is never quoted back: it may itself be a credential
      return new Decision(
          false,
          who
              + " may not be sent to "
              + host.toLowerCase(Locale.ROOT)
              + (uri.getRawUserInfo() != null
                  ? ": URLs with user info are refused"
                  : ": only http and https are allowed"));
    }
    Origin t = target.get();
    if (allowed.contains(t)) {
      return new Decision(true, "");
    }
    List<String> refused = new ArrayList<>();
    for (String owner : new TreeSet<>(owners)) {
      boolean documented =
          "https".equals(t.scheme())
              && t.port() == 443
              && hostsByOwner.getOrDefault(owner, List.of()).stream()
                  .anyMatch(p -> p.matches(t.host()));
      if (!documented) {
        refused.add(owner);
      }
    }
    if (refused.isEmpty()) {
      return new Decision(true, "");
    }
    StringBuilder why = new StringBuilder();
    why.append("credentials of ")
        .append(String.join(", ", refused))
        .append(" may not be sent to ")
        .append(t)
        .append(": it is not ");
    List<String> hosts = refused.stream().flatMap(o -> documentedHosts(o).stream()).toList();
    if (!hosts.isEmpty()) {
      why.append("a documented API host (https on port 443: ")
          .append(String.join(", ", hosts))
          .append(") nor ");
    }
    why.append("listed in egress.allowed_base_urls of config/comfyvn.json");
    return new Decision(false, why.toString());
  }

  /**
   * A decision.
   *
   * @param allowed whether the request may be sent
   * @param reason why not (names the owners and the target origin; never a secret)
   */
  public record Decision(boolean allowed, String reason) {}

  /**
   * Scheme, host and port, as the JDK's HTTP client connects.
   *
   * @param scheme {@code http} or {@code https}
   * @param host lower-case ASCII host (IPv6 literals in brackets)
   * @param port the port, the scheme's default when the URL names none
   */
  public record Origin(String scheme, String host, int port) {
    /** The origin a request goes to, or empty when it cannot be checked. */
    public static Optional<Origin> of(URI uri) {
      if (uri == null || uri.getScheme() == null || uri.getRawUserInfo() != null) {
        return Optional.empty();
      }
      String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
      String host = uri.getHost();
      if (!("http".equals(scheme) || "https".equals(scheme)) || host == null || host.isEmpty()) {
        return Optional.empty();
      }
      host = host.toLowerCase(Locale.ROOT);
      boolean literal6 = host.startsWith("[") && host.endsWith("]");
      if (!literal6 && !LABELS.matcher(host).matches()) {
        return Optional.empty();
      }
      int port = uri.getPort() == -1 ? ("https".equals(scheme) ? 443 : 80) : uri.getPort();
      return Optional.of(new Origin(scheme, host, port));
    }

    /** An allowed-base-URL entry: an origin with no path beyond "/", no query and no user info. */
    public static Optional<Origin> parse(String text) {
      try {
        URI uri = new URI(text.strip());
        String path = uri.getRawPath();
        if (uri.getRawQuery() != null
            || uri.getRawFragment() != null
            || (path != null && !path.isEmpty() && !"/".equals(path))) {
          return Optional.empty();
        }
        return of(uri);
      } catch (URISyntaxException e) {
        return Optional.empty();
      }
    }

    @Override
    public String toString() {
      return scheme + "://" + host + ":" + port;
    }
  }

  /** A documented host: exact, or {@code *.suffix} for any host below the suffix. */
  record HostPattern(String text, boolean wildcard, String host) {
    static HostPattern parse(String text) {
      String t = text.strip().toLowerCase(Locale.ROOT);
      boolean wildcard = t.startsWith("*.");
      String host = wildcard ? t.substring(2) : t;
      if (!LABELS.matcher(host).matches()) {
        throw new IllegalArgumentException("bad egress host pattern in provider.json: " + text);
      }
      return new HostPattern(t, wildcard, host);
    }

    boolean matches(String candidate) {
      if (!wildcard) {
        return candidate.equals(host);
      }
      // Origin.of already checked that every label is non-empty.
      return candidate.length() > host.length() + 1 && candidate.endsWith("." + host);
    }
  }
}

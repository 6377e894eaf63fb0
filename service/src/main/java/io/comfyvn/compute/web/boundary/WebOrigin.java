package io.comfyvn.compute.web.boundary;

import java.util.Locale;
import java.util.Optional;

/**
 * A browser origin, {@code scheme://host[:port]}, as the {@code Origin} header sends it and as
 * {@code server.allowed_origins} lists it; the port is always explicit (80 or 443 when omitted), so
 * two spellings of one origin compare equal.
 *
 * @param scheme {@code http} or {@code https}
 * @param authority host and explicit port
 */
record WebOrigin(String scheme, Authority authority) {

  /** Parses an origin; {@code null}, paths, user info, other schemes and junk are empty. */
  static Optional<WebOrigin> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String s = text.trim().toLowerCase(Locale.ROOT);
    String scheme;
    if (s.startsWith("http://")) {
      scheme = "http";
    } else if (s.startsWith("https://")) {
      scheme = "https";
    } else {
      return Optional.empty();
    }
    String rest = s.substring(scheme.length() + 3);
    return Authority.parse(rest)
        .map(
            a ->
                new WebOrigin(
                    scheme, a.port() < 0 ? new Authority(a.host(), defaultPort(scheme)) : a));
  }

  /**
   * Whether this origin is the one a request was sent to: same host and port as its {@code Host}
   * header. The scheme is not compared, because behind a TLS reverse proxy the page is {@code
   * https} while the service itself sees plain HTTP; no other site can hold this host and port.
   */
  boolean isOriginOf(Authority host) {
    return authority.host().equals(host.host())
        && host.portIs(authority.port(), defaultPort(scheme));
  }

  boolean secure() {
    return scheme.equals("https");
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }

  @Override
  public String toString() {
    return scheme + "://" + authority;
  }
}

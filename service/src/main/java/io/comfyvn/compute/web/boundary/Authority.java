package io.comfyvn.compute.web.boundary;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A host and an optional port as a {@code Host} header, an origin or a config entry names them: the
 * host lower-cased, an IPv6 literal in its one canonical spelling inside brackets, and no guessing
 * (a trailing dot, a user-info part or a stray character makes it unparseable, not "close enough").
 *
 * @param host the host name or address literal, e.g. {@code localhost}, {@code 127.0.0.1}, {@code
 *     [0:0:0:0:0:0:0:1]}
 * @param port the port, or {@code -1} when none was given
 */
record Authority(String host, int port) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?");
  private static final Pattern V6 = Pattern.compile("[0-9a-f:.]{2,45}");

  /** Parses {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}. */
  static Optional<Authority> parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 300) {
      return Optional.empty();
    }
    String s = text.toLowerCase(Locale.ROOT);
    String host;
    String rest;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        return Optional.empty();
      }
      String literal = s.substring(1, close);
      if (!V6.matcher(literal).matches() || !literal.contains(":")) {
        return Optional.empty();
      }
      Optional<String> canonical = canonicalV6(literal);
      if (canonical.isEmpty()) {
        return Optional.empty();
      }
      host = "[" + canonical.get() + "]";
      rest = s.substring(close + 1);
    } else {
      int colon = s.indexOf(':');
      host = colon < 0 ? s : s.substring(0, colon);
      rest = colon < 0 ? "" : s.substring(colon);
      if (!NAME.matcher(host).matches() || host.contains("..")) {
        return Optional.empty();
      }
    }
    if (rest.isEmpty()) {
      return Optional.of(new Authority(host, -1));
    }
    if (rest.charAt(0) != ':' || rest.length() < 2 || rest.length() > 6) {
      return Optional.empty();
    }
    String digits = rest.substring(1);
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        return Optional.empty();
      }
    }
    int port = Integer.parseInt(digits);
    if (port < 1 || port > 65535) {
      return Optional.empty();
    }
    return Optional.of(new Authority(host, port));
  }

  /**
   * The host of an address literal, bracketed when IPv6, in the same spelling {@link #parse} uses.
   */
  static String hostOf(InetAddress address) {
    String text = address.getHostAddress();
    int zone = text.indexOf('%');
    if (zone >= 0) {
      text = text.substring(0, zone);
    }
    return text.contains(":") ? "[" + text.toLowerCase(Locale.ROOT) + "]" : text;
  }

  /** Whether a port is the one this authority names, an absent port meaning {@code dflt}. */
  boolean portIs(int wanted, int dflt) {
    return (port < 0 ? dflt : port) == wanted;
  }

  @Override
  public String toString() {
    return port < 0 ? host : host + ":" + port;
  }

  private static Optional<String> canonicalV6(String literal) {
    try {
      // A literal with ':' is parsed, never looked up in DNS.
      return Optional.of(hostOf(InetAddress.getByName(literal)).replace("[", "").replace("]", ""));
    } catch (UnknownHostException | SecurityException e) {
      return Optional.empty();
    }
  }
}

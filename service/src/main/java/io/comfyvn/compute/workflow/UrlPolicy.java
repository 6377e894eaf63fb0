package io.comfyvn.compute.workflow;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.Locale;

/**
 * Which URLs this service fetches for a job's inputs. A job's URL is chosen by whoever can reach
 * the port, so by default only {@code https} to public addresses: never loopback, private (RFC
 * 1918, carrier-grade NAT, IPv6 unique-local), link-local (where cloud metadata services live),
 * multicast or unspecified addresses, which would let a request read this machine's or its LAN's
 * services. Every address a host name resolves to must pass.
 *
 * @param allowHttp whether plain {@code http} is fetched (tests, a LAN file server)
 * @param allowPrivate whether non-public addresses are fetched (tests, a LAN file server)
 */
public record UrlPolicy(boolean allowHttp, boolean allowPrivate) {
  /** https to public addresses only. */
  public static final UrlPolicy PUBLIC_HTTPS = new UrlPolicy(false, false);

  /** Why a URL is refused before it is resolved, or null when it may be resolved. */
  String refuseUrl(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(allowHttp && scheme.equals("http"))) {
      return "only https URLs are fetched";
    }
    if (url.getRawUserInfo() != null) {
      return "a URL with credentials in it is not fetched";
    }
    if (url.getHost() == null) {
      return "the URL has no host";
    }
    return null;
  }

  /** Why an address is refused, or null when it may be connected to. */
  String refuseAddress(InetAddress a) {
    if (allowPrivate) {
      return null;
    }
    return isPublic(a) ? null : "it resolves to a non-public address";
  }

  /** Whether an address is a public unicast address. */
  public static boolean isPublic(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isAnyLocalAddress()
        || a.isLinkLocalAddress()
        || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int o0 = b[0] & 0xff;
      int o1 = b[1] & 0xff;
      return !(o0 == 0
          || o0 >= 240 // reserved and broadcast
          || (o0 == 100 && o1 >= 64 && o1 < 128) // carrier-grade NAT
          || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
          || (o0 == 198 && (o1 == 18 || o1 == 19))); // benchmarking
    }
    if (a instanceof Inet6Address) {
      int b0 = b[0] & 0xff;
      if ((b0 & 0xfe) == 0xfc) {
        return false; // unique local fc00::/7
      }
      boolean mapped = true; // ::ffff:a.b.c.d carries an IPv4 address
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (java.net.UnknownHostException e) {
          return false;
        }
      }
    }
    return true;
  }
}

package io.comfyvn.compute.web.boundary;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code Host} names this service answers to. A browser tricked by DNS rebinding sends the
 * attacker's name ({@code evil.example:8001}); only names that are really this service's pass: its
 * bind address, the loopback names when it is bound to loopback (or to every address), the
 * machine's interface addresses when bound to every address, all at the port the connection arrived
 * on, and whatever {@code server.allowed_hosts} adds (e.g. the name a reverse proxy forwards).
 */
final class ServedHosts {
  private static final List<String> LOOPBACK_NAMES =
      List.of("localhost", "127.0.0.1", "[0:0:0:0:0:0:0:1]");

  private final Set<String> names;
  private final List<Authority> allowed;

  private ServedHosts(Set<String> names, List<Authority> allowed) {
    this.names = Collections.unmodifiableSet(names);
    this.allowed = List.copyOf(allowed);
  }

  /**
   * The names for a bind address plus the configured extras.
   *
   * @throws ConfigException when an entry of {@code server.allowed_hosts} is not a host name
   */
  static ServedHosts of(String bindHost, List<String> allowedHosts) {
    Set<String> names = new TreeSet<>();
    List<InetAddress> addresses = resolve(bindHost);
    boolean wildcard = addresses.stream().anyMatch(InetAddress::isAnyLocalAddress);
    boolean loopback =
        !addresses.isEmpty() && addresses.stream().allMatch(InetAddress::isLoopbackAddress);
    if (wildcard || loopback) {
      names.addAll(LOOPBACK_NAMES);
    }
    if (wildcard) {
      names.addAll(interfaceAddresses());
    }
    for (InetAddress a : addresses) {
      if (!a.isAnyLocalAddress()) {
        names.add(Authority.hostOf(a));
      }
    }
    if (addresses.isEmpty() || !isWildcardText(bindHost)) {
      // A bind name such as "mybox" (addresses were added above).
      Authority.parse(bindHost).filter(a -> a.port() < 0).ifPresent(a -> names.add(a.host()));
    }
    List<Authority> allowed = new ArrayList<>();
    for (int i = 0; i < allowedHosts.size(); i++) {
      String entry = allowedHosts.get(i);
      int index = i;
      allowed.add(
          Authority.parse(entry)
              .orElseThrow(
                  () ->
                      new ConfigException(
                          ConfigLoader.CONFIG_FILE
                              + ": 'server.allowed_hosts["
                              + index
                              + "]' must be a host name or address, optionally with ':port'"
                              + " (no scheme, no path)")));
    }
    return new ServedHosts(names, allowed);
  }

  /** Whether a bind address is loopback only (then no API token is required). */
  static boolean isLoopback(String bindHost) {
    List<InetAddress> addresses = resolve(bindHost);
    return !addresses.isEmpty() && addresses.stream().allMatch(InetAddress::isLoopbackAddress);
  }

  /**
   * Whether a request's {@code Host} is one this service serves.
   *
   * @param host the parsed {@code Host} header
   * @param localPort the port the connection arrived on
   */
  boolean serves(Authority host, int localPort) {
    if (names.contains(host.host()) && host.portIs(localPort, 80)) {
      return true;
    }
    for (Authority a : allowed) {
      if (!a.host().equals(host.host())) {
        continue;
      }
      // "name" allows the name as a proxy forwards it (no port) and at this service's own port.
      if (a.port() < 0 ? host.port() < 0 || host.port() == localPort : a.port() == host.port()) {
        return true;
      }
    }
    return false;
  }

  /** The names, for the startup log line. */
  List<String> describe() {
    List<String> out = new ArrayList<>(names);
    allowed.forEach(a -> out.add(a.toString()));
    return out;
  }

  private static boolean isWildcardText(String bindHost) {
    String s = bindHost.replace("[", "").replace("]", "");
    return s.equals("0.0.0.0") || s.equals("::") || s.equals("0:0:0:0:0:0:0:0");
  }

  private static List<InetAddress> resolve(String bindHost) {
    String h =
        bindHost.startsWith("[") && bindHost.endsWith("]")
            ? bindHost.substring(1, bindHost.length() - 1)
            : bindHost;
    try {
      return List.of(InetAddress.getAllByName(h.toLowerCase(Locale.ROOT)));
    } catch (UnknownHostException | SecurityException e) {
      return List.of();
    }
  }

  private static List<String> interfaceAddresses() {
    List<String> out = new ArrayList<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          out.add(Authority.hostOf(a));
        }
      }
    } catch (SocketException e) {
      // No interface list: the loopback names and server.allowed_hosts still work.
    }
    return out;
  }
}

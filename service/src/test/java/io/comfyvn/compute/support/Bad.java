package io.comfyvn.compute.support;

/**
 * One malformed request of a seeded table: method, path and body (null for none). Its {@code
 * toString} names the case in test reports without printing huge bodies.
 */
public record Bad(String method, String path, String body) {
  @Override
  public String toString() {
    String b = body == null ? "" : body;
    return method + " " + path + " " + (b.length() > 60 ? b.substring(0, 60) + "..." : b);
  }

  /** Sends it to the server and returns the reply. */
  public Server.Reply sendTo(Server server) {
    return server.request(method, path, body);
  }
}

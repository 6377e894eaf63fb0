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
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.base() + path));
    java.net.http.HttpRequest.BodyPublisher publisher =
        body == null
            ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(body);
    b.method(method, publisher).header("Content-Type", "application/json");
    return server.send(b);
  }
}

package io.comfyvn.compute.web.boundary;

import io.comfyvn.compute.support.Server;
import java.util.ArrayList;
import java.util.List;

/**
 * One route a test sends to: its method ({@code GET}, {@code POST}, ..., or {@code WS} for a
 * WebSocket upgrade) and its path template.
 */
record Route(String method, String path) {

  /** Every route the service's router has, so a route added later is covered too. */
  static List<Route> of(Server server) {
    List<Route> out = new ArrayList<>();
    for (String r : server.routes()) {
      int space = r.indexOf(' ');
      out.add(new Route(r.substring(0, space), r.substring(space + 1)));
    }
    return out;
  }

  @Override
  public String toString() {
    return method + " " + path;
  }
}

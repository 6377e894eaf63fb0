package io.comfyvn.compute.web.boundary;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one door into the service: a Jetty handler in front of everything Javalin serves (routes,
 * WebSocket upgrades, static files, and anything added later), so no route can opt out. It asks
 * {@link BoundaryPolicy} for a verdict on the request's headers, answers refusals and CORS
 * preflights itself, and reads an accepted body in full, asynchronously and within a deadline,
 * before a route's (blocking) handler runs: a slow client holds a connection, never a thread.
 */
public final class Boundary extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(Boundary.class);
  private static final String ALLOW_METHODS = "GET, POST, DELETE";
  private static final String ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key";

  private final BoundaryPolicy policy;
  private final Duration bodyTimeout;

  /**
   * The boundary for a policy.
   *
   * @param policy what is let in
   * @param bodyTimeout how long a body may take to arrive in full
   */
  public Boundary(BoundaryPolicy policy, Duration bodyTimeout) {
    this.policy = policy;
    this.bodyTimeout = bodyTimeout;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    Verdict verdict = policy.check(facts(request));
    if (verdict instanceof Verdict.Refuse refuse) {
      cors(response, refuse.corsOrigin());
      if (refuse.refusal().status() == 401) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"comfyvn-compute\"");
      }
      log.atDebug()
          .addKeyValue("code", refuse.refusal().code())
          .addKeyValue("method", Refusal.quote(request.getMethod()))
          .addKeyValue("path", Refusal.quote(String.valueOf(request.getHttpURI().getPath())))
          .log("refused at the boundary");
      if (hasBody(request)) {
        BodyBuffer.refuseAfterDraining(request, response, callback, refuse.refusal(), bodyTimeout);
      } else {
        write(response, callback, refuse.refusal());
      }
      return true;
    }
    if (verdict instanceof Verdict.Preflight preflight) {
      cors(response, preflight.origin());
      HttpFields.Mutable h = response.getHeaders();
      h.put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
      h.put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
      h.put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
      response.setStatus(204);
      callback.succeeded();
      return true;
    }
    Verdict.Pass pass = (Verdict.Pass) verdict;
    cors(response, pass.corsOrigin());
    Handler next = getHandler();
    if (next == null) {
      return false;
    }
    if (!pass.readBody()) {
      return next.handle(request, response, callback);
    }
    long max = BoundaryPolicy.maxBodyBytes(request.getHttpURI().getPath());
    new BodyBuffer(next, request, response, callback, max, bodyTimeout).start();
    return true;
  }

  /** Writes a refusal (or any error of ours) as the service's JSON error shape. */
  static void write(Response response, Callback callback, Refusal refusal) {
    response.setStatus(refusal.status());
    HttpFields.Mutable h = response.getHeaders();
    h.put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
    h.put(HttpHeader.CACHE_CONTROL, "no-store");
    h.put("X-Content-Type-Options", "nosniff");
    response.write(true, ByteBuffer.wrap(refusal.json()), callback);
  }

  private static boolean hasBody(Request request) {
    return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
  }

  private static void cors(Response response, String origin) {
    if (origin == null) {
      return;
    }
    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    response.getHeaders().add(HttpHeader.VARY, "Origin");
  }

  private static RequestFacts facts(Request request) {
    HttpFields h = request.getHeaders();
    List<String> hosts = h.getValuesList(HttpHeader.HOST);
    List<String> origins = h.getValuesList(HttpHeader.ORIGIN);
    String method = request.getMethod();
    return new RequestFacts(
        method,
        request.getHttpURI().getPath() == null ? "" : request.getHttpURI().getPath(),
        hosts.size() == 1 ? hosts.get(0) : null,
        request.getHttpURI().getAuthority(),
        Request.getLocalPort(request),
        origins.isEmpty() ? null : origins.size() == 1 ? origins.get(0) : "",
        h.get("Sec-Fetch-Site"),
        h.get("Sec-Fetch-Mode"),
        h.get(HttpHeader.AUTHORIZATION),
        sessionCookie(request),
        h.get(HttpHeader.CONTENT_TYPE),
        request.getLength(),
        h.contains(HttpHeader.TRANSFER_ENCODING),
        method.equals("OPTIONS")
            && !origins.isEmpty()
            && h.contains(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD));
  }

  private static String sessionCookie(Request request) {
    if (!request.getHeaders().contains(HttpHeader.COOKIE)) {
      return null;
    }
    try {
      for (HttpCookie c : Request.getCookies(request)) {
        if (ApiToken.COOKIE.equals(c.getName())) {
          return c.getValue();
        }
      }
    } catch (RuntimeException malformed) {
      // An unparseable Cookie header carries no session.
    }
    return null;
  }
}

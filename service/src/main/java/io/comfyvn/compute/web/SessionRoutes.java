package io.comfyvn.compute.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.web.boundary.ApiToken;
import io.comfyvn.compute.web.boundary.BoundaryPolicy;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Optional;

/**
 * {@code /api/session}: how the Studio page logs in when the service has an API token. The page
 * posts the token once; the answer sets an HttpOnly, SameSite=Strict cookie the boundary accepts
 * from then on (WebSockets included, which cannot send an {@code Authorization} header). The route
 * needs no token itself but sits behind the same host, origin and media-type checks as every other.
 */
final class SessionRoutes {
  private final Optional<ApiToken> token;
  private final Bodies bodies;

  SessionRoutes(BoundaryPolicy policy, Bodies bodies) {
    this.token = policy.token();
    this.bodies = bodies;
  }

  /** {@code GET}, {@code POST} and {@code DELETE /api/session}. */
  record Session(boolean ok, boolean tokenRequired, boolean authenticated) {}

  void register(RoutesConfig routes) {
    routes.get(BoundaryPolicy.SESSION_PATH, this::status);
    routes.post(BoundaryPolicy.SESSION_PATH, this::login);
    routes.delete(BoundaryPolicy.SESSION_PATH, this::logout);
  }

  private void status(Context ctx) {
    ctx.json(
        new Session(
            true,
            token.isPresent(),
            token.map(t -> t.accepts(ctx.header("Authorization"), cookie(ctx))).orElse(true)));
  }

  private void login(Context ctx) {
    ObjectNode body = bodies.object(ctx, false);
    JsonNode given = body.get("token");
    if (given == null || !given.isTextual() || given.asText().isEmpty()) {
      throw ComputeException.badRequest("missing_field", "'token' is required");
    }
    if (token.isEmpty()) {
      ctx.json(new Session(true, false, true));
      return;
    }
    if (!token.get().isToken(given.asText())) {
      throw new ComputeException(
          ComputeException.Kind.UNAUTHORIZED, "invalid_token", "that is not this service's token");
    }
    ctx.header("Set-Cookie", token.get().sessionCookie(secure(ctx)));
    ctx.json(new Session(true, true, true));
  }

  private void logout(Context ctx) {
    ctx.header("Set-Cookie", ApiToken.clearedCookie(secure(ctx)));
    ctx.json(new Session(true, token.isPresent(), token.isEmpty()));
  }

  private static String cookie(Context ctx) {
    return ctx.cookie(ApiToken.COOKIE);
  }

  /**
   * Whether the page was served over HTTPS (a TLS reverse proxy): the browser said so in {@code
   * Origin}, which it sends on every POST and DELETE. The cookie is then marked Secure.
   */
  private static boolean secure(Context ctx) {
    String origin = ctx.header("Origin");
    return origin != null && origin.trim().toLowerCase(java.util.Locale.ROOT).startsWith("https:");
  }
}

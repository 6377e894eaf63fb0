package io.comfyvn.compute.web;

import io.javalin.config.RoutesConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the hand-kept OpenAPI 3.1 document of every route (a resource, so it
 * ships in the jar; {@code OpenApiIT} fails when a route is missing from it or an answer does not
 * match it), and {@code GET /docs}: the document as a Swagger UI page from its WebJar.
 */
final class OpenApiRoutes {
  private final byte[] document = resource("openapi.json");
  private final byte[] page = resource("docs.html");

  void register(RoutesConfig routes) {
    routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(document));
    routes.get("/docs", ctx -> ctx.contentType("text/html; charset=utf-8").result(page));
  }

  private static byte[] resource(String name) {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

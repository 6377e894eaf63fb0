package io.comfyvn.compute.web.boundary;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error pages (a request line or header it cannot parse, a bad percent-encoding, a URI
 * or header block over its limits, a servlet-level {@code sendError}) in the service's JSON shape,
 * whatever the client's {@code Accept} says and for every method. A parse failure Jetty reports as
 * 501 or 505 (an unknown transfer coding, an HTTP version it does not speak) is the client's fault
 * and answered 400. Jetty's reason phrase is quoted only after {@link Refusal#quote}.
 */
public final class JsonErrors {
  private JsonErrors() {}

  /** For {@code Server.setErrorHandler}: errors raised before any context is entered. */
  public static ErrorHandler forServer() {
    return new Core();
  }

  /** For the servlet context's {@code setErrorHandler}: errors raised inside the servlet. */
  public static ErrorHandler forServletContext() {
    return new Servlet();
  }

  /** The code word for a status. */
  static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 411 -> "length_required";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 417 -> "expectation_failed";
      case 421 -> "misdirected_request";
      case 431 -> "headers_too_large";
      case 503 -> "unavailable";
      default -> status >= 500 ? "server_error" : "bad_request";
    };
  }

  /** The status to answer: a parse failure is always the client's, so never a 5xx. */
  static int status(int status, Throwable cause) {
    if (cause instanceof HttpException && status >= 500) {
      return 400;
    }
    return status;
  }

  static String message(int status, String reason) {
    String standard = HttpStatus.getMessage(status);
    if (reason == null || reason.isBlank() || reason.equals(standard)) {
      return standard;
    }
    return standard + ": " + Refusal.quote(reason);
  }

  private static void writeJson(PrintWriter writer, int status, String message) {
    writer.write(new String(Refusal.json(code(status), message), StandardCharsets.UTF_8));
  }

  private static final class Core extends ErrorHandler {
    @Override
    public boolean errorPageForMethod(String method) {
      return true;
    }

    @Override
    protected void generateResponse(
        Request request,
        Response response,
        int code,
        String message,
        Throwable cause,
        Callback callback)
        throws java.io.IOException {
      int status = status(code, cause);
      response.setStatus(status);
      generateAcceptableResponse(
          request,
          response,
          callback,
          "application/json",
          List.of(StandardCharsets.UTF_8),
          status,
          message(status, reasonOf(message, cause)),
          cause);
    }

    @Override
    protected void writeErrorJson(
        Request request, PrintWriter writer, int code, String message, Throwable cause) {
      writeJson(writer, code, message);
    }
  }

  private static final class Servlet extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
    @Override
    public boolean errorPageForMethod(String method) {
      return true;
    }

    @Override
    protected void generateResponse(
        Request request,
        Response response,
        int code,
        String message,
        Throwable cause,
        Callback callback)
        throws java.io.IOException {
      int status = status(code, cause);
      response.setStatus(status);
      generateAcceptableResponse(
          request,
          response,
          callback,
          "application/json",
          List.of(StandardCharsets.UTF_8),
          status,
          message(status, reasonOf(message, cause)),
          cause);
    }

    @Override
    protected void writeErrorJson(
        Request request, PrintWriter writer, int code, String message, Throwable cause) {
      writeJson(writer, code, message);
    }
  }

  private static String reasonOf(String message, Throwable cause) {
    if (cause instanceof HttpException h && h.getReason() != null) {
      return h.getReason();
    }
    // Without an HttpException the message may be an exception's toString: keep none of it.
    return cause == null ? message : null;
  }
}

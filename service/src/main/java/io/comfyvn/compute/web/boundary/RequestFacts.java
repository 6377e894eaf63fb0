package io.comfyvn.compute.web.boundary;

/**
 * What the boundary looks at in a request, read once from the headers; everything else (the body,
 * the route) is not looked at before the verdict.
 *
 * @param method the request method as sent
 * @param path the request path as sent, still percent-encoded, without the query
 * @param host the {@code Host} header, or null when absent or repeated
 * @param targetAuthority the authority of the request target ({@code host[:port]}), which differs
 *     from {@code host} only for an absolute-form target; null when there is none
 * @param localPort the port the connection arrived on
 * @param origin the {@code Origin} header; null when absent, empty when repeated
 * @param fetchSite the {@code Sec-Fetch-Site} header, or null
 * @param fetchMode the {@code Sec-Fetch-Mode} header, or null
 * @param authorization the {@code Authorization} header, or null
 * @param sessionCookie the Studio session cookie, or null
 * @param contentType the {@code Content-Type} header, or null
 * @param contentLength the declared body length, or -1 when not declared
 * @param chunked whether the body is sent with a transfer coding (length unknown up front)
 * @param preflight whether this is a CORS preflight ({@code OPTIONS} with {@code
 *     Access-Control-Request-Method})
 */
record RequestFacts(
    String method,
    String path,
    String host,
    String targetAuthority,
    int localPort,
    String origin,
    String fetchSite,
    String fetchMode,
    String authorization,
    String sessionCookie,
    String contentType,
    long contentLength,
    boolean chunked,
    boolean preflight) {

  /** Whether the request carries a body. */
  boolean hasBody() {
    return contentLength > 0 || chunked;
  }
}

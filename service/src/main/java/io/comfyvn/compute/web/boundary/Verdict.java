package io.comfyvn.compute.web.boundary;

/** The boundary's answer to one request. */
sealed interface Verdict {

  /**
   * Turned away.
   *
   * @param refusal the error answer
   * @param corsOrigin the allowed cross origin to name in CORS headers (so its page can read the
   *     error), or null
   */
  record Refuse(Refusal refusal, String corsOrigin) implements Verdict {}

  /**
   * A CORS preflight from an allowed origin, answered by the boundary itself.
   *
   * @param origin the origin to allow, as the browser sent it
   */
  record Preflight(String origin) implements Verdict {}

  /**
   * Let through to the routes.
   *
   * @param corsOrigin the allowed cross origin to name in CORS headers, or null for a same-origin
   *     or non-browser request
   * @param readBody whether the body must be read in full before a route runs
   */
  record Pass(String corsOrigin, boolean readBody) implements Verdict {}
}

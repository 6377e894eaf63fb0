package io.comfyvn.compute.web;

import io.comfyvn.compute.errors.ComputeException;

/** Test access to the single kind-to-status mapping. */
public final class WebServerStatus {
  private WebServerStatus() {}

  public static int of(ComputeException e) {
    return WebServer.status(e.kind());
  }
}

package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a call runs: no network and deterministic, a seeded simulation, or the provider's real API.
 */
public enum Mode {
  DRY_RUN("dry_run"),
  SIM("sim"),
  LIVE("live");

  private final String wire;

  Mode(String wire) {
    this.wire = wire;
  }

  /** The name used in JSON and config. */
  @JsonValue
  public String wire() {
    return wire;
  }
}

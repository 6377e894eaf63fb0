package io.comfyvn.compute.status;

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

  /** Parses a stored or configured word ({@code dry_run}, {@code sim}, {@code live}). */
  public static Mode parse(String word) {
    for (Mode m : values()) {
      if (m.wire.equals(word)) {
        return m;
      }
    }
    throw new IllegalArgumentException("not a mode: " + word);
  }

  /**
   * A mode word read from an answer or a file, when it is one: for readers of JSON (the CLI) that
   * must not fail on a word a newer service might send.
   */
  public static java.util.Optional<Mode> fromWire(String word) {
    for (Mode m : values()) {
      if (m.wire.equals(word)) {
        return java.util.Optional.of(m);
      }
    }
    return java.util.Optional.empty();
  }
}

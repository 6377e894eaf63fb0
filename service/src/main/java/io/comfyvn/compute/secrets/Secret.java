package io.comfyvn.compute.secrets;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * A secret value. It never prints itself: {@link #toString()} is {@code ***}, and the only way to
 * the value is {@link #reveal()}, which callers use at the moment they build an auth header.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /** Wraps a non-blank value. */
  public static Secret of(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("a secret must not be blank");
    }
    return new Secret(value.trim());
  }

  /** The value itself, for an outgoing auth header or signature; never log or return it. */
  public String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return "***";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s
        && MessageDigest.isEqual(
            value.getBytes(StandardCharsets.UTF_8), s.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}

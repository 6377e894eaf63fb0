package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The one status vocabulary every provider maps to. A provider's own word is kept beside it as
 * {@code provider_status}; timeouts are {@link #ERROR} with the provider's word (e.g. TIMED_OUT).
 */
public enum JobStatus {
  QUEUED,
  RUNNING,
  DONE,
  ERROR,
  CANCELED;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean terminal() {
    return this == DONE || this == ERROR || this == CANCELED;
  }
}

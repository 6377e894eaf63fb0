package io.comfyvn.compute.status;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** ComfyVN's task status words. */
public enum TaskStatus {
  QUEUED,
  RUNNING,
  DONE,
  ERROR,
  CANCELED;

  /** The lower-case word used on the wire and in the store. */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether nothing further will happen to a task in this state. */
  public boolean terminal() {
    return this == DONE || this == ERROR || this == CANCELED;
  }

  /** Parses a stored word. */
  public static TaskStatus parse(String word) {
    return valueOf(word.toUpperCase(Locale.ROOT));
  }
}

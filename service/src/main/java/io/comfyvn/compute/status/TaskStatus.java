package io.comfyvn.compute.status;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** ComfyVN's task status words. */
public enum TaskStatus {
  QUEUED,
  RUNNING,
  DONE,
  ERROR,
  CANCELED,
  /**
   * A live create that reached the provider (or may have) and whose job this service can no longer
   * find or follow: a job may exist upstream (and may be billed), its id is in the task when it is
   * known. Terminal, and not a failure of the job itself: nothing is resubmitted on its own.
   */
  LOST;

  /** The lower-case word used on the wire and in the store. */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether nothing further will happen to a task in this state. */
  public boolean terminal() {
    return this == DONE || this == ERROR || this == CANCELED || this == LOST;
  }

  /** Parses a stored word. */
  public static TaskStatus parse(String word) {
    return valueOf(word.toUpperCase(Locale.ROOT));
  }

  /**
   * A status word read from an answer, when it is one: for readers of JSON (the CLI) that must not
   * fail on a word a newer service might send.
   */
  public static java.util.Optional<TaskStatus> fromWire(String word) {
    for (TaskStatus s : values()) {
      if (s.wire().equals(word)) {
        return java.util.Optional.of(s);
      }
    }
    return java.util.Optional.empty();
  }
}

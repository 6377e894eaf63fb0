package io.comfyvn.compute.status;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What is known about a submit's create request, the fact that decides whether it may be sent
 * again. For dry-run and sim the "provider" is this service's own mock or simulator, which always
 * accepts (or, without secrets, is never asked).
 */
public enum SubmitState {
  /**
   * Nothing left the machine (missing secrets, a local limit, an open breaker, a bad job), or it
   * did and reconciliation showed the provider has no job for it (nothing runs there).
   */
  NOT_SENT,
  /** The create is on its way (recorded before sending); its answer has not been seen yet. */
  SENT,
  /** The provider accepted it and gave a job id. */
  ACCEPTED,
  /**
   * Sent, and no usable answer came back (timeout, dropped connection, a 5xx after sending): a job
   * may exist upstream. Never resent; reconciled with the provider instead.
   */
  AMBIGUOUS,
  /** The provider answered that it did not act on it (4xx, 429, 503). */
  REFUSED;

  /** The lower-case word used on the wire and in the store. */
  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether a job may exist (or be about to exist) upstream because of this create: an idempotency
   * key replays such a task instead of creating another.
   */
  public boolean mayExistUpstream() {
    return this == SENT || this == ACCEPTED || this == AMBIGUOUS;
  }

  /** Parses a stored word. */
  public static SubmitState parse(String word) {
    return valueOf(word.toUpperCase(Locale.ROOT));
  }
}

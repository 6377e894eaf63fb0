package io.comfyvn.compute.gpu.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads {@code Retry-After}: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
final class RetryAfter {
  private RetryAfter() {}

  /**
   * The wait an answer asks for.
   *
   * @param now the time the answer arrived (an HTTP-date is measured from it)
   * @return the wait (zero for a date in the past), or empty when absent or unreadable
   */
  static Optional<Duration> of(HttpReply reply, Instant now) {
    return reply.header("retry-after").flatMap(v -> parse(v, now));
  }

  /** {@link #of} for a header value. */
  static Optional<Duration> parse(String value, Instant now) {
    String v = value.trim();
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException tooLong) {
        return Optional.empty();
      }
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(now, at);
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException unreadable) {
      return Optional.empty();
    }
  }
}

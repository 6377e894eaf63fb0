package io.comfyvn.compute.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, or a number of seconds. */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern P = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

  @Override
  public Duration convert(String value) {
    Matcher m = P.matcher(value.trim());
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not a duration (e.g. 30s, 10m, 1h)");
    }
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    double millis =
        switch (unit) {
          case "ms" -> n;
          case "m" -> n * 60_000;
          case "h" -> n * 3_600_000;
          default -> n * 1000;
        };
    if (millis <= 0 || millis > 7 * 24 * 3_600_000d) {
      throw new TypeConversionException("'" + value + "' must be above 0 and at most a week");
    }
    return Duration.ofMillis((long) millis);
  }
}

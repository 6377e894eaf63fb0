package io.comfyvn.compute.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a value in a settings file may be: the typed schema {@link ConfigSchema} is built from these
 * and {@link ConfigValidator} checks a file against it.
 */
public sealed interface Shape {

  /** What the value must be, in words, for messages ("true or false", "one of ..."). */
  String expected();

  /** {@code true} or {@code false}. */
  record Flag() implements Shape {
    @Override
    public String expected() {
      return "true or false";
    }
  }

  /** A whole number from {@code min} to {@code max}. */
  record Whole(long min, long max) implements Shape {
    @Override
    public String expected() {
      return max == Long.MAX_VALUE
          ? "a whole number of at least " + min
          : "a whole number from " + min + " to " + max;
    }
  }

  /** A number from {@code min} (or above it, when {@code aboveMin}) to {@code max}. */
  record Decimal(double min, double max, boolean aboveMin) implements Shape {
    /** A number from {@code min} to {@code max}, both included. */
    public Decimal(double min, double max) {
      this(min, max, false);
    }

    /** A number above {@code min} (excluded), up to {@code max}. */
    public static Decimal above(double min, double max) {
      return new Decimal(min, max, true);
    }

    /** Whether {@code v} is allowed. */
    public boolean allows(double v) {
      return (aboveMin ? v > min : v >= min) && v <= max;
    }

    @Override
    public String expected() {
      return aboveMin
          ? "a number above " + trim(min) + ", up to " + trim(max)
          : "a number from " + trim(min) + " to " + trim(max);
    }

    private static String trim(double d) {
      return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
  }

  /** Any string (read further by the setting's own reader, e.g. a URL). */
  record Text() implements Shape {
    @Override
    public String expected() {
      return "a string";
    }
  }

  /** One of a fixed set of words (compared without regard to case). */
  record Words(List<String> allowed) implements Shape {
    public Words {
      allowed = List.copyOf(allowed);
    }

    @Override
    public String expected() {
      return "one of " + String.join("|", allowed);
    }
  }

  /** A list whose every item is {@code item}. */
  record ListOf(Shape item) implements Shape {
    @Override
    public String expected() {
      return "a list";
    }
  }

  /**
   * An object. {@code keys} are the known keys; any other key is checked against {@code others}
   * when it is set (a map of names chosen by the user, e.g. {@code limits.providers}), else it is
   * an unknown key: a warning with the nearest known key. {@code null} means the section's
   * defaults.
   */
  record Section(Map<String, Shape> keys, Shape others) implements Shape {
    public Section {
      keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /** A section with only known keys. */
    public static Section of(Map<String, Shape> keys) {
      return new Section(keys, null);
    }

    @Override
    public String expected() {
      return "an object";
    }
  }

  /** {@code null} or {@code inner} ({@code null} lifts a limit, or means "none"). */
  record Nullable(Shape inner) implements Shape {
    @Override
    public String expected() {
      return inner.expected() + ", or null";
    }
  }

  /** Either of two shapes, e.g. a size as {@code "10MB"} or a number of bytes. */
  record Either(Shape first, Shape second) implements Shape {
    @Override
    public String expected() {
      return first.expected() + " or " + second.expected();
    }
  }

  /** Anything: the value is checked by the reader that uses it (named in {@code reader}). */
  record Free(String reader) implements Shape {
    @Override
    public String expected() {
      return "anything " + reader + " accepts";
    }
  }
}

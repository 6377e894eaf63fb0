package io.comfyvn.compute.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A configuration file could not be used; the message names the file and the place, never content.
 * When it comes from the schema check it carries every error found ({@link #problems()}).
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The errors, when the schema check found them; empty otherwise. */
  private final transient List<ConfigProblem> problems;

  /** What is wrong with the file, without its name ({@link #bare()}). */
  private final String bare;

  public ConfigException(String message) {
    super(message);
    this.problems = List.of();
    this.bare = message;
  }

  /** A problem of a whole file: {@code <file>: <what>}. */
  public ConfigException(Path file, String what) {
    super(file + ": " + what);
    this.problems = List.of();
    this.bare = what;
  }

  /** Every error the schema check found, one per line. */
  public ConfigException(List<ConfigProblem> errors) {
    super(summary(errors));
    this.problems = List.copyOf(errors);
    this.bare = getMessage();
  }

  /** The errors of the schema check (empty when the exception has one message only). */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** The message without the file's name, when it was built from one. */
  public String bare() {
    return bare;
  }

  private static String summary(List<ConfigProblem> errors) {
    if (errors.size() == 1) {
      return errors.get(0).describe();
    }
    StringBuilder sb = new StringBuilder(errors.size() + " errors:");
    errors.forEach(p -> sb.append(System.lineSeparator()).append("  ").append(p.describe()));
    return sb.toString();
  }
}

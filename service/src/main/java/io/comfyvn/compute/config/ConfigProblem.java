package io.comfyvn.compute.config;

import java.util.List;
import java.util.Optional;

/**
 * One thing wrong with a settings file: which file, where in it (a JSON path such as {@code
 * providers_gpu.runpod.mode}), what, the values that are allowed there and the nearest known word.
 * It never quotes a secret: the secrets file's problems name keys, never values.
 *
 * @param severity whether the service can run with it
 * @param file the file, relative to the home ({@code config/comfyvn.json})
 * @param path where in the file; empty for the file as a whole
 * @param message what is wrong, in words
 * @param allowed the values or keys allowed there (may be empty)
 * @param didYouMean the nearest allowed word, when one is close
 */
public record ConfigProblem(
    Severity severity,
    String file,
    String path,
    String message,
    List<String> allowed,
    Optional<String> didYouMean) {

  /** How bad a problem is. */
  public enum Severity {
    /** The file asks for something the service cannot default safely: it does not start. */
    ERROR,
    /** The service runs (the value is ignored or defaulted) and says so. */
    WARNING;

    /** The word in answers and {@code doctor --json}: {@code error} or {@code warning}. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public ConfigProblem {
    allowed = List.copyOf(allowed);
  }

  /** An error without allowed values or suggestion. */
  public static ConfigProblem error(String file, String path, String message) {
    return new ConfigProblem(Severity.ERROR, file, path, message, List.of(), Optional.empty());
  }

  /** A warning without allowed values or suggestion. */
  public static ConfigProblem warning(String file, String path, String message) {
    return new ConfigProblem(Severity.WARNING, file, path, message, List.of(), Optional.empty());
  }

  /** Whether the service refuses to start on it. */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /**
   * The problem as answers and {@code doctor --json} show it.
   *
   * @param severity {@code error} or {@code warning}
   * @param file the file
   * @param path where in it (empty: the file as a whole)
   * @param message what is wrong
   * @param allowed the values or keys allowed there
   * @param didYouMean the nearest allowed word, or null
   * @param text the whole problem in one line ({@link #describe()})
   */
  public record View(
      String severity,
      String file,
      String path,
      String message,
      List<String> allowed,
      String didYouMean,
      String text) {}

  /** This problem as a {@link View}. */
  public View view() {
    return new View(
        severity.wire(), file, path, message, allowed, didYouMean.orElse(null), describe());
  }

  /**
   * One line: {@code config/comfyvn.json: providers_gpu.runpod.mode: unknown word "liev" (allowed:
   * dry_run|live); did you mean "live"?}.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(file).append(": ");
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    sb.append(message);
    if (!allowed.isEmpty()) {
      sb.append(" (allowed: ").append(String.join("|", allowed)).append(')');
    }
    didYouMean.ifPresent(w -> sb.append("; did you mean \"").append(w).append("\"?"));
    return sb.toString();
  }
}

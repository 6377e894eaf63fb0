package io.comfyvn.compute.config;

/**
 * A configuration file could not be used; the message names the file and the place, never content.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}

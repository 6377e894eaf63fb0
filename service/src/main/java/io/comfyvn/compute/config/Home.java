package io.comfyvn.compute.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the service keeps the user's settings, secrets, logs and data: the one place that decides
 * the default home folder. The repository is never the default, so a user's settings are never a
 * tracked file.
 */
public final class Home {
  /** The environment variable that names the home folder when {@code --home} is not given. */
  public static final String ENV = "COMFYVN_HOME";

  /** The folder under the user's home directory used when neither is given. */
  public static final String DEFAULT_DIR = ".comfyvn-compute";

  private Home() {}

  /**
   * The home folder: {@code explicit} when given, else {@code $COMFYVN_HOME} when set and not
   * blank, else {@code <userHome>/.comfyvn-compute}.
   */
  public static Path resolve(Path explicit, Map<String, String> env, String userHome) {
    if (explicit != null) {
      return explicit.toAbsolutePath().normalize();
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv.trim()).toAbsolutePath().normalize();
    }
    return Path.of(userHome, DEFAULT_DIR).toAbsolutePath().normalize();
  }

  /** The home folder for this process's environment and {@code user.home}. */
  public static Path resolve(Path explicit) {
    return resolve(explicit, System.getenv(), System.getProperty("user.home"));
  }
}

package io.comfyvn.compute.tasks;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.secrets.Secret;
import java.util.Locale;
import java.util.Optional;

/**
 * Which task store to open: the embedded SQLite file (the default, one instance) or a PostgreSQL
 * server shared by several instances. Chosen by {@code serve --store URL}, else {@code store.url}
 * in {@code config/comfyvn.json}; the user and password come from the secrets file's {@code store}
 * section, never from the config file or the command line, and are never printed.
 *
 * @param kind what kind of store
 * @param url the JDBC URL, or null for the home's embedded file
 * @param user the database user, or null
 * @param password the database password, or null
 */
public record StoreSettings(Kind kind, String url, String user, Secret password) {

  /** The kinds of store; the wire word is what {@code /health} reports. */
  public enum Kind {
    SQLITE("sqlite"),
    POSTGRESQL("postgresql");

    private final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    /** Whether other processes may write to this store too (reads must not be cached). */
    public boolean shared() {
      return this == POSTGRESQL;
    }
  }

  /** The embedded SQLite file of the home folder. */
  public static final StoreSettings EMBEDDED = new StoreSettings(Kind.SQLITE, null, null, null);

  /**
   * Reads the choice.
   *
   * @param cliUrl {@code serve --store}, or null
   * @param configUrl {@code store.url} from the config file, or null/blank
   * @param user the secrets file's {@code store.user}, if any
   * @param password the secrets file's {@code store.password}, if any
   * @throws ConfigException for a URL that names no supported store
   */
  public static StoreSettings of(
      String cliUrl, String configUrl, Optional<Secret> user, Optional<Secret> password) {
    String url = cliUrl != null && !cliUrl.isBlank() ? cliUrl.trim() : configUrl;
    if (url == null || url.isBlank()) {
      return EMBEDDED;
    }
    url = url.trim();
    String lower = url.toLowerCase(Locale.ROOT);
    Kind kind;
    if (lower.startsWith("jdbc:postgresql:")) {
      kind = Kind.POSTGRESQL;
    } else if (lower.startsWith("jdbc:sqlite:")) {
      kind = Kind.SQLITE;
    } else {
      // never echo the URL: it may carry a password
      throw new ConfigException(
          "store.url must start with jdbc:postgresql: or jdbc:sqlite: (the task store)");
    }
    return new StoreSettings(
        kind, url, user.map(Secret::reveal).orElse(null), password.orElse(null));
  }

  @Override
  public String toString() {
    return "StoreSettings[" + kind.wire() + "]";
  }
}

package io.comfyvn.compute.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * This instance's name among the instances sharing a store: {@code cluster.instance_id} from the
 * config, else the one kept in the home's {@code data/instance.id} (created on first start). Kept
 * across restarts on purpose: an instance that comes back takes its own leases again at once
 * instead of waiting a lease period for them to expire. So two instances need two homes (or two
 * {@code cluster.instance_id}s).
 */
public final class InstanceId {
  /** Where the id is kept, relative to the home folder. */
  public static final String FILE = "data/instance.id";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private InstanceId() {}

  /**
   * The id for a home.
   *
   * @param configured {@code cluster.instance_id}, or null/blank
   * @throws IllegalArgumentException when the configured id is not 1-64 of {@code A-Za-z0-9._-}
   */
  public static String resolve(Path home, String configured) {
    if (configured != null && !configured.isBlank()) {
      if (!VALID.matcher(configured).matches()) {
        throw new IllegalArgumentException(
            "cluster.instance_id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
      }
      return configured;
    }
    Path file = home.resolve(FILE);
    try {
      if (Files.exists(file)) {
        String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (VALID.matcher(kept).matches()) {
          return kept;
        }
      }
      byte[] random = new byte[6];
      new SecureRandom().nextBytes(random);
      String id = "i-" + HexFormat.of().formatHex(random);
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(FILE.substring(FILE.lastIndexOf('/') + 1) + ".tmp");
      Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the instance id in " + file, e);
    }
  }
}

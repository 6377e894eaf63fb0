package io.comfyvn.compute.provenance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Provenance sidecars for files the service writes itself (a bootstrap run's log and answers), in
 * the shape of {@link ArtifactStore}'s: {@code <file>.prov.json} holding {@code {"provenance":
 * {tool, version, ...what made it, file, sha256, bytes, mime, stored_at}}}.
 */
public final class Sidecars {
  private Sidecars() {}

  /**
   * Writes the sidecar of a file that exists.
   *
   * @param file the file
   * @param origin what made it (task id, kind, provider...), copied in first
   * @param version the service's version
   * @return the sidecar's path
   */
  public static Path write(
      Path file, ObjectNode origin, String version, Clock clock, ObjectMapper mapper)
      throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    ObjectNode root = mapper.createObjectNode();
    ObjectNode p = root.putObject("provenance");
    p.put("tool", "comfyvn-compute");
    p.put("version", version);
    p.setAll(origin);
    p.put("file", file.getFileName().toString());
    p.put("sha256", sha256(bytes));
    p.put("bytes", bytes.length);
    p.put("mime", mime(file));
    p.put("stored_at", clock.instant().toString());
    Path sidecar = file.resolveSibling(file.getFileName() + ArtifactStore.SIDECAR_SUFFIX);
    Files.writeString(sidecar, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    return sidecar;
  }

  private static String mime(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".json")) {
      return "application/json";
    }
    if (name.endsWith(".log") || name.endsWith(".txt")) {
      return "text/plain";
    }
    return "application/octet-stream";
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.comfyvn.compute.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Fetches a task's stored artifacts (and their provenance sidecars) into a folder, checking each
 * file's SHA-256 against the one the service recorded; a file is written aside and moved into
 * place, so a failed download leaves no half file.
 */
final class Downloads {
  private Downloads() {}

  /** {@code GET /jobs/artifacts/{id}}: the task's stored artifacts. */
  static JsonNode list(Api api, String id) {
    return api.get("/jobs/artifacts/" + ClientCommand.seg(id));
  }

  /** Downloads every stored artifact of the listing into {@code dir}; returns the files written. */
  static List<Path> fetch(Api api, JsonNode listing, Path dir) {
    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CliException(
          Exit.USAGE, "cannot create " + dir + " (" + e.getClass().getSimpleName() + ")");
    }
    for (JsonNode a : listing.path("artifacts")) {
      String name = safeName(a.path("name").asText(""));
      String href = a.path("href").asText("");
      if (href.isEmpty()) {
        continue; // known by name only (a sim output): nothing stored to fetch
      }
      written.add(save(api, href, dir.resolve(name), a.path("sha256").asText("")));
      String prov = a.path("provenance_href").asText("");
      if (!prov.isEmpty()) {
        written.add(save(api, prov, dir.resolve(name + ".prov.json"), ""));
      }
    }
    return written;
  }

  /** A name from the service, cut to its last path segment so it cannot leave the folder. */
  static String safeName(String name) {
    String n = name.replace('\\', '/');
    n = n.substring(n.lastIndexOf('/') + 1);
    if (n.isBlank() || n.equals(".") || n.equals("..")) {
      return "artifact";
    }
    return n;
  }

  private static Path save(Api api, String href, Path target, String sha256) {
    Path tmp = null;
    try (InputStream in = api.stream(href)) {
      // a plain new file (the user's umask decides who may read it), moved into place when whole
      tmp =
          target.resolveSibling(
              "." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".part");
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      try (OutputStream out =
          new DigestOutputStream(
              Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW), md)) {
        in.transferTo(out);
      }
      String got = HexFormat.of().formatHex(md.digest());
      if (!sha256.isEmpty() && !sha256.equalsIgnoreCase(got)) {
        throw new CliException(
            Exit.SERVICE_ERROR,
            target.getFileName() + ": sha256 " + got + " is not the recorded " + sha256);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
      return target;
    } catch (IOException e) {
      throw new CliException(
          Exit.UNREACHABLE,
          "download of "
              + target.getFileName()
              + " broke off ("
              + e.getClass().getSimpleName()
              + ")");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }
}

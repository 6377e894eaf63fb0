package io.comfyvn.compute.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A task's log as text (ComfyVN's {@code GET /jobs/logs/{id}}): the file its {@code logs_path}
 * names when the service wrote it (a {@code .log} under {@code data/remote/}, where provider
 * bootstrap runs keep theirs), else its {@code logs} lines. A {@code logs_path} anywhere else is
 * ignored, so a path set by a caller can never read another file of the home (the secrets file, the
 * database).
 */
public final class TaskLogs {
  /** The most of a log file returned: its last 1 MiB. */
  static final int MAX_BYTES = 1 << 20;

  private final Path root;

  public TaskLogs(Path home) {
    this.root = home.toAbsolutePath().normalize().resolve("data/remote");
  }

  /** The log of a task with these details, when it has one. */
  public Optional<String> text(JsonNode details) {
    Optional<String> file = file(details.path("logs_path").asText("")).flatMap(TaskLogs::tail);
    if (file.isPresent()) {
      return file;
    }
    JsonNode lines = details.path("logs");
    if (!lines.isArray() || lines.isEmpty()) {
      return Optional.empty();
    }
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l.asText()).append('\n'));
    return Optional.of(sb.toString());
  }

  /** The file a recorded path names, when it is a service-written log. */
  Optional<Path> file(String recorded) {
    if (recorded.isBlank() || !recorded.endsWith(".log")) {
      return Optional.empty();
    }
    Path home = root.getParent().getParent();
    Path p = home.resolve(recorded).normalize();
    if (!p.startsWith(root) || !Files.isRegularFile(p)) {
      return Optional.empty();
    }
    try {
      // a link inside data/remote must not lead out of it
      return p.toRealPath().startsWith(root.toRealPath()) ? Optional.of(p) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> tail(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      long size = Files.size(p);
      if (size > MAX_BYTES) {
        in.skipNBytes(size - MAX_BYTES);
      }
      return Optional.of(new String(in.readNBytes(MAX_BYTES), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}

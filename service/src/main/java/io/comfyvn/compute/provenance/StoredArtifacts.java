package io.comfyvn.compute.provenance;

import io.comfyvn.compute.tasks.Artifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the files behind a task's artifacts under {@code data/artifacts/} (or {@code
 * artifacts.dir}): only a recorded path that stays inside that folder and names a regular file is
 * ever opened, so a path in a task can never point the service at another file.
 */
public final class StoredArtifacts {
  private final Path root;
  private final Path home;

  public StoredArtifacts(Path home) {
    this(home, null);
  }

  /**
   * Files under {@code root} ({@code artifacts.dir}, the folder {@link ArtifactStore} writes to
   * when several instances share one), or under the home's {@code data/artifacts/} when null.
   */
  public StoredArtifacts(Path home, Path root) {
    this.home = home.toAbsolutePath().normalize();
    this.root =
        root == null
            ? this.home.resolve(ArtifactStore.ARTIFACTS_DIR)
            : this.home.resolve(root).toAbsolutePath().normalize();
  }

  /** The stored file of an artifact, when it has one and it is still there. */
  public Optional<Path> file(Artifact a) {
    if (a.path() == null || a.path().isBlank()) {
      return Optional.empty();
    }
    Path p = home.resolve(a.path()).normalize();
    if (!p.startsWith(root) || !Files.isRegularFile(p)) {
      return Optional.empty();
    }
    return Optional.of(p);
  }

  /** The provenance sidecar ({@code <file>.prov.json}) of an artifact, when there is one. */
  public Optional<Path> provenance(Artifact a) {
    return file(a)
        .map(f -> f.resolveSibling(f.getFileName() + ArtifactStore.SIDECAR_SUFFIX))
        .filter(Files::isRegularFile);
  }
}

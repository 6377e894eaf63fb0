package io.comfyvn.compute.support;

import java.nio.file.Path;

/**
 * The repository's root folder (the service's tests run in {@code service/}; docs, {@code bin/} and
 * {@code config/} are at the root). Maven sets {@code comfyvn.repo.root}; without it the parent of
 * the working folder.
 */
public final class Repo {
  private Repo() {}

  public static Path root() {
    return Path.of(System.getProperty("comfyvn.repo.root", "..")).toAbsolutePath().normalize();
  }

  /** A path under the root, e.g. {@code Repo.file("bin/comfyvn-compute")}. */
  public static Path file(String relative) {
    return root().resolve(relative);
  }
}

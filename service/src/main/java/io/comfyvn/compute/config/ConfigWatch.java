package io.comfyvn.compute.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-reads {@code config/comfyvn.json} when it changes and reports its problems. The service keeps
 * running on the settings it started with (a restart applies a change), so a file broken while it
 * runs changes nothing but is reported, as is a good change waiting for a restart.
 */
public final class ConfigWatch {
  private final Path home;
  private final Path file;
  private final ConfigLoader loader;
  private final AppConfig inEffect;
  private Stamp seen;
  private List<ConfigProblem> problems;

  /** The file's modification time and size; absent is {@code (-1, -1)}. */
  private record Stamp(long modified, long size) {}

  /**
   * @param home the home folder
   * @param loader reads and checks the file
   * @param atStart what the service started with
   */
  public ConfigWatch(Path home, ConfigLoader loader, ConfigLoader.Loaded atStart) {
    this.home = home;
    this.file = home.resolve(ConfigLoader.CONFIG_FILE);
    this.loader = loader;
    this.inEffect = atStart.config();
    this.seen = stamp();
    this.problems = atStart.problems();
  }

  /** The settings in effect: those of the start. */
  public AppConfig inEffect() {
    return inEffect;
  }

  /** The file's problems now (re-read when it changed), and whether it waits for a restart. */
  public synchronized List<ConfigProblem> problems() {
    Stamp now = stamp();
    if (!now.equals(seen)) {
      seen = now;
      ConfigLoader.Loaded read = loader.read(home);
      List<ConfigProblem> out = new ArrayList<>(read.problems());
      if (!read.errors().isEmpty()) {
        out.add(
            ConfigProblem.warning(
                file.toString(),
                "",
                "changed while the service runs and has errors: it keeps the settings it started"
                    + " with"));
      } else if (!read.config().raw().equals(inEffect.raw())) {
        out.add(
            ConfigProblem.warning(
                file.toString(),
                "",
                "changed since the service started: restart it to apply the change"));
      }
      problems = List.copyOf(out);
    }
    return problems;
  }

  private Stamp stamp() {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime().toMillis(), a.size());
    } catch (NoSuchFileException e) {
      return new Stamp(-1, -1);
    } catch (IOException e) {
      return new Stamp(-2, -2);
    }
  }
}

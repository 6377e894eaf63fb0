package io.comfyvn.compute.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A service home folder in a temp dir: writes config and secrets files for a test. */
public final class TestHome {
  private final Path root;

  public TestHome(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** Writes {@code config/comfyvn.json}. */
  public TestHome config(String json) {
    return write("config/comfyvn.json", json);
  }

  /** Turns the public GPU feature flag on or off. */
  public TestHome flag(boolean on) {
    return config("{\"features\": {\"enable_public_gpu_adapters\": " + on + "}}");
  }

  /** Writes {@code config/comfyvn.secrets.json}. */
  public TestHome secrets(String json) {
    return write("config/comfyvn.secrets.json", json);
  }

  /** Secrets for all four providers in the work order's layout, each value prefixed. */
  public TestHome allSecrets(String prefix) {
    return secrets(
        "{\"runpod\": {\"api_key\": \""
            + prefix
            + "-rp\"}, \"huggingface\": {\"api_key\": \""
            + prefix
            + "-hf\"}, \"replicate\": {\"api_token\": \""
            + prefix
            + "-r8\"}, \"modal\": {\"token_id\": \""
            + prefix
            + "-wk\", \"token_secret\": \""
            + prefix
            + "-ws\"}}");
  }

  /** Reads a file under the home, or empty text when absent. */
  public String read(String relative) {
    Path p = root.resolve(relative);
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TestHome write(String relative, String text) {
    Path p = root.resolve(relative);
    try {
      Files.createDirectories(p.getParent());
      Files.writeString(p, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }
}

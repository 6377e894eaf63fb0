package io.comfyvn.compute.fakes;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.ImageIO;

/**
 * Small deterministic PNGs standing in for generated images: the same prompt, seed and index always
 * give the same bytes. Only the recipe is stored per file and the pixels are drawn when fetched, so
 * thousands of finished jobs cost almost no memory.
 */
final class FakeImages {
  private static final int SIZE = 64;

  record Recipe(String prompt, long seed, int index) {}

  private final Map<String, Recipe> files = new ConcurrentHashMap<>();

  static {
    // Pixels only, never a display: keep AWT from looking for one on a desktop or CI box.
    System.setProperty("java.awt.headless", "true");
  }

  /** Registers a file name served at {@code /files/<name>}. */
  void register(String name, Recipe recipe) {
    files.put(name, recipe);
  }

  /** The PNG bytes of a registered file, or null. */
  byte[] file(String name) {
    Recipe recipe = files.get(name);
    return recipe == null ? null : png(recipe);
  }

  static byte[] png(Recipe recipe) {
    byte[] h = digest(recipe.prompt() + "\u0000" + recipe.seed() + "\u0000" + recipe.index());
    BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int cell = ((x / 8) + (y / 8) * 8) % h.length;
        int r = (h[0] & 0xff) * x / SIZE + (h[cell] & 0x3f);
        int g = (h[1] & 0xff) * y / SIZE + (h[(cell + 7) % h.length] & 0x3f);
        int b = (h[2] & 0xff) * (x + y) / (2 * SIZE) + (h[(cell + 13) % h.length] & 0x3f);
        img.setRGB(x, y, (Math.min(r, 255) << 16) | (Math.min(g, 255) << 8) | Math.min(b, 255));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A stable seed for a prompt when the input gives none. */
  static long seedFor(String prompt) {
    byte[] h = digest(prompt);
    long seed = 0;
    for (int i = 0; i < 4; i++) {
      seed = (seed << 8) | (h[i] & 0xff);
    }
    return seed;
  }

  private static byte[] digest(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

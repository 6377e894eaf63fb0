package io.comfyvn.compute.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.TestGraphs;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import javax.imageio.ImageIO;

/**
 * The workflow job the live tests send to every provider: the two graphs of {@link TestGraphs}
 * (SDXL img2img reading {@value #INPUT}, and Wan text-to-video), the input image, the submit
 * request with seed {@value #SEED}, and the readers of what comes back (hashes, sidecars).
 */
public final class WorkflowFixture {
  /** The seed every request carries. */
  public static final long SEED = 42;

  /** The file name the img2img graph's LoadImage reads. */
  public static final String INPUT = "castle_sketch.png";

  private WorkflowFixture() {}

  /** SDXL image-to-image reading {@value #INPUT}, scaled to 1024x1024, one SaveImage (a copy). */
  public static ObjectNode sdxlImg2Img() {
    return TestGraphs.sdxlImg2Img();
  }

  /** Wan 2.1 text-to-video: SaveAnimatedWEBP and SaveVideo (mp4), no input file (a copy). */
  public static ObjectNode wanVideo() {
    return TestGraphs.wanVideo();
  }

  /** A small PNG the graph's LoadImage reads: a gradient, so its hash is its own. */
  public static byte[] sketch() {
    BufferedImage img = new BufferedImage(16, 12, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 16; x++) {
      for (int y = 0; y < 12; y++) {
        img.setRGB(x, y, (x * 16) << 16 | (y * 20) << 8 | 0x40);
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

  /**
   * A square PNG whose every pixel differs (it hardly compresses), as base64: a large {@code side}
   * makes a large file, e.g. an inline input over what a task keeps.
   */
  public static String noisyPngBase64(int side) {
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < side; x++) {
      for (int y = 0; y < side; y++) {
        img.setRGB(x, y, (int) ((x * 2654435761L ^ y * 40503L) & 0xFFFFFF));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  /**
   * A submit request: this provider, seed {@value #SEED}, the graph, and (unless {@code png} is
   * null) the image as {@value #INPUT}, sent as a data URL.
   */
  public static ObjectNode request(String provider, ObjectNode workflow, byte[] png) {
    return request(provider, workflow, png, true);
  }

  /** The same request with the image as bare base64 (the other inline form a file may take). */
  public static ObjectNode requestBase64(String provider, ObjectNode workflow, byte[] png) {
    return request(provider, workflow, png, false);
  }

  private static ObjectNode request(
      String provider, ObjectNode workflow, byte[] png, boolean dataUrl) {
    ObjectNode r = Json.mapper().createObjectNode().put("provider", provider).put("seed", SEED);
    ObjectNode job = r.putObject("job");
    job.set("workflow", workflow);
    if (png != null) {
      String b64 = Base64.getEncoder().encodeToString(png);
      job.putObject("inputs").put(INPUT, dataUrl ? "data:image/png;base64," + b64 : b64);
    }
    return r;
  }

  /**
   * The workflow job the service reads from a request of {@link #request}: its {@code graph()} is
   * what every provider must be sent (seeds written in), its hash the sidecars' {@code
   * workflow_hash}.
   */
  public static WorkflowJob expected(ObjectNode request) {
    return WorkflowJobs.read(request.with("job"), SEED, Limits.DEFAULT).orElseThrow();
  }

  /** Hex SHA-256. */
  public static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * A done task's outputs are exactly these media types, and each is stored whole under {@code
   * home} with its {@code .prov.json} sidecar beside it.
   */
  public static void assertStoredWithSidecars(JsonNode done, Path home, String... mimes) {
    assertThat(done.get("artifacts")).as(done.toString()).hasSize(mimes.length);
    assertThat(done.get("artifacts").findValuesAsText("mime")).containsExactlyInAnyOrder(mimes);
    for (JsonNode a : done.get("artifacts")) {
      Path file = home.resolve(a.get("path").asText());
      try {
        assertThat(Files.size(file)).isEqualTo(a.get("bytes").asLong()).isPositive();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      assertThat(file.resolveSibling(file.getFileName() + ".prov.json")).exists();
    }
  }

  /** The {@code provenance} object of a stored output's {@code <file>.prov.json} sidecar. */
  public static JsonNode provenance(Path file) {
    try {
      return Json.mapper()
          .readTree(file.resolveSibling(file.getFileName() + ".prov.json").toFile())
          .get("provenance");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

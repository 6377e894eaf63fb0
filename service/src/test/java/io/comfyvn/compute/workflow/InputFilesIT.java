package io.comfyvn.compute.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputFilesIT {
  private static final Limits LIMITS = Limits.DEFAULT;

  @TempDir Path home;

  static byte[] png() {
    java.awt.image.BufferedImage img =
        new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static WorkflowJob job(String file) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.set("workflow", TestGraphs.sdxlImg2Img());
    job.putObject("inputs").put("castle_sketch.png", file);
    return WorkflowJobs.read(job, 7, LIMITS).orElseThrow();
  }

  /** Sources that must never be asked. */
  private static final InputSources NONE =
      new InputSources() {
        @Override
        public byte[] local(String name, String path, long maxBytes) {
          throw new AssertionError("no local read expected");
        }

        @Override
        public byte[] remote(String name, URI url, long maxBytes) {
          throw new AssertionError("no fetch expected");
        }
      };

  @Test
  void inlineFilesAreRecognisedHashedAndKeptByName() throws Exception {
    byte[] png = png();
    List<InputFile> files =
        InputFiles.resolve(job(Base64.getEncoder().encodeToString(png)), NONE, LIMITS);
    assertThat(files).hasSize(1);
    InputFile f = files.get(0);
    assertThat(f.name()).isEqualTo("castle_sketch.png");
    assertThat(f.mime()).isEqualTo("image/png");
    assertThat(f.kind()).isEqualTo(MediaKind.IMAGE);
    assertThat(f.data()).isEqualTo(png);
    assertThat(f.sha256())
        .isEqualTo(
            HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(png)));
    assertThat(f.origin()).isEqualTo(InputSource.Origin.BASE64);
  }

  @Test
  void aFileThatIsNotWhatItsLoaderLoadsIsRefused() {
    byte[] wav = "RIFF\0\0\0\0WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThatThrownBy(
            () -> InputFiles.resolve(job(Base64.getEncoder().encodeToString(wav)), NONE, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(Problem.WRONG_KIND);
              assertThat(e.details()).containsEntry("node_id", "10");
              assertThat(e.getMessage()).contains("audio/wav").contains("LoadImage");
            });
    byte[] junk = {1, 2, 3, 4, 5, 6, 7, 8};
    assertThatThrownBy(
            () -> InputFiles.resolve(job(Base64.getEncoder().encodeToString(junk)), NONE, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class, e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_KIND));
  }

  @Test
  void pathsAreReadUnderTheDataFolderOnly() throws Exception {
    Path data = Files.createDirectories(home.resolve("data"));
    Files.createDirectories(data.resolve("inputs"));
    Files.write(data.resolve("inputs/sketch.png"), png());
    Files.writeString(home.resolve("secret.png"), "outside");
    DataAndWebInputs sources = new DataAndWebInputs(data, UrlPolicy.PUBLIC_HTTPS, h -> fail(h));
    InputFile f = InputFiles.resolve(job("data/inputs/sketch.png"), sources, LIMITS).get(0);
    assertThat(f.origin()).isEqualTo(InputSource.Origin.PATH);
    assertThat(f.mime()).isEqualTo("image/png");
    assertThatThrownBy(() -> InputFiles.resolve(job("inputs/none.png"), sources, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.FILE_NOT_FOUND));
    assertThatThrownBy(() -> InputFiles.resolve(job("inputs"), sources, LIMITS))
        .isInstanceOf(WorkflowException.class);
    Files.createSymbolicLink(data.resolve("inputs/link.png"), home.resolve("secret.png"));
    assertThatThrownBy(() -> InputFiles.resolve(job("inputs/link.png"), sources, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class, e -> assertThat(e.problem()).isEqualTo(Problem.PATH_ESCAPE));
  }

  @Test
  void aPathOverTheLimitIsRefusedWithoutReadingIt() throws Exception {
    Path data = Files.createDirectories(home.resolve("data"));
    Files.write(data.resolve("big.png"), new byte[64]);
    Limits small = new Limits(100, 1 << 20, 32, 64, 4);
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.set("workflow", TestGraphs.sdxlImg2Img());
    job.putObject("inputs").put("castle_sketch.png", "big.png");
    WorkflowJob w = WorkflowJobs.read(job, 7, small).orElseThrow();
    assertThatThrownBy(
            () ->
                InputFiles.resolve(
                    w, new DataAndWebInputs(data, UrlPolicy.PUBLIC_HTTPS, h -> fail(h)), small))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.INPUT_TOO_LARGE));
  }

  private static InetAddress[] fail(String host) {
    throw new AssertionError("no DNS lookup expected for " + host);
  }

  private static InetAddress[] at(String ip) throws java.net.UnknownHostException {
    return new InetAddress[] {InetAddress.getByName(ip)};
  }

  @Test
  void urlsToNonPublicAddressesAreRefusedBeforeAnyConnection() throws Exception {
    for (String ip :
        new String[] {
          "127.0.0.1", "10.1.2.3", "192.168.1.10", "169.254.169.254", "::1", "fd00::1"
        }) {
      DataAndWebInputs sources = new DataAndWebInputs(home, UrlPolicy.PUBLIC_HTTPS, h -> at(ip));
      assertThatThrownBy(
              () ->
                  InputFiles.resolve(
                      job("https://files.example.test/sketch.png?token=SECRET"), sources, LIMITS))
          .isInstanceOfSatisfying(
              WorkflowException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(Problem.URL_NOT_ALLOWED);
                assertThat(e.getMessage())
                    .contains("files.example.test/sketch.png")
                    .doesNotContain("SECRET");
              });
    }
    DataAndWebInputs https = new DataAndWebInputs(home, UrlPolicy.PUBLIC_HTTPS, h -> fail(h));
    assertThatThrownBy(
            () -> InputFiles.resolve(job("http://files.example.test/a.png"), https, LIMITS))
        .isInstanceOfSatisfying(
            WorkflowException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.URL_NOT_ALLOWED));
  }

  @Test
  void allowedUrlsAreFetchedWithoutCredentialsAndRedirectsAreCheckedAgain() throws Exception {
    byte[] png = png();
    List<String> headers = new ArrayList<>();
    AtomicInteger hits = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/sketch.png",
        ex -> {
          hits.incrementAndGet();
          ex.getRequestHeaders()
              .keySet()
              .forEach(k -> headers.add(k.toLowerCase(java.util.Locale.ROOT)));
          ex.sendResponseHeaders(200, png.length);
          ex.getResponseBody().write(png);
          ex.close();
        });
    server.createContext(
        "/moved",
        ex -> {
          ex.getResponseHeaders().add("Location", "/sketch.png");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    server.createContext(
        "/gone",
        ex -> {
          ex.sendResponseHeaders(404, -1);
          ex.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      DataAndWebInputs lan =
          new DataAndWebInputs(home, new UrlPolicy(true, true), h -> at("127.0.0.1"));
      InputFile f = InputFiles.resolve(job(base + "/moved"), lan, LIMITS).get(0);
      assertThat(f.data()).isEqualTo(png);
      assertThat(f.origin()).isEqualTo(InputSource.Origin.URL);
      assertThat(headers).doesNotContain("authorization", "cookie");
      assertThatThrownBy(() -> InputFiles.resolve(job(base + "/gone"), lan, LIMITS))
          .isInstanceOfSatisfying(
              WorkflowException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(Problem.FETCH_FAILED);
                assertThat(e.getMessage()).contains("HTTP 404");
              });
      // the same server behind the public-only policy: refused, and never asked
      int before = hits.get();
      DataAndWebInputs strict =
          new DataAndWebInputs(home, new UrlPolicy(true, false), h -> at("127.0.0.1"));
      assertThatThrownBy(() -> InputFiles.resolve(job(base + "/sketch.png"), strict, LIMITS))
          .isInstanceOf(WorkflowException.class);
      assertThat(hits.get()).isEqualTo(before);
      Limits small = new Limits(100, 1 << 20, 16, 32, 4);
      ObjectNode big = JsonNodeFactory.instance.objectNode();
      big.set("workflow", TestGraphs.sdxlImg2Img());
      big.putObject("inputs").put("castle_sketch.png", base + "/sketch.png");
      assertThatThrownBy(
              () -> InputFiles.resolve(WorkflowJobs.read(big, 1, small).orElseThrow(), lan, small))
          .isInstanceOfSatisfying(
              WorkflowException.class,
              e -> assertThat(e.problem()).isEqualTo(Problem.INPUT_TOO_LARGE));
    } finally {
      server.stop(0);
    }
  }
}

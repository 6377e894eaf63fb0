package io.comfyvn.compute.provenance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs on disk with their provenance sidecars, fetched through a fetcher the test holds. */
class ArtifactStoreTest {
  @TempDir Path home;

  private static final byte[] PNG = {
    (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'
  };
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
  private final List<URI> fetched = new ArrayList<>();

  private ArtifactStore store(ArtifactStore.Fetcher fetcher) {
    return new ArtifactStore(home, Json.mapper(), clock, "9.9.9", fetcher);
  }

  private ArtifactStore store() {
    return store(
        uri -> {
          synchronized (fetched) {
            fetched.add(uri);
          }
          if (uri.getPath().endsWith("missing.png")) {
            throw new IOException("HTTP 404 fetching " + uri.getPath());
          }
          return new ArtifactStore.Fetched(PNG, "image/png");
        });
  }

  private static final ArtifactStore.Origin ORIGIN =
      new ArtifactStore.Origin(
          "task-1", "runpod", "rp-1", 42, "abc123", "hero", 0.0123, "2026-12-01T11:59:00Z");

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void eachOutputIsStoredWithItsProvenance() throws Exception {
    String b64 = Base64.getEncoder().encodeToString(PNG);
    ArtifactStore.Result r =
        store()
            .save(
                ORIGIN,
                List.of(
                    new ArtifactStore.Download(
                        "from-url.png", "https://cdn.test/x/from-url.png", null, null),
                    new ArtifactStore.Download(null, null, "data:image/png;base64," + b64, null),
                    new ArtifactStore.Download("inline.bin", null, b64, null)));
    assertThat(r.problems()).isEmpty();
    assertThat(r.saved())
        .extracting(ArtifactStore.Saved::name)
        .containsExactly("from-url.png", "output-2.png", "inline.bin");
    for (ArtifactStore.Saved s : r.saved()) {
      Path file = home.resolve(s.path());
      assertThat(Files.readAllBytes(file)).isEqualTo(PNG);
      assertThat(s.sha256()).isEqualTo(sha256(PNG));
      assertThat(s.bytes()).isEqualTo(PNG.length);
      assertThat(s.path()).startsWith("data/artifacts/task-1/");
    }
    assertThat(r.saved().get(2).mime()).isEqualTo("image/png"); // sniffed

    JsonNode p =
        Json.mapper()
            .readTree(home.resolve("data/artifacts/task-1/from-url.png.prov.json").toFile())
            .path("provenance");
    assertThat(p.path("tool").asText()).isEqualTo("comfyvn-compute");
    assertThat(p.path("version").asText()).isEqualTo("9.9.9");
    assertThat(p.path("provider").asText()).isEqualTo("runpod");
    assertThat(p.path("provider_job_id").asText()).isEqualTo("rp-1");
    assertThat(p.path("task_id").asText()).isEqualTo("task-1");
    assertThat(p.path("seed").asLong()).isEqualTo(42);
    assertThat(p.path("workflow_hash").asText()).isEqualTo("abc123");
    assertThat(p.path("pov").asText()).isEqualTo("hero");
    assertThat(p.path("sha256").asText()).isEqualTo(sha256(PNG));
    assertThat(p.path("source_url").asText()).isEqualTo("https://cdn.test/x/from-url.png");
    assertThat(p.path("cost_usd").asDouble()).isEqualTo(0.0123);
    assertThat(p.path("stored_at").asText()).isEqualTo("2026-12-01T12:00:00Z");
    assertThat(p.path("submitted_at").asText()).isEqualTo("2026-12-01T11:59:00Z");
    assertThat(fetched).containsExactly(URI.create("https://cdn.test/x/from-url.png"));
  }

  @Test
  void namesStayInsideTheTasksFolderAndBadOutputsAreReportedNotFatal() throws Exception {
    ArtifactStore.Result r =
        store()
            .save(
                new ArtifactStore.Origin("../../escape", "runpod", "j", 1, "h", null, null, "t"),
                List.of(
                    new ArtifactStore.Download(
                        "../../../etc/passwd", null, Base64.getEncoder().encodeToString(PNG), null),
                    new ArtifactStore.Download(null, "file:///etc/passwd", null, null),
                    new ArtifactStore.Download(null, "https://cdn.test/missing.png", null, null),
                    new ArtifactStore.Download(null, null, "data:image/png;base64", null),
                    new ArtifactStore.Download(null, null, null, null)));
    assertThat(r.saved()).hasSize(1);
    Path saved = home.resolve(r.saved().get(0).path()).normalize();
    assertThat(saved.startsWith(home.resolve("data/artifacts"))).isTrue();
    assertThat(saved.getFileName().toString()).doesNotContain("/").doesNotStartWith(".");
    assertThat(r.problems())
        .hasSize(4)
        .anySatisfy(p -> assertThat(p).contains("only http and https"))
        .anySatisfy(p -> assertThat(p).contains("HTTP 404"))
        .anySatisfy(p -> assertThat(p).contains("no URL and no data"));
    // file:// was refused before any fetch
    assertThat(fetched).containsExactly(URI.create("https://cdn.test/missing.png"));
  }

  @Test
  void twoSavesOfTheSameFileAtOnceLeaveOneWholeFile() throws Exception {
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    CyclicBarrier together = new CyclicBarrier(2);
    ArtifactStore s =
        store(
            uri -> {
              try {
                together.await();
              } catch (Exception e) {
                throw new IOException(e);
              }
              return new ArtifactStore.Fetched(big, "application/octet-stream");
            });
    List<ArtifactStore.Result> results = new ArrayList<>();
    Runnable save =
        () -> {
          ArtifactStore.Result r =
              s.save(
                  ORIGIN,
                  List.of(
                      new ArtifactStore.Download(
                          "same.bin", "https://cdn.test/same.bin", null, null)));
          synchronized (results) {
            results.add(r);
          }
        };
    Thread a = new Thread(save);
    Thread b = new Thread(save);
    a.start();
    b.start();
    a.join();
    b.join();
    assertThat(results).allSatisfy(r -> assertThat(r.problems()).isEmpty());
    Path dir = home.resolve("data/artifacts/task-1");
    assertThat(Files.readAllBytes(dir.resolve("same.bin"))).isEqualTo(big);
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("same.bin", "same.bin.prov.json");
    }
    assertThat(
            new String(
                Files.readAllBytes(dir.resolve("same.bin.prov.json")), StandardCharsets.UTF_8))
        .contains(sha256(big));
  }
}

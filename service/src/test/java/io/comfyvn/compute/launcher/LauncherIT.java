package io.comfyvn.compute.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Repo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/comfyvn-compute}, the launcher, in a copy of the repository layout (root pom, {@code
 * service/}, {@code fakes/}, {@code config/defaults}) with a stand-in {@code mvn} that counts
 * builds and writes the real jars the way Maven does (in place).
 */
class LauncherIT {
  private static final Path JAR = Path.of("target", "comfyvn-compute.jar").toAbsolutePath();
  private static final Path FAKES_JAR = Repo.file("fakes/target/comfyvn-fakes.jar");
  @TempDir Path root;
  private Path builds;

  @BeforeEach
  void layout() throws Exception {
    assertThat(JAR).as("run after 'package'").exists();
    assertThat(FAKES_JAR).as("run after 'package'").exists();
    Files.createDirectories(root.resolve("bin"));
    Files.copy(Repo.file("bin/comfyvn-compute"), root.resolve("bin/comfyvn-compute"));
    Files.writeString(root.resolve("pom.xml"), "<project/>");
    for (String module : List.of("service", "fakes")) {
      Files.createDirectories(root.resolve(module + "/src/main/java"));
      Files.writeString(root.resolve(module + "/pom.xml"), "<project/>");
    }
    Files.writeString(root.resolve("service/src/main/java/A.java"), "class A {}");
    Files.writeString(root.resolve("fakes/src/main/java/F.java"), "class F {}");
    Files.createDirectories(root.resolve("config/defaults"));
    Files.writeString(root.resolve("config/defaults/comfyvn.json"), "{}");
    builds = root.resolve("builds.txt");
    Path fakeBin = Files.createDirectories(root.resolve("fakebin"));
    Path variant = root.resolve("variant.jar");
    reordered(JAR, variant);
    // Like Maven: a module's jar is rewritten in place (same file, truncated), and only when it is
    // missing or the module's classes or resources changed; an up-to-date module's jar, or one
    // whose pom alone changed, is left as it was. A rebuild writes a service jar whose entries all
    // moved, as a real change of sources does. Each build's arguments go on a line of builds.txt.
    String serviceJar = "service/target/comfyvn-compute.jar";
    String fakesJar = "fakes/target/comfyvn-fakes.jar";
    Files.writeString(
        fakeBin.resolve("mvn"),
        "#!/usr/bin/env bash\n"
            + "echo \"build $*\" >> '"
            + builds
            + "'\nmkdir -p service/target fakes/target\n"
            + "changed() { [ ! -f \"$1\" ] || [ -n \"$(find \"${@:2}\" -newer \"$1\" -print -quit)\" ]; }\n"
            + "if changed "
            + serviceJar
            + " service/src/main config/defaults; then\n"
            + "  if [ -f "
            + serviceJar
            + " ]; then src='"
            + variant
            + "'; else src='"
            + JAR
            + "'; fi\n  cat \"$src\" > "
            + serviceJar
            + "\nfi\n"
            + "if changed "
            + fakesJar
            + " fakes/src/main; then cat '"
            + FAKES_JAR
            + "' > "
            + fakesJar
            + "; fi\n");
    Files.setPosixFilePermissions(
        fakeBin.resolve("mvn"), PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(
        root.resolve("bin/comfyvn-compute"), PosixFilePermissions.fromString("rwx------"));
    age(
        root.resolve("pom.xml"),
        root.resolve("service/pom.xml"),
        root.resolve("fakes/pom.xml"),
        root.resolve("service/src/main/java/A.java"),
        root.resolve("fakes/src/main/java/F.java"),
        root.resolve("config/defaults/comfyvn.json"));
  }

  /** The same jar with its entries in reverse order: every offset changes. */
  private static void reordered(Path from, Path to) throws Exception {
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
        java.util.zip.ZipOutputStream out =
            new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
      List<? extends java.util.zip.ZipEntry> entries = java.util.Collections.list(in.entries());
      java.util.Collections.reverse(entries);
      for (java.util.zip.ZipEntry e : entries) {
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        try (var data = in.getInputStream(e)) {
          data.transferTo(out);
        }
        out.closeEntry();
      }
    }
  }

  /** Moves files an hour into the past, so anything written now is newer. */
  private static void age(Path... files) throws Exception {
    FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
    for (Path f : files) {
      Files.setLastModifiedTime(f, old);
    }
  }

  private ProcessBuilder launcher(String... args) {
    List<String> cmd =
        new java.util.ArrayList<>(List.of(root.resolve("bin/comfyvn-compute").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put(
        "PATH",
        root.resolve("fakebin")
            + ":"
            + Path.of(System.getProperty("java.home"), "bin")
            + ":"
            + env.getOrDefault("PATH", "/usr/bin:/bin"));
    return pb;
  }

  private String run(String... args) throws Exception {
    Process p = launcher(args).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private long buildCount() throws Exception {
    return Files.exists(builds) ? Files.readAllLines(builds).size() : 0;
  }

  /** The arguments of the last build, as the stand-in {@code mvn} recorded them. */
  private String lastBuild() throws Exception {
    List<String> lines = Files.readAllLines(builds);
    return lines.get(lines.size() - 1);
  }

  private static long buildingLines(String output) {
    return output.lines().filter(l -> l.startsWith("building ")).count();
  }

  @Test
  void eachJarIsJudgedByItsOwnModulesSourcesSoAnEditBuildsOnce() throws Exception {
    run("--version");
    assertThat(buildCount()).isEqualTo(1);
    assertThat(lastBuild()).contains("-pl service,fakes ");

    // Only a service source changes: Maven rewrites the service jar and leaves the fakes jar as
    // it was, older than that source. The next two starts build once, the service only.
    Files.writeString(root.resolve("service/src/main/java/A.java"), "class A { int x; }");
    String edited = run("--version") + run("--version") + run("--version");
    assertThat(buildingLines(edited)).as(edited).isEqualTo(1);
    assertThat(edited).contains("building " + root.resolve("service/target/comfyvn-compute.jar"));
    assertThat(buildCount()).isEqualTo(2);
    assertThat(lastBuild()).contains("-pl service ").doesNotContain("fakes");

    // A fakes source rebuilds the fakes (once), not the service.
    Files.writeString(root.resolve("fakes/src/main/java/F.java"), "class F { int x; }");
    String fakesEdited = run("--version") + run("fake-providers", "--help") + run("--version");
    assertThat(buildingLines(fakesEdited)).as(fakesEdited).isEqualTo(1);
    assertThat(buildCount()).isEqualTo(3);
    assertThat(lastBuild()).contains("-pl fakes ").doesNotContain("service");

    // The root pom is a source of both; Maven rewrites neither jar for a pom alone, and the
    // launcher still builds once, not on every start.
    Files.writeString(root.resolve("pom.xml"), "<project></project>");
    String pomEdited = run("--version") + run("--version");
    assertThat(buildingLines(pomEdited)).as(pomEdited).isEqualTo(1);
    assertThat(buildCount()).isEqualTo(4);
    assertThat(lastBuild()).contains("-pl service,fakes ");
  }

  @Test
  void buildsOnlyFromSourcesNeverFromSettings() throws Exception {
    assertThat(run("--version")).contains("comfyvn-compute ");
    assertThat(buildCount()).isEqualTo(1);
    assertThat(root.resolve("target/run/comfyvn-compute.jar")).exists();

    // A user's settings in the repository folder (or anywhere) are not a reason to rebuild.
    Files.writeString(root.resolve("config/comfyvn.json"), "{\"features\":{}}");
    Files.writeString(root.resolve("config/comfyvn.secrets.json"), "{}");
    run("--version");
    assertThat(buildCount()).isEqualTo(1);

    // A changed source is.
    Files.writeString(root.resolve("service/src/main/java/A.java"), "class A { int x; }");
    run("--version");
    assertThat(buildCount()).isEqualTo(2);
    // Shipped defaults are sources too.
    Files.writeString(root.resolve("config/defaults/comfyvn.json"), "{\"a\":1}");
    run("--version");
    assertThat(buildCount()).isEqualTo(3);
    // So are the fakes' sources and a module's pom.
    Files.writeString(root.resolve("fakes/src/main/java/F.java"), "class F { int x; }");
    run("--version");
    assertThat(buildCount()).isEqualTo(4);
    Files.writeString(root.resolve("service/pom.xml"), "<project></project>");
    run("--version");
    assertThat(buildCount()).isEqualTo(5);
  }

  @Test
  void fakeProvidersRunsTheFakesJarAndEverythingElseTheServiceJar() throws Exception {
    // (the first run also prints "building ..." on stderr, merged here)
    assertThat(run("fake-providers", "--help"))
        .contains("Usage: comfyvn-compute fake-providers", "--write-config");
    assertThat(run("help", "fake-providers")).startsWith("Usage: comfyvn-compute fake-providers");
    assertThat(root.resolve("target/run/comfyvn-fakes.jar")).exists();
    assertThat(buildCount()).isEqualTo(1);
    // The service's help names the command and says where it lives.
    assertThat(run("help")).contains("submit", "fake-providers", "fakes/target/comfyvn-fakes.jar");
    assertThat(root.resolve("target/run/comfyvn-compute.jar")).exists();
    assertThat(buildCount()).isEqualTo(1);
  }

  @Test
  void aRebuildDoesNotReplaceTheJarUnderARunningService(@TempDir Path home) throws Exception {
    Path errors = root.resolve("serve.err");
    Process serve =
        launcher("serve", "--port", "0", "--home", home.toString())
            .redirectError(errors.toFile())
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertThat(line).startsWith("listening on http://127.0.0.1:");
      String base = line.substring("listening on ".length());

      // A source changes; the next command rebuilds (in place) and refreshes its copy.
      Files.writeString(root.resolve("service/src/main/java/A.java"), "class A { int y; }");
      run("--version");
      assertThat(buildCount()).isEqualTo(2);

      // The running service still loads classes it had not used yet, and answers.
      HttpClient http = HttpClient.newHttpClient();
      for (String path : List.of("/health", "/api/providers/gpu/providers", "/jobs/all")) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(java.time.Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
      }
    } finally {
      serve.destroy();
      boolean stopped = serve.waitFor(20, TimeUnit.SECONDS);
      if (!stopped) {
        serve.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      assertThat(stopped).as("stops on SIGTERM").isTrue();
    }
    String err = Files.readString(errors);
    assertThat(err).doesNotContain("NoClassDefFoundError", "ClassNotFoundException");
  }
}

package io.comfyvn.compute.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.metrics.ServiceMetrics;
import io.comfyvn.compute.status.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code logs/providers_gpu.log} rolls by size and keeps a bounded number of files. */
class ProviderCallLogTest {
  private static final ObjectMapper M = Json.mapper();
  @TempDir Path dir;

  private static long folderBytes(Path logs) throws IOException {
    try (Stream<Path> files = Files.list(logs)) {
      return files.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static List<String> names(Path logs) throws IOException {
    try (Stream<Path> files = Files.list(logs)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFloodOfCallsKeepsTheFolderUnderTheCap() throws IOException {
    Path home = dir.resolve("home with spaces");
    Files.createDirectories(home.resolve("logs"));
    ProviderCallLog.Rolling rolling = new ProviderCallLog.Rolling(16 * 1024, 4);
    int longest = 0;
    try (ProviderCallLog log = new ProviderCallLog(home, "DEBUG", new ServiceMetrics(), rolling)) {
      // 20,000 calls of ~300 bytes: about 6 MB through a 64 KB cap.
      for (int i = 0; i < 20_000; i++) {
        log.call(
            "submit",
            "runpod",
            Mode.DRY_RUN,
            "task-" + i,
            "mock-runpod-" + i,
            "ok",
            1234,
            java.util.Map.of("prompt", "a lighthouse at dusk " + "x".repeat(i % 97)));
      }
      for (String line : Files.readAllLines(home.resolve(ProviderCallLog.LOG_FILE))) {
        longest = Math.max(longest, line.length() + 1);
      }
    }
    Path logs = home.resolve("logs");
    assertThat(names(logs))
        .containsExactly(
            "providers_gpu.1.log",
            "providers_gpu.2.log",
            "providers_gpu.3.log",
            "providers_gpu.log");
    // Each file stops at the first line that reaches the size: a line's overshoot at most.
    assertThat(folderBytes(logs)).isLessThanOrEqualTo(rolling.capBytes() + 4L * longest);
    for (String f : names(logs)) {
      assertThat(logs.resolve(f).toFile().length()).isLessThan(16 * 1024 + longest + 1);
    }
    // The newest call is in the active file, the one before it in the newest rolled file.
    List<String> active = Files.readAllLines(home.resolve(ProviderCallLog.LOG_FILE));
    JsonNode last = M.readTree(active.get(active.size() - 1));
    assertThat(last.get("task_id").asText()).isEqualTo("task-19999");
    List<String> rolled = Files.readAllLines(logs.resolve("providers_gpu.1.log"));
    long firstActive =
        Long.parseLong(M.readTree(active.get(0)).get("task_id").asText().substring(5));
    long lastRolled =
        Long.parseLong(
            M.readTree(rolled.get(rolled.size() - 1)).get("task_id").asText().substring(5));
    assertThat(lastRolled).isEqualTo(firstActive - 1);
  }

  @Test
  void aRestartAppendsAndKeepsRolling() throws IOException {
    ProviderCallLog.Rolling rolling = new ProviderCallLog.Rolling(4 * 1024, 2);
    for (int run = 0; run < 3; run++) {
      try (ProviderCallLog log = new ProviderCallLog(dir, null, new ServiceMetrics(), rolling)) {
        for (int i = 0; i < 200; i++) {
          log.call("poll", "replicate", Mode.LIVE, "t" + run + "-" + i, null, "ok", 10, null);
        }
      }
    }
    assertThat(names(dir.resolve("logs")))
        .containsExactly("providers_gpu.1.log", "providers_gpu.log");
    assertThat(folderBytes(dir.resolve("logs"))).isLessThan(2 * (4 * 1024 + 400));
    List<String> active = Files.readAllLines(dir.resolve(ProviderCallLog.LOG_FILE));
    assertThat(active.get(active.size() - 1)).contains("t2-199");
  }

  @Test
  void aHomePathWithAPercentSignIsRefusedNotRolledIntoTheWrongFiles() throws IOException {
    // Logback would read "%d" in the path as a date pattern; there is no escape for it.
    Path home = dir.resolve("renders 100%d");
    Files.createDirectories(home.resolve("logs"));
    assertThatThrownBy(
            () ->
                new ProviderCallLog(
                    home, null, new ServiceMetrics(), ProviderCallLog.Rolling.DEFAULTS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'%'");
  }

  @Test
  void settingsComeFromConfigWithLogbackSizes() throws IOException {
    assertThat(ProviderCallLog.Rolling.fromJson(M.readTree("{}")))
        .isEqualTo(ProviderCallLog.Rolling.DEFAULTS);
    assertThat(ProviderCallLog.Rolling.DEFAULTS.capBytes()).isEqualTo(50L * 1024 * 1024);
    assertThat(
            ProviderCallLog.Rolling.fromJson(
                M.readTree("{\"max_file_size\":\"512KB\",\"max_files\":3}")))
        .isEqualTo(new ProviderCallLog.Rolling(512 * 1024, 3));
    assertThat(ProviderCallLog.Rolling.fromJson(M.readTree("{\"max_file_size\":2048}")))
        .isEqualTo(new ProviderCallLog.Rolling(2048, 5));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"max_file_size\":\"ten megs\"}",
        "{\"max_file_size\":true}",
        "{\"max_file_size\":\"100\"}",
        "{\"max_files\":1}",
        "{\"max_files\":22}",
        "{\"max_files\":\"5\"}",
        "{\"max_files\":2.5}"
      })
  void unusableSettingsNameTheKey(String json) {
    assertThatThrownBy(() -> ProviderCallLog.Rolling.fromJson(M.readTree(json)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("logs.providers_gpu.max_file");
  }
}

package io.comfyvn.compute.provenance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskLogsTest {
  @TempDir Path home;

  private static ObjectNode details(String logsPath) {
    ObjectNode d = Json.mapper().createObjectNode();
    d.put("logs_path", logsPath);
    d.putArray("logs").add("line one").add("line two");
    return d;
  }

  @Test
  void aServiceWrittenLogFileWinsOverTheLines() throws Exception {
    Path log =
        Files.createDirectories(home.resolve("data/remote/box/run1")).resolve("bootstrap.log");
    Files.writeString(log, "[t] started\n");
    assertThat(new TaskLogs(home).text(details("data/remote/box/run1/bootstrap.log")))
        .contains("[t] started\n");
  }

  @Test
  void anythingElseFallsBackToTheLinesAndALinkCannotLeadOut() throws Exception {
    Files.createDirectories(home.resolve("config"));
    Path secret = home.resolve("config/comfyvn.secrets.json");
    Files.writeString(secret, "{\"runpod\":{\"api_key\":\"SECRET\"}}");
    Path dir = Files.createDirectories(home.resolve("data/remote/x"));
    Files.createSymbolicLink(dir.resolve("evil.log"), secret);
    Files.writeString(dir.resolve("notes.txt"), "not a log");
    for (String p :
        new String[] {
          "config/comfyvn.secrets.json",
          "data/remote/../../config/comfyvn.secrets.json",
          "data/remote/x/evil.log",
          "data/remote/x/notes.txt",
          "data/remote/x/missing.log",
          secret.toString()
        }) {
      assertThat(new TaskLogs(home).text(details(p))).as(p).contains("line one\nline two\n");
    }
    ObjectNode none = Json.mapper().createObjectNode();
    assertThat(new TaskLogs(home).text(none)).isEmpty();
  }

  @Test
  void aHugeLogIsCutToItsLastMebibyte() throws Exception {
    Path log = Files.createDirectories(home.resolve("data/remote/b/r")).resolve("bootstrap.log");
    byte[] big = new byte[TaskLogs.MAX_BYTES + 10];
    java.util.Arrays.fill(big, (byte) 'a');
    big[big.length - 1] = 'z';
    Files.write(log, big);
    String text = new TaskLogs(home).text(details("data/remote/b/r/bootstrap.log")).orElseThrow();
    assertThat(text).hasSize(TaskLogs.MAX_BYTES).endsWith("z");
  }
}

package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProgressTest {
  private static JsonNode poll(String status, double progress, String providerStatus)
      throws Exception {
    return Json.mapper()
        .readTree(
            "{\"status\":\""
                + status
                + "\",\"progress\":"
                + progress
                + (providerStatus == null ? "" : ",\"provider_status\":\"" + providerStatus + "\"")
                + "}");
  }

  @ParameterizedTest
  @CsvSource({
    "0.0, [------------------------------]   0% queued",
    "0.5, [###############---------------]  50% queued",
    "1.0, [##############################] 100% queued",
    "2.5, [##############################] 100% queued",
    "-1,  [------------------------------]   0% queued"
  })
  void theBarIsThirtyCellsWide(double p, String expected) throws Exception {
    assertThat(Progress.bar(Progress.progress(poll("queued", p, null)), "queued", ""))
        .isEqualTo(expected);
  }

  @Test
  void aTerminalGetsOneLineRedrawnAndEndedOnce() throws Exception {
    StringWriter s = new StringWriter();
    Progress p = new Progress(Progress.Style.BAR, new PrintWriter(s));
    p.update(poll("running", 0.2, "processing"));
    p.update(poll("done", 1, null));
    p.finish();
    p.finish();
    String first = "[######------------------------]  20% running (processing)";
    String second = "[##############################] 100% done";
    // the second draw blanks what is left of the longer first one
    assertThat(s.toString())
        .isEqualTo(
            "\r"
                + first
                + "\r"
                + second
                + " ".repeat(first.length() - second.length())
                + System.lineSeparator());
  }

  @Test
  void plainLinesOnlyWhenSomethingChangesByATenth() throws Exception {
    StringWriter s = new StringWriter();
    Progress p = new Progress(Progress.Style.PLAIN, new PrintWriter(s));
    for (double v : new double[] {0, 0.01, 0.05, 0.1, 0.19, 0.2}) {
      p.update(poll("running", v, null));
    }
    p.update(poll("done", 1, null));
    p.finish();
    assertThat(s.toString().lines())
        .containsExactly("running 0%", "running 10%", "running 20%", "done 100%");
  }

  @Test
  void autoPicksTheBarOnlyOnARealTerminal() {
    assertThat(Progress.Style.of("auto", true, "xterm")).isEqualTo(Progress.Style.BAR);
    assertThat(Progress.Style.of("auto", true, "dumb")).isEqualTo(Progress.Style.PLAIN);
    assertThat(Progress.Style.of("auto", false, "xterm")).isEqualTo(Progress.Style.PLAIN);
    assertThat(Progress.Style.of("NONE", true, null)).isEqualTo(Progress.Style.NONE);
    assertThatThrownBy(() -> Progress.Style.of("fancy", true, null))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exit()).isEqualTo(Exit.USAGE));
  }
}

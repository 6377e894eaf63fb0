package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.requestBase64;
import static io.comfyvn.compute.support.WorkflowFixture.sdxlImg2Img;
import static io.comfyvn.compute.support.WorkflowFixture.sha256;
import static io.comfyvn.compute.support.WorkflowFixture.sketch;
import static io.comfyvn.compute.support.WorkflowFixture.wanVideo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.support.Browser;
import io.comfyvn.compute.support.Server.Reply;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The Studio page's task detail and progress bar in headless Chromium, with live workflow jobs on
 * the fake self-hosted ComfyUI (fake clock: a job moves only when the test moves it): the row's bar
 * and "node n of m" arrive over {@code /jobs/ws} (the job was submitted by another client, so
 * nothing but the socket tells the page), the detail shows the timeline, the log, estimate vs.
 * actual, the image as a thumbnail that really loads, a video output as a {@code <video>} player, a
 * sound track as an {@code <audio>} player and an animated webp as an image, each with its
 * provenance sidecar; cancel interrupts a running job; a model the box lacks is said by name, and a
 * rate-limited submit says when to try again.
 */
class StudioTaskDetailLiveIT {
  @TempDir Path dir;

  private static Object script(WebDriver d, String js, Object... args) {
    return ((JavascriptExecutor) d).executeScript(js, args);
  }

  private static String text(WebDriver d, String selector) {
    return String.valueOf(
        script(
            d,
            "const r = document.querySelector(arguments[0]); return r ? r.innerText : '';",
            selector));
  }

  private static String submit(LiveHarness h, String body) {
    Reply sub = h.server.post("/api/providers/gpu/submit", body);
    assertThat(sub.status()).as(sub.body()).isEqualTo(200);
    return sub.json().get("task_id").asText();
  }

  private static void openTask(Browser browser, String task) {
    String row = "#jobs tbody tr[data-task='" + task + "']";
    browser.waiting().until(d -> !d.findElements(By.cssSelector(row + " button.link")).isEmpty());
    browser.driver().findElement(By.cssSelector(row + " button.link")).click();
    browser.waiting().until(d -> text(d, "#detail-id").startsWith(task));
  }

  @Test
  void progressArrivesOverTheSocketThenTheDetailShowsTheImageItsProvenanceAndTheTimeline()
      throws Exception {
    try (LiveHarness h = new LiveHarness(dir);
        Browser browser = new Browser(dir.resolve("chrome"), "studio-detail-image.png")) {
      ChromeDriver page = browser.driver();
      page.get(h.server.base() + "/");
      browser.waiting().until(d -> text(d, "#conn").contains("live updates"));
      byte[] png = sketch();
      String task = submit(h, requestBase64(FakeProviders.COMFYUI, sdxlImg2Img(), png).toString());
      String row = "#jobs tbody tr[data-task='" + task + "']";

      // the fake box holds the job at a node until the clock moves: the page shows that place
      JsonNode running =
          h.await(task, j -> j.path("progress_detail").path("nodes_done").asInt() > 0);
      // the clock stands still: the page's bar and place come to match the service's (the
      // tracker may still take in a node the box finished before the clock stopped)
      browser
          .waiting()
          .until(
              d -> {
                JsonNode now = h.poll(task);
                String place =
                    "node "
                        + now.at("/progress_detail/nodes_done").asInt()
                        + " of "
                        + now.at("/progress_detail/nodes_total").asInt();
                Object value =
                    script(
                        d,
                        "const p = document.querySelector(arguments[0] + ' progress');"
                            + " return p ? p.value : null;",
                        row);
                return value instanceof Number v
                    && v.doubleValue() == now.get("progress").asDouble()
                    && text(d, row).contains(place);
              });
      double shown =
          Double.parseDouble(
              page.findElement(By.cssSelector(row + " progress")).getAttribute("value"));
      assertThat(shown).isGreaterThan(0).isLessThan(1);
      assertThat(text(page, row)).containsPattern("node [1-9] of 9");
      assertThat(page.findElements(By.cssSelector(row + " [data-cancel]"))).hasSize(1);

      openTask(browser, task);
      // the page saw the task created (queued, sent) and then accepted: both have their times
      assertThat(text(page, "#detail-timeline li[data-step=sent]"))
          .startsWith("sent")
          .containsPattern("20\\d\\d-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");
      assertThat(text(page, "#detail-timeline li[data-step=accepted]"))
          .doesNotContain("not recorded");
      assertThat(page.findElement(By.cssSelector("#detail-timeline li[data-step=accepted]")))
          .satisfies(li -> assertThat(li.getAttribute("class")).contains("reached"));
      assertThat(text(page, "#detail-timeline li[data-step=accepted]"))
          .contains(running.get("id").asText());
      assertThat(text(page, "#detail-artifacts-empty"))
          .isEqualTo("No outputs yet: they appear here when the task is done.");

      JsonNode done = h.await(task, LiveHarness.status("done"));
      // the open detail follows the task: its image arrives without a click
      browser
          .waiting()
          .until(
              d ->
                  Boolean.TRUE.equals(
                      script(
                          d,
                          "const i = document.querySelector('#detail-artifacts img');"
                              + " return !!i && i.complete && i.naturalWidth > 0;")));
      WebElement img = page.findElement(By.cssSelector("#detail-artifacts img"));
      assertThat(img.getAttribute("src")).endsWith("/jobs/artifacts/" + task + "/0");
      assertThat(((Number) script(page, "return arguments[0].naturalWidth;", img)).intValue())
          .as("the thumbnail is the stored PNG itself")
          .isEqualTo(1024);
      assertThat(img.getAttribute("alt")).isEqualTo(done.at("/artifacts/0/name").asText());

      JsonNode prov =
          h.server.get("/jobs/artifacts/" + task + "/0/provenance").json().get("provenance");
      browser.waiting().until(d -> text(d, "#detail-artifacts dl").contains("workflow hash"));
      String provenance = text(page, "#detail-artifacts dl");
      assertThat(provenance)
          .contains(
              "ComfyUI native API",
              prov.get("workflow_hash").asText(),
              "42",
              "input castle_sketch.png",
              sha256(png));

      browser.waiting().until(d -> text(d, row).contains("done"));
      assertThat(text(page, row)).contains("100%").contains("live");
      assertThat(page.findElements(By.cssSelector(row + " [data-cancel]"))).isEmpty();
      browser
          .waiting()
          .until(d -> d.findElement(By.cssSelector("#detail-timeline li[data-step=done]")) != null);
      assertThat(text(page, "#detail-timeline li[data-step=running]"))
          .as("the page saw it start running")
          .doesNotContain("not recorded");
      assertThat(text(page, "#detail-timeline li[data-step=done]")).startsWith("done");
      assertThat(text(page, "#detail-cost tr[data-row=cost]"))
          .contains(usd(done.at("/estimate/usd").asDouble()));
      assertThat(text(page, "#detail-cost tr[data-row=seconds]"))
          .contains(Math.round(done.at("/estimate/seconds").asDouble()) + " s");
      // the finished live task's log (ComfyUI reports none of its own: the service's lines)
      browser.waiting().until(d -> text(d, "#detail-log").endsWith("Done"));
      Reply log = h.server.get("/jobs/logs/" + task);
      assertThat(log.status()).as(log.body()).isEqualTo(200);
      assertThat(log.body()).startsWith("Submitted to ").contains("Outputs: 1 stored");
      assertThat(text(page, "#detail-log")).isEqualTo(log.body().strip());
    }
  }

  /** What the page shows for an amount (compute.js {@code usd}). */
  private static String usd(double v) {
    return "$" + String.format(java.util.Locale.ROOT, v >= 1 ? "%.2f" : "%.4f", v);
  }

  @Test
  void aVideoPlaysInAVideoElementAudioInAnAudioElementAndTheAnimatedWebpIsAnImage()
      throws Exception {
    try (LiveHarness h = new LiveHarness(dir);
        Browser browser = new Browser(dir.resolve("chrome"), "studio-detail-video.png")) {
      ObjectNode wf = wanVideo();
      // and a sound track, saved by ComfyUI's SaveAudio (FLAC)
      wf.set(
          "60",
          Json.mapper()
              .readTree(
                  "{\"class_type\": \"SaveAudio\", \"inputs\": {\"filename_prefix\":"
                      + " \"ComfyVN\", \"audio\": [\"8\", 0]}}"));
      String task = submit(h, requestBase64(FakeProviders.COMFYUI, wf, null).toString());
      JsonNode done = h.await(task, LiveHarness.status("done"));
      ChromeDriver page = browser.driver();
      page.get(h.server.base() + "/");
      openTask(browser, task);
      browser
          .waiting()
          .until(d -> d.findElements(By.cssSelector("#detail-artifacts figure")).size() == 3);
      List<String> mimes = done.get("artifacts").findValuesAsText("mime");
      int video = mimes.indexOf("video/mp4");
      int webp = mimes.indexOf("image/webp");
      int flac = mimes.indexOf("audio/flac");
      assertThat(flac).as(mimes.toString()).isNotNegative();
      WebElement sound = page.findElement(By.cssSelector("#detail-artifacts audio"));
      assertThat(sound.getAttribute("src")).endsWith("/jobs/artifacts/" + task + "/" + flac);
      assertThat(sound.getAttribute("controls")).isNotNull();
      WebElement player = page.findElement(By.cssSelector("#detail-artifacts video"));
      assertThat(player.getAttribute("src")).endsWith("/jobs/artifacts/" + task + "/" + video);
      assertThat(player.getAttribute("controls")).isNotNull();
      WebElement still =
          page.findElement(By.cssSelector("#detail-artifacts figure[data-mime='image/webp'] img"));
      assertThat(still.getAttribute("src")).endsWith("/jobs/artifacts/" + task + "/" + webp);
      assertThat(
              page.findElements(
                  By.cssSelector("#detail-artifacts figure[data-mime='video/mp4'] img")))
          .isEmpty();
      browser
          .waiting()
          .until(d -> d.findElements(By.cssSelector("#detail-artifacts dl")).size() == 3);
      // the sidecar's facts, for both outputs
      for (WebElement dl : page.findElements(By.cssSelector("#detail-artifacts dl"))) {
        assertThat(dl.getText()).contains("runner", "workflow hash", "seed");
      }
      // the page's size holds with the players in it
      for (int width : new int[] {1280, 420}) {
        browser.viewport(width, 900);
        browser.waiting().until(d -> browser.widths().innerWidth() == width);
        assertThat(browser.widths().scrollWidth())
            .as("scrollWidth at %d px with the video open", width)
            .isLessThanOrEqualTo(width);
      }
    }
  }

  @Test
  void cancelInterruptsARunningLiveJobAndAMissingModelIsSaidByName() throws Exception {
    try (LiveHarness h = new LiveHarness(dir);
        Browser browser = new Browser(dir.resolve("chrome"), "studio-detail-cancel.png")) {
      ChromeDriver page = browser.driver();
      page.get(h.server.base() + "/");
      browser.waiting().until(d -> text(d, "#conn").contains("live updates"));
      String task =
          submit(h, requestBase64(FakeProviders.COMFYUI, sdxlImg2Img(), sketch()).toString());
      h.await(task, j -> j.path("progress_detail").path("nodes_done").asInt() > 0);
      openTask(browser, task);
      browser
          .waiting()
          .until(d -> !d.findElements(By.cssSelector("#detail-state [data-cancel]")).isEmpty());
      page.findElement(By.cssSelector("#detail-state [data-cancel]")).click();
      browser.waiting().until(d -> text(d, "#detail-cancel-state").startsWith("Canceled"));
      // the fake box has ComfyUI's jobs API: one cancel through it, no interrupt
      assertThat(
              h.fakes.stats().count(io.comfyvn.compute.fakes.FakeProviders.COMFYUI, "job_cancel"))
          .isEqualTo(1);
      assertThat(h.poll(task).get("status").asText()).isEqualTo("canceled");
      String row = "#jobs tbody tr[data-task='" + task + "']";
      browser.waiting().until(d -> text(d, row).contains("canceled"));
      assertThat(page.findElements(By.cssSelector(row + " [data-cancel]"))).isEmpty();
      assertThat(page.findElements(By.cssSelector(row + " progress"))).isEmpty();

      // the page's own call and rendering of a real refusal: a model the box lacks, by name
      ObjectNode wf = sdxlImg2Img();
      ((ObjectNode) wf.at("/4/inputs")).put("ckpt_name", "dreamshaper_8.safetensors");
      script(
          page,
          "json('/api/providers/gpu/submit', {method: 'POST', headers: {'Content-Type':"
              + " 'application/json'}, body: arguments[0]}).then(showAnswer);",
          requestBase64(FakeProviders.COMFYUI, wf, sketch()).toString());
      browser.waiting().until(d -> text(d, "#answer .said").contains("dreamshaper"));
      assertThat(text(page, "#answer .said"))
          .isEqualTo(
              "The provider lacks the model file checkpoints/dreamshaper_8.safetensors (node 4):"
                  + " install it there or pick a model it has.");
    }
  }

  @Test
  void aRateLimitedSubmitIsSaidInWordsWithTheTimeToWait() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      h.reconfigure(
          cfg ->
              cfg.set(
                  "limits",
                  Json.mapper().createObjectNode().put("max_live_submits_per_minute", 1)));
      try (Browser browser = new Browser(dir.resolve("chrome"), "studio-rate-limit.png")) {
        ChromeDriver page = browser.driver();
        page.get(h.server.base() + "/");
        browser
            .waiting()
            .until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
        new org.openqa.selenium.support.ui.Select(page.findElement(By.id("provider")))
            .selectByValue("runpod");
        new org.openqa.selenium.support.ui.Select(page.findElement(By.id("mode")))
            .selectByValue("auto");
        page.findElement(By.cssSelector("#submit-form button")).click();
        browser.waiting().until(d -> text(d, "#answer .said").startsWith("live task "));
        page.findElement(By.cssSelector("#submit-form button")).click();
        browser
            .waiting()
            .until(
                d ->
                    "submit_rate_limit"
                        .equals(
                            script(
                                d,
                                "const s = document.querySelector('#answer .said');"
                                    + " return s ? s.dataset.code : null;")));
        assertThat(text(page, "#answer .said"))
            .startsWith("Too many submits for now (rate limit). At most 1 live submits a minute")
            .contains("nothing was sent")
            .containsPattern("Try again in [1-9][0-9]* s\\.$")
            .doesNotContain("{");
        assertThat(h.fakes.stats().creates("runpod")).isEqualTo(1);
      }
    }
  }
}

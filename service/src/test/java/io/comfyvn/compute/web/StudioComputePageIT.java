package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.support.Browser;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.support.WorkflowFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Studio "Compute" view in headless Chromium (Debian's chromium and chromium-driver, which
 * {@code .ci/run} installs): readiness, missing secrets, the sample-secrets copy action, a dry-run
 * submit and the task list updating over the WebSocket; empty states; a refused submit as an error
 * row with its reason in words; cancel; {@code lost} and unknown status words; and no sideways
 * overflow at 1280 and 420 px wide, on load, after many long submits and with a task open.
 */
class StudioComputePageIT {
  private static final String SECRETS = "{\"replicate\": {\"api_token\": \"r8_page\"}}";
  @TempDir Path dir;
  private Server server;
  private Browser chrome;
  private ChromeDriver browser;

  private void start(String config) {
    TestHome home = new TestHome(dir).secrets(SECRETS);
    if (config != null) {
      home.config(config);
    }
    server = Server.start(dir);
    chrome = new Browser(dir.resolve("chrome"), "studio-compute.png");
    browser = chrome.driver();
  }

  @AfterEach
  void stop() throws Exception {
    if (chrome != null) {
      chrome.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private WebDriverWait waiting() {
    return chrome.waiting();
  }

  private void load() {
    browser.get(server.base() + "/");
    waiting().until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
    waiting().until(d -> d.findElement(By.id("conn")).getText().contains("live updates"));
  }

  /** A row's text, class and inner HTML, read in one script (rows re-render on every update). */
  private static String rowText(WebDriver d, String selector) {
    Object text =
        ((JavascriptExecutor) d)
            .executeScript(
                "const r = document.querySelector(arguments[0]); return r ? r.innerText : '';",
                selector);
    return String.valueOf(text);
  }

  private static Object script(WebDriver d, String js, Object... args) {
    return ((JavascriptExecutor) d).executeScript(js, args);
  }

  /** The document is no wider than the viewport at 1280 and at 420 CSS px. */
  private void assertNoSidewaysOverflow(String when) {
    for (int width : new int[] {1280, 420}) {
      chrome.viewport(width, 900);
      waiting().until(d -> chrome.widths().innerWidth() == width);
      Browser.Widths w = chrome.widths();
      assertThat(w.scrollWidth())
          .as("scrollWidth at %d px %s (innerWidth %d)", width, when, w.innerWidth())
          .isLessThanOrEqualTo(w.innerWidth());
    }
    chrome.viewport(1280, 1400);
  }

  @Test
  void showsReadinessMissingSecretsAndRunsADryRunJob() {
    start(null);
    load();
    assertThat(browser.findElement(By.id("flag")).getText()).contains("off");

    WebElement modal = browser.findElement(By.cssSelector("#providers tr[data-slug=modal]"));
    assertThat(modal.getText()).contains("missing modal.token_id", "missing modal.token_secret");
    WebElement replicate =
        browser.findElement(By.cssSelector("#providers tr[data-slug=replicate]"));
    assertThat(replicate.getText()).contains("dry-run ready", "replicate.api_token");
    WebElement comfyui = browser.findElement(By.cssSelector("#providers tr[data-slug=comfyui]"));
    assertThat(comfyui.getText()).contains("Self-hosted ComfyUI", "dry-run ready", "none needed");
    assertThat(browser.findElement(By.id("sample")).getText())
        .contains("\"api_token\": \"r8_...\"");

    browser.findElement(By.id("copy-sample")).click();
    waiting().until(d -> !d.findElement(By.id("copy-state")).getText().isBlank());

    new Select(browser.findElement(By.id("provider"))).selectByValue("replicate");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    waiting().until(d -> d.findElement(By.id("answer")).getText().contains("mock-replicate-42"));
    // the answer is said in words; the JSON is folded away
    String said = browser.findElement(By.cssSelector("#answer .said")).getText();
    assertThat(said).startsWith("dry-run task ").contains("is done", "job id mock-replicate-42");
    assertThat(browser.findElement(By.cssSelector("#answer pre")).isDisplayed()).isFalse();

    waiting()
        .until(
            d -> {
              List<WebElement> rows = d.findElements(By.cssSelector("#jobs tbody tr"));
              return !rows.isEmpty()
                  && rows.get(0).getText().contains("dry-run")
                  && rows.get(0).getText().contains("done");
            });
    // one word for the mode everywhere: the board never says "mock"
    assertThat(rowText(browser, "#jobs")).doesNotContain("mock");
    assertThat(browser.findElements(By.cssSelector("#jobs tbody tr [data-cancel]")))
        .as("a finished task has no cancel button")
        .isEmpty();

    browser.findElement(By.id("simulate")).click();
    waiting().until(d -> d.findElements(By.cssSelector("#transcript li.outcome")).size() == 1);
    assertThat(browser.findElements(By.cssSelector("#transcript li"))).hasSizeGreaterThan(2);
    assertThat(browser.findElement(By.cssSelector("#transcript li.outcome")).getText())
        .containsPattern("outcome: (done|error|timeout|canceled)");
    assertThat(browser.findElement(By.cssSelector("#answer .said")).getText())
        .startsWith("sim on Replicate");
  }

  @Test
  void anEmptyBoardAndNoLiveProviderAreSaidInWordsAndNothingOverflowsOnLoad() {
    start(null);
    load();
    WebElement empty = browser.findElement(By.id("jobs-empty"));
    assertThat(empty.isDisplayed()).isTrue();
    assertThat(empty.getText()).startsWith("No tasks yet.");
    assertThat(browser.findElement(By.id("jobs")).isDisplayed()).isFalse();
    WebElement noLive = browser.findElement(By.id("providers-empty"));
    assertThat(noLive.isDisplayed()).isTrue();
    assertThat(noLive.getText())
        .startsWith("No provider is ready to run live, so every submit is a dry-run");
    assertThat(browser.findElement(By.id("detail")).isDisplayed()).isFalse();
    assertNoSidewaysOverflow("on load with no tasks");
  }

  @Test
  void aRefusedSubmitIsAnErrorRowWithItsReasonInWordsAndNoProgressBar() {
    start(null);
    load();
    new Select(browser.findElement(By.id("provider"))).selectByValue("runpod");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    waiting().until(d -> d.findElement(By.id("answer")).getText().contains("runpod.api_key"));
    WebElement said = browser.findElement(By.cssSelector("#answer .said"));
    assertThat(said.getAttribute("class")).contains("bad");
    assertThat(said.getText())
        .isEqualTo(
            "dry-run answer: Not sent: RunPod Serverless is missing the secret runpod.api_key. Add it to "
                + browser.findElement(By.id("secrets-file")).getText()
                + ".");

    waiting()
        .until(d -> rowText(d, "#jobs tbody tr[data-status=error]").contains("runpod.api_key"));
    WebElement row = browser.findElement(By.cssSelector("#jobs tbody tr[data-status=error]"));
    assertThat(row.getAttribute("class")).contains("error");
    assertThat(row.findElements(By.tagName("progress")))
        .as("an error row has no progress bar")
        .isEmpty();
    assertThat(row.findElement(By.cssSelector("td[data-label=Progress]")).getText())
        .isEqualTo("failed");
    assertThat(row.findElement(By.cssSelector(".reason")).getText())
        .startsWith("Not sent: RunPod Serverless is missing the secret runpod.api_key.");
    assertThat(
            script(
                browser,
                "return getComputedStyle(arguments[0].querySelector('td')).backgroundColor;",
                row))
        .as("the row is tinted as an error")
        .isEqualTo("rgb(253, 241, 240)");

    // opened from the keyboard (the id is a button), focus moves to the detail's heading
    row.findElement(By.cssSelector("button.link")).sendKeys(Keys.ENTER);
    waiting().until(d -> d.findElement(By.id("detail")).isDisplayed());
    waiting().until(d -> "detail-title".equals(d.switchTo().activeElement().getAttribute("id")));
    assertThat(browser.findElement(By.id("detail-reason")).getText())
        .startsWith("Not sent: RunPod Serverless is missing the secret runpod.api_key.");
    waiting().until(d -> d.findElement(By.id("detail-log")).getText().contains("Not submitted"));
    assertThat(browser.findElement(By.id("detail-log")).getText())
        .contains("missing secrets runpod.api_key");
    waiting().until(d -> d.findElement(By.id("detail-artifacts-empty")).isDisplayed());
    assertThat(browser.findElement(By.id("detail-artifacts-empty")).getText())
        .isEqualTo("No outputs: a dry-run runs nothing and makes no files.");
    assertThat(rowText(browser, "#detail-timeline li[data-step=error].reached"))
        .startsWith("error");
    assertThat(browser.findElement(By.cssSelector("#detail-timeline li[data-step=sent]")))
        .satisfies(li -> assertThat(li.getAttribute("class")).doesNotContain("reached"));
    assertThat(rowText(browser, "#detail-cost tr[data-row=cost]"))
        .contains("$0 (dry-run: nothing billed)");
    browser.findElement(By.id("detail-close")).click();
    waiting().until(d -> !d.findElement(By.id("detail")).isDisplayed());
  }

  @Test
  void manyRowsLongIdsLongMessagesAndAnOpenTaskDoNotWidenThePage() {
    start(null);
    load();
    String longWord = "x".repeat(500);
    String longKind = "studio.layout." + "k".repeat(50);
    for (int i = 0; i < 40; i++) {
      Server.Reply r =
          server.post(
              "/jobs/enqueue",
              "{\"kind\":\""
                  + longKind
                  + "\",\"message\":\""
                  + longWord
                  + "\",\"payload\":{\"n\":"
                  + i
                  + "}}");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
    // a prompt of 3,000 letters without a space, submitted from the page, the answer unfolded
    script(browser, "document.getElementById('prompt').value = 'p'.repeat(3000);");
    new Select(browser.findElement(By.id("provider"))).selectByValue("replicate");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    waiting().until(d -> d.findElement(By.id("answer")).getText().contains("mock-replicate-42"));
    browser.findElement(By.cssSelector("#answer summary")).click();
    // a provider name of 120 letters: its long error message in the answer box
    // (chosen and sent in one script: the provider list re-renders every 15 s)
    script(
        browser,
        "const s = document.getElementById('provider'); const o = document.createElement('option');"
            + " o.value = 'q'.repeat(120); o.textContent = 'long'; s.append(o); s.value = o.value;"
            + " document.getElementById('submit-form').requestSubmit();");
    waiting().until(d -> d.findElement(By.cssSelector("#answer .said")).getText().contains("qqq"));
    assertThat(browser.findElement(By.cssSelector("#answer .said")).getAttribute("class"))
        .contains("bad");
    waiting().until(d -> d.findElements(By.cssSelector("#jobs tbody tr")).size() >= 41);
    assertNoSidewaysOverflow("after 41 long submits");

    WebElement first =
        browser.findElement(By.cssSelector("#jobs tbody tr[data-status=queued] button.link"));
    first.click();
    waiting().until(d -> d.findElement(By.id("detail")).isDisplayed());
    waiting()
        .until(
            d -> d.findElement(By.id("detail-id")).getText().contains(longKind.substring(0, 20)));
    assertNoSidewaysOverflow("with a long task open");
  }

  @Test
  void aWorkflowFileAndItsInputImageAreSubmittedAsAWorkflowJob() throws Exception {
    start(null);
    load();
    ObjectNode graph = WorkflowFixture.sdxlImg2Img();
    Path wf = Files.writeString(dir.resolve("sdxl_img2img.json"), graph.toString());
    byte[] png = WorkflowFixture.sketch();
    Path sketch = Files.write(dir.resolve(WorkflowFixture.INPUT), png);
    Path ui = Files.writeString(dir.resolve("ui.json"), "{\"nodes\": [], \"links\": []}");
    new Select(browser.findElement(By.id("provider"))).selectByValue("comfyui");
    int before = server.get("/jobs/all").json().path("jobs").size();

    // a UI-format export: said under the form, and nothing is sent
    browser.findElement(By.id("workflow")).sendKeys(ui.toString());
    waiting()
        .until(d -> d.findElement(By.id("workflow-state")).getText().contains("Save (API Format)"));
    browser.findElement(By.cssSelector("#submit-form button[type=submit]")).click();
    assertThat(browser.findElement(By.id("workflow-state")).getAttribute("class")).contains("bad");
    assertThat(server.get("/jobs/all").json().path("jobs").size()).isEqualTo(before);

    browser.findElement(By.id("clear-workflow")).click();
    browser.findElement(By.id("workflow")).sendKeys(wf.toString());
    browser.findElement(By.id("inputs")).sendKeys(sketch.toString());
    waiting()
        .until(
            d ->
                d.findElement(By.id("workflow-state"))
                    .getText()
                    .contains(
                        "Workflow sdxl_img2img.json: "
                            + graph.size()
                            + " nodes; inputs "
                            + WorkflowFixture.INPUT));
    assertThat(browser.findElement(By.id("prompt")).isEnabled()).isFalse();
    browser.findElement(By.cssSelector("#submit-form button[type=submit]")).click();
    waiting().until(d -> d.findElement(By.id("answer")).getText().contains("is done"));
    String task =
        String.valueOf(
            script(
                browser,
                "return JSON.parse(document.querySelector('#answer pre').textContent).task_id;"));
    JsonNode payload = server.get("/jobs/status/" + task).json().at("/job/meta/payload");
    // the graph as chosen, and the image's bytes under the name its LoadImage reads
    assertThat(payload.get("workflow")).isEqualTo(graph);
    assertThat(payload.at("/inputs/" + WorkflowFixture.INPUT + "/base64").asText())
        .isEqualTo(Base64.getEncoder().encodeToString(png));
    assertThat(payload.has("input")).isFalse();

    // Simulate takes the same workflow job: a seeded transcript with its outcome
    browser.findElement(By.id("simulate")).click();
    waiting().until(d -> d.findElement(By.id("transcript")).getText().contains("outcome: "));
    assertThat(browser.findElement(By.id("answer")).getText()).contains("sim on ");
  }

  @Test
  void cancelStopsARunningTaskAndSaysSoInWords() {
    // sim events play 50 times slower than simulated: the task stays unfinished while we cancel
    start("{\"advisor\": {\"sim\": {\"time_scale\": 50}}}");
    load();
    new Select(browser.findElement(By.id("provider"))).selectByValue("replicate");
    new Select(browser.findElement(By.id("mode"))).selectByValue("sim");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    // read in one script: rows re-render on every socket update, so a found element can go stale
    String id =
        waiting()
            .until(
                d ->
                    (String)
                        script(
                            d,
                            "const b = document.querySelector('#jobs tbody tr [data-cancel]');"
                                + " return b ? b.dataset.cancel : null;"));
    String row = "#jobs tbody tr[data-task='" + id + "']";
    assertThat(rowText(browser, row)).containsPattern("queued|running").contains("sim");
    assertThat(browser.findElements(By.cssSelector(row + " progress"))).hasSize(1);

    browser.findElement(By.cssSelector(row + " [data-cancel]")).click();
    waiting().until(d -> rowText(d, row).contains("Canceled: Canceled by request"));
    waiting()
        .until(
            d ->
                "canceled"
                    .equals(
                        script(
                            d,
                            "return document.querySelector(arguments[0]).dataset.status;",
                            row)));
    assertThat(browser.findElements(By.cssSelector(row + " [data-cancel]"))).isEmpty();
    assertThat(browser.findElements(By.cssSelector(row + " progress"))).isEmpty();
    assertThat(server.get("/jobs/status/" + id).json().at("/job/status").asText())
        .isEqualTo("canceled");

    browser.findElement(By.cssSelector(row + " button.link")).click();
    waiting().until(d -> d.findElement(By.id("detail")).isDisplayed());
    assertThat(browser.findElement(By.id("detail-cancel-state")).getText())
        .isEqualTo("Canceled: Canceled by request");
    assertThat(rowText(browser, "#detail-timeline li[data-step=canceled].reached"))
        .startsWith("canceled");
    assertThat(browser.findElements(By.cssSelector("#detail-state [data-cancel]"))).isEmpty();
  }

  @Test
  void aLostJobAndAnUnknownStatusWordAreShownWithoutABarOrACancelButton() {
    start(null);
    load();
    // The service's own statuses come from the registry; these two are views the page may be
    // sent by a newer service (recon's terminal `lost`) or a future one (any other word).
    script(
        browser,
        "const base = {kind: 'public.gpu.submit', mode: 'live', provider: 'runpod', progress: 0.4,"
            + " version: 3, created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:05:00Z',"
            + " submit_state: 'ambiguous', meta: {mode: 'live', public_adapter: true,"
            + " provider_slug: 'runpod'}, artifacts: []};"
            + "note(Object.assign({}, base, {id: 'lost-0000-task', status: 'lost',"
            + " message: 'no answer from runpod after 30 min'}));"
            + "note(Object.assign({}, base, {id: 'odd-0000-task', status: 'paused_upstream',"
            + " message: 'held by the provider'}));"
            + "renderJobs();");
    String lost = "#jobs tbody tr[data-task='lost-0000-task']";
    String odd = "#jobs tbody tr[data-task='odd-0000-task']";
    waiting().until(d -> !rowText(d, lost).isEmpty());
    WebElement lostRow = browser.findElement(By.cssSelector(lost));
    assertThat(lostRow.getAttribute("class")).contains("lost");
    assertThat(lostRow.findElement(By.cssSelector(".badge.lost")).getText()).isEqualTo("lost");
    assertThat(lostRow.findElement(By.cssSelector(".reason")).getText())
        .contains("a job may exist upstream", "no answer from runpod after 30 min");
    assertThat(lostRow.findElements(By.tagName("progress"))).isEmpty();
    assertThat(lostRow.findElements(By.cssSelector("[data-cancel]"))).isEmpty();

    WebElement oddRow = browser.findElement(By.cssSelector(odd));
    assertThat(oddRow.findElement(By.cssSelector(".badge.unknown")).getText())
        .isEqualTo("paused_upstream");
    assertThat(oddRow.findElements(By.tagName("progress"))).isEmpty();
    assertThat(oddRow.findElements(By.cssSelector("[data-cancel]"))).isEmpty();
    assertThat(oddRow.getText()).contains("held by the provider");
  }

  @Test
  void aSimTaskNamesItsOutputsWithoutFilesAndCostsNothing() {
    start(null);
    String job = "{\"input\": {\"prompt\": \"a lighthouse at dusk, visual novel background\"}}";
    // the seeded simulator decides the outcome: pick a seed whose run ends done
    long seed =
        java.util.stream.LongStream.range(1, 200)
            .filter(
                s ->
                    "done"
                        .equals(
                            server
                                .post(
                                    "/api/providers/gpu/simulate",
                                    "{\"provider\": \"replicate\", \"seed\": "
                                        + s
                                        + ", \"job\": "
                                        + job
                                        + "}")
                                .json()
                                .path("outcome")
                                .asText()))
            .findFirst()
            .orElseThrow();
    load();
    new Select(browser.findElement(By.id("provider"))).selectByValue("replicate");
    new Select(browser.findElement(By.id("mode"))).selectByValue("sim");
    WebElement seedBox = browser.findElement(By.id("seed"));
    seedBox.clear();
    seedBox.sendKeys(String.valueOf(seed));
    browser.findElement(By.cssSelector("#submit-form button")).click();
    waiting()
        .until(
            d -> d.findElement(By.cssSelector("#answer .said")).getText().startsWith("sim task "));
    waiting()
        .until(d -> !d.findElements(By.cssSelector("#jobs tbody tr[data-status=done]")).isEmpty());
    browser.findElement(By.cssSelector("#jobs tbody tr[data-status=done] button.link")).click();
    waiting().until(d -> !d.findElements(By.cssSelector("#detail-artifacts figure")).isEmpty());
    List<WebElement> outputs = browser.findElements(By.cssSelector("#detail-artifacts figure"));
    for (WebElement f : outputs) {
      assertThat(f.getText()).contains("named only (a sim output is not stored)");
      assertThat(f.findElements(By.cssSelector("img, video, audio"))).isEmpty();
    }
    assertThat(rowText(browser, "#detail-cost tr[data-row=cost]"))
        .contains("$0 (sim: nothing billed)");
    assertThat(rowText(browser, "#detail-timeline li[data-step=done].reached")).startsWith("done");
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.Browser;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The Studio page's "Today's estimated spend" panel in headless Chromium, in live mode against the
 * fake providers: it shows the limits, grows by each live submit's estimate, and the submit past
 * the daily cap shows the 402 while the fake sees no create for it.
 */
class SpendPageLiveIT {
  private static final ObjectMapper M = Json.mapper();
  @TempDir Path dir;

  /** What the page shows for an amount (compute.js {@code usd}). */
  private static String usd(double v) {
    return "$" + String.format(Locale.ROOT, v >= 1 ? "%.2f" : "%.4f", v);
  }

  /** A row's text, read in one script: the panel re-renders and would stale a found element. */
  private static String row(WebDriver d, String scope) {
    Object text =
        ((JavascriptExecutor) d)
            .executeScript(
                "const r = document.querySelector(\"#spend tr[data-scope='\" + arguments[0]"
                    + " + \"']\"); return r ? r.innerText : '';",
                scope);
    return String.valueOf(text);
  }

  @Test
  void thePageShowsTodaysEstimatedSpendAgainstTheLimits() throws Exception {
    try (LiveHarness h = new LiveHarness(dir)) {
      double e =
          h.server
              .post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"runpod\",\"dry_run\":true,\"seed\":42,"
                      + "\"job\":{\"input\":{\"prompt\":\"a lighthouse at dusk, visual novel"
                      + " background\"}}}")
              .json()
              .get("estimate")
              .get("usd")
              .asDouble();
      double cap = Math.round(2.5 * e * 1e6) / 1e6; // room for two submits, not three
      ObjectNode config = (ObjectNode) M.readTree(h.home.read("config/comfyvn.json"));
      config.set(
          "limits",
          M.readTree(
              "{\"max_live_submits_per_minute\":10,\"max_estimated_usd_per_day\":"
                  + cap
                  + ",\"providers\":{\"replicate\":{\"max_estimated_usd_per_day\":2}}}"));
      h.home.config(M.writeValueAsString(config));
      h.restart();

      try (Browser browser = new Browser(dir.resolve("chrome"), "studio-spend.png")) {
        ChromeDriver page = browser.driver();
        page.get(h.server.base() + "/");
        browser.waiting().until(d -> !row(d, "total").isEmpty());
        assertThat(row(page, "total"))
            .contains("all providers", usd(0), usd(cap) + " / day", "10 / min");
        assertThat(row(page, "replicate")).contains(usd(0), "$2.00 / day", "no limit");
        assertThat(page.findElement(By.id("spend-resets")).getText()).endsWith("00:00 UTC");

        new Select(page.findElement(By.id("provider"))).selectByValue("runpod");
        new Select(page.findElement(By.id("mode"))).selectByValue("auto");
        for (int i = 1; i <= 2; i++) {
          page.findElement(By.cssSelector("#submit-form button")).click();
          double spent = i * e;
          browser.waiting().until(d -> row(d, "total").contains(usd(spent)));
          assertThat(page.findElement(By.id("answer")).getText()).startsWith("live task ");
        }
        assertThat(row(page, "runpod")).contains(usd(2 * e), "no limit", "2");
        assertThat(h.fakes.stats().creates("runpod")).isEqualTo(2);

        page.findElement(By.cssSelector("#submit-form button")).click();
        browser
            .waiting()
            .until(d -> d.findElement(By.id("answer")).getText().contains("spend limit"));
        // the refusal in words, not its JSON
        org.openqa.selenium.WebElement said = page.findElement(By.cssSelector("#answer .said"));
        assertThat(said.getAttribute("data-code")).isEqualTo("spend_limit");
        assertThat(said.getText())
            .startsWith("Refused by the daily spend limit. This submit's estimated $")
            .contains("nothing was sent", "resets at 00:00 UTC")
            .doesNotContain("{");
        assertThat(row(page, "total")).contains(usd(2 * e)).doesNotContain("limit reached");
        assertThat(h.fakes.stats().creates("runpod"))
            .as("the refused submit sent nothing")
            .isEqualTo(2);
        page.executeScript(
            "document.getElementById('spend').scrollIntoView()"); // for the screenshot
      }
    }
  }
}

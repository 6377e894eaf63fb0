package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Browser;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Studio "Compute" view in headless Chromium (Debian's chromium and chromium-driver, which
 * {@code .ci/run} installs): readiness, missing secrets, the sample-secrets copy action, a dry-run
 * submit and the task list updating over the WebSocket.
 */
class StudioComputePageIT {
  @TempDir Path dir;
  private Server server;
  private Browser chrome;
  private ChromeDriver browser;

  @BeforeEach
  void start() {
    new TestHome(dir).secrets("{\"replicate\": {\"api_token\": \"r8_page\"}}");
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

  @Test
  void showsReadinessMissingSecretsAndRunsADryRunJob() {
    browser.get(server.base() + "/");
    waiting().until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
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

    waiting()
        .until(
            d -> {
              List<WebElement> rows = d.findElements(By.cssSelector("#jobs tbody tr"));
              return !rows.isEmpty()
                  && rows.get(0).getText().contains("mock")
                  && rows.get(0).getText().contains("done");
            });

    browser.findElement(By.id("simulate")).click();
    waiting().until(d -> d.findElements(By.cssSelector("#transcript li.outcome")).size() == 1);
    assertThat(browser.findElements(By.cssSelector("#transcript li"))).hasSizeGreaterThan(2);
    assertThat(browser.findElement(By.cssSelector("#transcript li.outcome")).getText())
        .containsPattern("outcome: (done|error|timeout|canceled)");

    new Select(browser.findElement(By.id("provider"))).selectByValue("runpod");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    waiting().until(d -> d.findElement(By.id("answer")).getText().contains("missing token"));
  }
}

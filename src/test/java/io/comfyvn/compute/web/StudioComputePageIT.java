package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Studio "Compute" view in headless Chromium (Debian's chromium and chromium-driver, which
 * {@code .ci/run} installs): readiness, missing secrets, the sample-secrets copy action, a dry-run
 * submit and the task list updating over the WebSocket.
 */
class StudioComputePageIT {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("comfyvn.chromium", "/usr/bin/chromium"));
  private static final Path DRIVER =
      Path.of(System.getProperty("comfyvn.chromedriver", "/usr/bin/chromedriver"));
  @TempDir Path dir;
  private Server server;
  private ChromeDriver browser;

  @BeforeEach
  void start() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!"true".equals(System.getenv("CI"))) {
      Assumptions.assumeTrue(
          installed, "chromium and chromium-driver are not installed (.ci/run installs them)");
    }
    new TestHome(dir).secrets("{\"replicate\": {\"api_token\": \"r8_page\"}}");
    server = Server.start(dir);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        "--user-data-dir=" + dir.resolve("chrome"));
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(),
            options);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
      Files.createDirectories(Path.of("target"));
      Files.write(Path.of("target", "studio-compute.png"), png);
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  private WebDriverWait waiting() {
    // The page re-renders its tables on every socket message: an element read inside a wait may go
    // stale between finding and reading it, which means "look again", not "failed".
    return (WebDriverWait)
        new WebDriverWait(browser, Duration.ofSeconds(15))
            .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
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

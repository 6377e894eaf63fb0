package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Server;
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
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** {@code /docs} in Debian's headless Chromium: Swagger UI renders every operation, offline. */
class ApiDocsPageIT {
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
      Files.write(Path.of("target", "api-docs.png"), png);
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyOperationIsShownAndNothingIsFetchedFromOutside() {
    browser.get(server.base() + "/docs");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(d -> d.findElements(By.cssSelector(".opblock")).size() > 0);
    List<WebElement> ops = browser.findElements(By.cssSelector(".opblock"));
    int documented =
        server.get("/openapi.json").json().get("paths").properties().stream()
            .mapToInt(p -> p.getValue().size())
            .sum();
    assertThat(ops).hasSize(documented);
    assertThat(browser.findElement(By.cssSelector(".info .title")).getText())
        .contains("ComfyVN Compute");
    // every resource the page loaded came from this service
    @SuppressWarnings("unchecked")
    List<String> loaded =
        (List<String>)
            ((JavascriptExecutor) browser)
                .executeScript("return performance.getEntriesByType('resource').map(e => e.name);");
    assertThat(loaded).isNotEmpty().allMatch(u -> u.startsWith(server.base()));
  }
}

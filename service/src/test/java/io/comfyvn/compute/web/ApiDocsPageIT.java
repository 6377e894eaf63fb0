package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Browser;
import io.comfyvn.compute.support.Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/** {@code /docs} in Debian's headless Chromium: Swagger UI renders every operation, offline. */
class ApiDocsPageIT {
  @TempDir Path dir;
  private Server server;
  private Browser chrome;
  private ChromeDriver browser;

  @BeforeEach
  void start() {
    server = Server.start(dir);
    chrome = new Browser(dir.resolve("chrome"), "api-docs.png");
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

package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.App;
import io.comfyvn.compute.support.Chromium;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Studio page in token mode, in headless Chromium: it asks for the token once, refuses a wrong
 * one, and after the right one works as before (providers, a dry-run job, live updates over the
 * WebSocket), with a login cookie page scripts cannot read; a reload does not ask again.
 */
class TokenPageIT {
  private static final String TOKEN = "page-" + UUID.randomUUID();
  @TempDir Path dir;
  private Server server;
  private ChromeDriver browser;

  @BeforeEach
  void start() {
    new TestHome(dir.resolve("home")).secrets("{\"replicate\": {\"api_token\": \"r8_page\"}}");
    server = Server.start(dir.resolve("home"), Map.of(App.TOKEN_ENV, TOKEN));
    browser = Chromium.start(dir.resolve("chrome"));
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void asksForTheTokenOnceThenWorks() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    // The page re-renders its tables as updates arrive: a row read mid-render is simply read again.
    wait.ignoring(StaleElementReferenceException.class);
    browser.get(server.base() + "/");
    wait.until(d -> d.findElement(By.id("login")).isDisplayed());
    assertThat(browser.findElements(By.cssSelector("#providers tbody tr"))).isEmpty();

    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.cssSelector("#login-form button")).click();
    wait.until(d -> d.findElement(By.id("login-state")).getText().contains("not this service's"));
    assertThat(browser.findElement(By.id("login")).isDisplayed()).isTrue();

    browser.findElement(By.id("token")).sendKeys(TOKEN);
    browser.findElement(By.cssSelector("#login-form button")).click();
    wait.until(d -> !d.findElement(By.id("login")).isDisplayed());
    wait.until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
    wait.until(d -> d.findElement(By.id("conn")).getText().contains("live updates"));
    assertThat(browser.findElement(By.id("token")).getAttribute("value")).isEmpty();

    new Select(browser.findElement(By.id("provider"))).selectByValue("replicate");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    wait.until(d -> d.findElement(By.id("answer")).getText().contains("mock-replicate-42"));
    wait.until(
        d -> {
          List<WebElement> rows = d.findElements(By.cssSelector("#jobs tbody tr"));
          return !rows.isEmpty() && rows.get(0).getText().contains("done");
        });

    JavascriptExecutor js = browser;
    assertThat((String) js.executeScript("return document.cookie")).doesNotContain(ApiToken.COOKIE);
    assertThat(
            (String)
                js.executeScript(
                    "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"))
        .doesNotContain(TOKEN);

    browser.navigate().refresh();
    wait.until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
    assertThat(browser.findElement(By.id("login")).isDisplayed()).isFalse();
    // The service itself still refuses a caller without the token.
    assertThat(server.get("/jobs/all").status()).isEqualTo(401);
  }
}

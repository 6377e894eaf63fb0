package io.comfyvn.compute.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Debian Chromium driven by chromedriver, for page tests ({@code .ci/run} installs both;
 * outside CI a missing browser skips the test). Closing it saves a screenshot under {@code
 * target/}.
 */
public final class Browser implements AutoCloseable {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("comfyvn.chromium", "/usr/bin/chromium"));
  private static final Path DRIVER =
      Path.of(System.getProperty("comfyvn.chromedriver", "/usr/bin/chromedriver"));

  private final ChromeDriver driver;
  private final String screenshot;

  /**
   * Starts a browser with its profile under {@code profileDir}.
   *
   * @param screenshot the file name under {@code target/} for the last screen
   */
  public Browser(Path profileDir, String screenshot) {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!"true".equals(System.getenv("CI"))) {
      Assumptions.assumeTrue(
          installed, "chromium and chromium-driver are not installed (.ci/run installs them)");
    }
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
        "--window-size=1280,1400",
        "--user-data-dir=" + profileDir);
    this.driver =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(),
            options);
    this.screenshot = screenshot;
  }

  public ChromeDriver driver() {
    return driver;
  }

  /** Waits up to 15 s for a page condition (a bound for a broken page, not a timing test). */
  public WebDriverWait waiting() {
    // Pages re-render on socket messages: a stale element inside a wait means "look again".
    return (WebDriverWait)
        new WebDriverWait(driver, Duration.ofSeconds(15))
            .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
  }

  /**
   * Sets the page's layout viewport to exactly {@code width} CSS pixels (device metrics override,
   * scale 1), as a window of that width would give it.
   */
  public void viewport(int width, int height) {
    driver.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        java.util.Map.of(
            "width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
  }

  /**
   * How wide the document is against the viewport, read in one script after layout: {@code
   * document.documentElement.scrollWidth} and {@code window.innerWidth}.
   */
  public Widths widths() {
    @SuppressWarnings("unchecked")
    java.util.List<Number> w =
        (java.util.List<Number>)
            driver.executeScript(
                "return [document.documentElement.scrollWidth, window.innerWidth];");
    return new Widths(w.get(0).intValue(), w.get(1).intValue());
  }

  /** The document's scroll width and the viewport's inner width, in CSS pixels. */
  public record Widths(int scrollWidth, int innerWidth) {}

  @Override
  public void close() {
    try {
      byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
      Files.createDirectories(Path.of("target"));
      Files.write(Path.of("target", screenshot), png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      driver.quit();
    }
  }
}

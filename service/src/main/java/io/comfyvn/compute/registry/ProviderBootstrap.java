package io.comfyvn.compute.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.provenance.Sidecars;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * ComfyVN's {@code POST /api/providers/bootstrap}: a {@code provider.bootstrap} task that runs the
 * checks a provider supports (health; for RunPod also templates and GPU types; quota when
 * supported) and keeps what they answered under {@code data/remote/<id>/<run>/}: {@code
 * bootstrap.log} ({@code [<iso ts>] message} lines), one JSON file per check and {@code
 * bootstrap_summary.json}, each with a provenance sidecar {@code <file>.prov.json} (tool, version,
 * task, provider entry, run, sha256; {@code provenance/Sidecars}). The answers are the scrubbed
 * ones of {@link ProviderChecks}: no file holds a secret.
 */
public final class ProviderBootstrap {
  /** The task kind ComfyVN registers. */
  public static final String TASK_KIND = "provider.bootstrap";

  private final Path home;
  private final ComputeProviderRegistry registry;
  private final ProviderChecks checks;
  private final TaskRegistry tasks;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final String version;

  /**
   * @param version the service's version, for the provenance sidecars
   */
  public ProviderBootstrap(
      Path home,
      ComputeProviderRegistry registry,
      ProviderChecks checks,
      TaskRegistry tasks,
      ObjectMapper mapper,
      Clock clock,
      String version) {
    this.version = version;
    this.home = home;
    this.registry = registry;
    this.checks = checks;
    this.tasks = tasks;
    this.mapper = mapper;
    this.clock = clock;
  }

  /**
   * What a bootstrap did; paths are relative to the service's home folder.
   *
   * @param ok whether the provider answered its health check
   * @param job the task id
   * @param provider {@code {id, name}}
   * @param logsPath the log file
   * @param outputDir the run's folder
   * @param artifacts the files written
   * @param provenance each file's provenance sidecar ({@code <file>.prov.json}), in the same order
   * @param details each check's answer, by name
   */
  public record Outcome(
      boolean ok,
      String job,
      ProviderRef provider,
      String logsPath,
      String outputDir,
      List<String> artifacts,
      List<String> provenance,
      ObjectNode details) {}

  /** The provider a bootstrap ran for. */
  public record ProviderRef(String id, String name) {}

  /** Runs a bootstrap now, in the caller's thread, as ComfyVN does. */
  public Outcome run(ComputeProvider p) {
    // Refuse an entry whose checks would send a key where it does not belong before any task or
    // file exists (egress_denied, 422).
    checks.admit(p);
    String run = UUID.randomUUID().toString().replace("-", "");
    Path dir = home.resolve("data/remote").resolve(p.id()).resolve(run);
    Path log = dir.resolve("bootstrap.log");
    ObjectNode meta = TaskRegistry.newDetails();
    meta.put("provider_id", p.id());
    meta.put("logs_path", rel(log));
    meta.put("output_dir", rel(dir));
    String job =
        tasks
            .register(
                new TaskRegistry.Draft(
                    null, TASK_KIND, TaskStatus.QUEUED, 0, "Bootstrap " + p.name(), null, meta))
            .task()
            .id();
    tasks.update(job, TaskStatus.RUNNING, 0.05, "Bootstrap " + p.name(), null);
    List<String> artifacts = new ArrayList<>();
    List<String> provenance = new ArrayList<>();
    ObjectNode details = mapper.createObjectNode();
    boolean ok;
    try {
      Files.createDirectories(dir);
      log(log, "bootstrap " + p.id() + " (service " + p.service() + ", " + p.baseUrl() + ")");
      ObjectNode health = checks.health(p);
      registry.recordHealth(p.id(), health);
      ok = health.path("ok").asBoolean(false);
      step(dir, log, "health", health, details, artifacts);
      if (ProviderChecks.runpod(p) && ok) {
        step(dir, log, "runpod_templates", checks.templates(p), details, artifacts);
        step(dir, log, "runpod_gpus", checks.gpus(p), details, artifacts);
      }
      log(log, "quota: " + checks.quota(p).path("error").asText("checked"));
      if (!checks.hasTemplates(p)) {
        log(log, "templates: " + ProviderChecks.TEMPLATES_UNSUPPORTED);
      }
      ObjectNode summary = mapper.createObjectNode();
      summary.put("provider_id", p.id());
      summary.put("job", job);
      summary.put("ok", ok);
      summary.put("finished_at", clock.instant().toString());
      summary.set("details", details.deepCopy());
      Path summaryFile = dir.resolve("bootstrap_summary.json");
      Files.write(summaryFile, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
      artifacts.add(rel(summaryFile));
      log(log, ok ? "bootstrap complete" : "bootstrap finished with warnings");
      artifacts.add(0, rel(log));
      ObjectNode origin = mapper.createObjectNode();
      origin.put("kind", TASK_KIND);
      origin.put("task_id", job);
      origin.put("provider_id", p.id());
      origin.put("service", p.service());
      origin.put("run", run);
      for (String a : artifacts) {
        provenance.add(rel(Sidecars.write(home.resolve(a), origin, version, clock, mapper)));
      }
    } catch (IOException e) {
      tasks.update(job, TaskStatus.ERROR, 1.0, "Bootstrap could not write its files", null);
      throw new ComputeException(
          ComputeException.Kind.UNAVAILABLE,
          "bootstrap_write_failed",
          "bootstrap files under "
              + rel(dir)
              + " could not be written ("
              + e.getClass().getSimpleName()
              + ")",
          true,
          e);
    }
    ObjectNode patch = mapper.createObjectNode();
    patch.set("artifacts", mapper.valueToTree(artifacts));
    patch.set("provenance", mapper.valueToTree(provenance));
    tasks.update(
        job,
        ok ? TaskStatus.DONE : TaskStatus.ERROR,
        1.0,
        ok ? "Bootstrap complete" : "Bootstrap finished with warnings",
        patch);
    return new Outcome(
        ok,
        job,
        new ProviderRef(p.id(), p.name()),
        rel(log),
        rel(dir),
        artifacts,
        provenance,
        details);
  }

  private void step(
      Path dir,
      Path log,
      String name,
      ObjectNode answer,
      ObjectNode details,
      List<String> artifacts)
      throws IOException {
    Path f = dir.resolve(name + ".json");
    Files.write(f, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(answer));
    artifacts.add(rel(f));
    details.set(name, answer);
    log(
        log,
        name
            + ": "
            + (answer.path("ok").asBoolean(false)
                ? "ok"
                : "failed: " + answer.path("error").asText("")));
  }

  private void log(Path log, String message) throws IOException {
    Files.writeString(
        log,
        "[" + clock.instant() + "] " + message + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  private String rel(Path p) {
    return home.relativize(p).toString().replace('\\', '/');
  }
}

package io.comfyvn.compute.web;

import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.provenance.StoredArtifacts;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.tasks.Artifact;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code /jobs/artifacts}: a task's stored outputs and their provenance sidecars, by position in
 * the task's artifact list. Only media types that cannot run script are served as themselves;
 * anything else is a download ({@code application/octet-stream}), always with {@code nosniff} and a
 * sandboxing CSP, since an output's bytes come from a provider.
 */
final class ArtifactRoutes {
  static final String PREFIX = "/jobs/artifacts";
  private static final Set<String> AS_IS_PREFIXES = Set.of("image/", "video/", "audio/");
  private static final Set<String> NEVER_AS_IS = Set.of("image/svg+xml");

  private final TaskRegistry tasks;
  private final StoredArtifacts stored;

  ArtifactRoutes(TaskRegistry tasks, StoredArtifacts stored) {
    this.tasks = tasks;
    this.stored = stored;
  }

  void register(RoutesConfig routes) {
    routes.get(PREFIX + "/{id}", this::list);
    routes.get(PREFIX + "/{id}/{n}", ctx -> file(ctx, false));
    routes.get(PREFIX + "/{id}/{n}/provenance", ctx -> file(ctx, true));
  }

  /**
   * One output in {@code GET /jobs/artifacts/{id}}.
   *
   * @param href where its bytes are, or null when nothing is stored (a sim output, a lost file)
   * @param provenanceHref where its provenance sidecar is, or null
   */
  record Listed(
      int index,
      String name,
      String mime,
      String sha256,
      Long bytes,
      String path,
      String url,
      boolean stored,
      String href,
      String provenanceHref) {}

  /** The answer of {@code GET /jobs/artifacts/{id}}. */
  record Listing(boolean ok, String taskId, TaskStatus status, List<Listed> artifacts) {}

  private void list(Context ctx) {
    Task task = task(ctx.pathParam("id"));
    List<Listed> out = new ArrayList<>();
    List<Artifact> all = task.artifacts();
    for (int i = 0; i < all.size(); i++) {
      Artifact a = all.get(i);
      boolean has = stored.file(a).isPresent();
      String base = PREFIX + "/" + task.id() + "/" + i;
      out.add(
          new Listed(
              i,
              a.name(),
              a.mime(),
              a.sha256(),
              a.bytes(),
              a.path(),
              a.url(),
              has,
              has ? base : null,
              stored.provenance(a).isPresent() ? base + "/provenance" : null));
    }
    ctx.json(new Listing(true, task.id(), task.status(), out));
  }

  private void file(Context ctx, boolean provenance) {
    Task task = task(ctx.pathParam("id"));
    int n;
    try {
      n = Integer.parseInt(ctx.pathParam("n"));
    } catch (NumberFormatException e) {
      throw ComputeException.badRequest(
          "invalid_value", "the artifact number must be a whole number");
    }
    if (n < 0 || n >= task.artifacts().size()) {
      throw ComputeException.notFound("unknown_artifact", "the task has no artifact number " + n);
    }
    Artifact a = task.artifacts().get(n);
    Path file =
        (provenance ? stored.provenance(a) : stored.file(a))
            .orElseThrow(
                () ->
                    ComputeException.notFound(
                        "artifact_not_stored",
                        provenance
                            ? "that artifact has no provenance sidecar"
                            : "that artifact has no stored file (a sim output, or it was removed)"));
    String type = provenance ? "application/json" : servedType(a.mime());
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Content-Security-Policy", "default-src 'none'; sandbox");
    String name = (a.name() == null ? "artifact" : a.name()) + (provenance ? ".prov.json" : "");
    ctx.header(
        "Content-Disposition",
        (type.startsWith("application/octet-stream") ? "attachment" : "inline")
            + "; filename=\""
            + name.replaceAll("[^A-Za-z0-9._-]", "_")
            + "\"");
    try {
      ctx.contentType(type).result(Files.newInputStream(file));
    } catch (IOException e) {
      // removed between the check and the read
      throw ComputeException.notFound("artifact_not_stored", "that artifact's file is gone");
    }
  }

  /** The artifact's own type when it cannot carry script; else a plain download. */
  static String servedType(String mime) {
    String m = mime == null ? "" : mime.toLowerCase(Locale.ROOT).trim();
    boolean media = AS_IS_PREFIXES.stream().anyMatch(m::startsWith);
    return media && !NEVER_AS_IS.contains(m) && m.matches("[a-z0-9.+-]+/[a-z0-9.+-]+")
        ? m
        : "application/octet-stream";
  }

  private Task task(String id) {
    return tasks
        .get(id)
        .orElseThrow(() -> ComputeException.notFound("unknown_job", "no task with that id"));
  }
}

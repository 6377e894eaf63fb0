package io.comfyvn.compute.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.cluster.ClusterSettings;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.config.ConfigProblem;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.config.ServerSettings;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.ModeDecision;
import io.comfyvn.compute.limits.SpendLimits;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.secrets.SecretKey;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.tasks.StoreSettings;
import io.comfyvn.compute.tasks.TaskRetention;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a home's settings amount to, without starting anything: the files, what is configured, what
 * is ready, what each provider would run as (from {@link ModeDecision}, as a submit with no
 * preference would get it) and every problem {@code serve} would report or refuse to start on. It
 * opens no port, no database and sends nothing.
 */
public final class Doctor {
  private Doctor() {}

  /**
   * Examines a home folder.
   *
   * @param home the home folder
   * @param env the environment ({@code COMFYVN_API_TOKEN})
   */
  public static Report examine(Path home, Map<String, String> env) {
    Path configFile = home.resolve(ConfigLoader.CONFIG_FILE);
    Path secretsFile = home.resolve(SecretStore.SECRETS_FILE);
    ConfigLoader.Loaded loaded = new ConfigLoader(Json.mapper()).read(home);
    List<ConfigProblem> problems = new ArrayList<>(loaded.problems());
    AppConfig config = loaded.config();
    GpuProviders providers = GpuProviders.discover();
    SecretStore secrets = new SecretStore(home, Json.mapper());
    if (loaded.errors().isEmpty()) {
      // the readers serve runs on the settings before it opens anything: their own checks
      readers(config, providers, secrets)
          .forEach(
              r -> {
                try {
                  r.run();
                } catch (ConfigException | IllegalArgumentException e) {
                  problems.add(ConfigProblem.error(configFile.toString(), "", e.getMessage()));
                }
              });
    }
    // the same keys serve knows (App.knownSecrets): every provider's and the service's own
    List<SecretKey> known = new ArrayList<>(providers.secretKeys());
    known.addAll(SecretStore.SERVICE_KEYS);
    problems.addAll(secrets.problems(known));

    boolean flag = config.feature(AppConfig.PUBLIC_GPU_FLAG);
    List<ProviderReport> rows = new ArrayList<>();
    for (GpuProvider p : providers.all()) {
      String slug = p.descriptor().slug();
      ProviderSettings settings = config.provider(slug);
      List<String> missing = secrets.missing(p.descriptor().secretKeys());
      ModeDecision decision =
          ModeDecision.decide(
              flag, missing, settings.mode(), p.hasLiveClient(), ModeDecision.Requested.AUTO);
      String readiness =
          !missing.isEmpty()
              ? "missing_secrets"
              : decision.mode() == Mode.LIVE ? "live" : "dry_run";
      rows.add(
          new ProviderReport(
              slug,
              p.descriptor().name(),
              settings.mode() == ProviderSettings.ConfiguredMode.LIVE ? "live" : "dry_run",
              settings.text("base_url").orElse(p.descriptor().hints().baseUrl()),
              p.descriptor().requiredSecrets(),
              missing,
              missing.isEmpty(),
              readiness,
              decision.mode(),
              decision.reasons()));
    }
    String fromEnv = env.get("COMFYVN_API_TOKEN");
    String token =
        fromEnv != null && !fromEnv.isBlank()
            ? "COMFYVN_API_TOKEN"
            : secrets.find(SecretStore.API_TOKEN).isPresent() ? "secrets file" : null;
    JsonNode url = config.section("store").path("url");
    String store =
        url.isTextual() && url.asText().startsWith("jdbc:postgresql:") ? "postgresql" : "sqlite";
    long errors = problems.stream().filter(ConfigProblem::isError).count();
    return new Report(
        errors == 0 && problems.isEmpty(),
        errors == 0,
        home.toString(),
        new FileReport(configFile.toString(), Files.exists(configFile)),
        new FileReport(secretsFile.toString(), Files.exists(secretsFile)),
        new Feature(AppConfig.PUBLIC_GPU_FLAG, flag),
        token != null,
        token,
        store,
        rows,
        (int) errors,
        (int) (problems.size() - errors),
        problems.stream().map(ConfigProblem::view).toList());
  }

  /** The settings readers {@code App.start} runs, each throwing on a value it cannot use. */
  private static List<Runnable> readers(
      AppConfig config, GpuProviders providers, SecretStore secrets) {
    List<Runnable> out = new ArrayList<>();
    out.add(() -> ServerSettings.from(config));
    out.add(
        () ->
            StoreSettings.of(
                null,
                config.section("store").path("url").asText(null),
                secrets.find(SecretStore.STORE_USER),
                secrets.find(SecretStore.STORE_PASSWORD)));
    out.add(() -> ClusterSettings.of(config.section("cluster")));
    out.add(() -> TaskRetention.Settings.of(config.section("tasks").path("retention")));
    out.add(() -> ProviderCallLog.Rolling.fromJson(config.section("logs").path("providers_gpu")));
    out.add(() -> providers.egressPolicy(config.section("egress")));
    out.add(() -> AdvisorSettings.fromJson(config.section("advisor")));
    out.add(
        () ->
            SpendLimits.fromJson(
                config.section("limits"),
                name -> providers.find(name).map(p -> p.descriptor().slug())));
    for (GpuProvider p : providers.all()) {
      out.add(() -> p.descriptor().resilience(config.provider(p.descriptor().slug())));
    }
    return out;
  }

  /**
   * What {@code doctor} found.
   *
   * @param ok no problem at all
   * @param serveWouldStart no error: {@code serve} would start on these settings
   * @param home the home folder
   * @param config the settings file
   * @param secrets the secrets file
   * @param feature the public GPU flag
   * @param apiTokenSet whether callers must send an API token
   * @param apiTokenFrom where the token comes from ({@code COMFYVN_API_TOKEN} or the secrets file)
   * @param store the task store ({@code sqlite} or {@code postgresql})
   * @param providers each provider: configured, ready, what a submit would run as
   * @param errors how many errors
   * @param warnings how many warnings
   * @param problems every problem
   */
  public record Report(
      boolean ok,
      boolean serveWouldStart,
      String home,
      FileReport config,
      FileReport secrets,
      Feature feature,
      boolean apiTokenSet,
      String apiTokenFrom,
      String store,
      List<ProviderReport> providers,
      int errors,
      int warnings,
      List<ConfigProblem.View> problems) {
    public Report {
      providers = List.copyOf(providers);
      problems = List.copyOf(problems);
    }
  }

  /** A settings file: where, and whether it is there. */
  public record FileReport(String path, boolean present) {}

  /** The feature flag. */
  public record Feature(String name, boolean enabled) {}

  /**
   * One provider, as the providers answer words it.
   *
   * @param slug the provider
   * @param name its name
   * @param configuredMode {@code providers_gpu.<slug>.mode}: {@code dry_run} or {@code live}
   * @param baseUrl where live calls would go
   * @param requiredSecrets its secret keys
   * @param missingSecrets those absent (placeholders count as absent)
   * @param ready whether its secrets are present
   * @param readiness {@code missing_secrets}, {@code dry_run} or {@code live}
   * @param wouldRun what a submit with no preference would run as
   * @param notLiveBecause why not live (empty when live)
   */
  public record ProviderReport(
      String slug,
      String name,
      String configuredMode,
      String baseUrl,
      List<String> requiredSecrets,
      List<String> missingSecrets,
      boolean ready,
      String readiness,
      Mode wouldRun,
      List<String> notLiveBecause) {}
}

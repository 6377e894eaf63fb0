package io.comfyvn.compute.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigProblem.Severity;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValidatorTest {
  private static final ObjectMapper M = Json.mapper();
  private static final String FILE = "config/comfyvn.json";

  private static JsonNode json(String text) {
    try {
      return M.readTree(text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<ConfigProblem> check(String text) {
    return ConfigValidator.check(json(text), ConfigSchema.CONFIG, FILE);
  }

  @Test
  void theShippedDefaultsHaveNoProblem() throws IOException {
    JsonNode shipped =
        M.readTree(io.comfyvn.compute.support.Repo.file("config/defaults/comfyvn.json").toFile());
    assertThat(ConfigValidator.check(shipped, ConfigSchema.CONFIG, FILE)).isEmpty();
    // and every key the defaults have is one the schema knows (a closed walk found nothing)
    assertThat(leaves(ConfigSchema.CONFIG, "")).isNotEmpty();
  }

  @Test
  void theSchemaHasASectionForEveryProviderWithItsDocumentedSettings() {
    Shape.Section gpu = (Shape.Section) ConfigSchema.CONFIG.keys().get("providers_gpu");
    GpuProviders providers = GpuProviders.discover();
    assertThat(gpu.keys().keySet()).containsExactlyInAnyOrderElementsOf(providers.slugs());
    for (GpuProvider p : providers.all()) {
      Shape.Section section = (Shape.Section) gpu.keys().get(p.descriptor().slug());
      assertThat(section.keys().keySet())
          .as(p.descriptor().slug())
          .contains("mode", "base_url", "hardware", "resilience")
          .containsAll(p.descriptor().hints().settings().keySet());
    }
  }

  @Test
  void aMisspelledModeIsAnErrorWithTheAllowedWordsAndTheNearestOne() {
    List<ConfigProblem> p = check("{\"providers_gpu\":{\"runpod\":{\"mode\":\"liev\"}}}");
    assertThat(p).hasSize(1);
    ConfigProblem only = p.get(0);
    assertThat(only.severity()).isEqualTo(Severity.ERROR);
    assertThat(only.path()).isEqualTo("providers_gpu.runpod.mode");
    assertThat(only.allowed()).containsExactly("dry_run", "live");
    assertThat(only.didYouMean()).contains("live");
    assertThat(only.describe())
        .isEqualTo(
            "config/comfyvn.json: providers_gpu.runpod.mode: unknown word \"liev\""
                + " (allowed: dry_run|live); did you mean \"live\"?");
  }

  @Test
  void aFlagGivenAsAWordIsAnError() {
    List<ConfigProblem> p = check("{\"features\":{\"enable_public_gpu_adapters\":\"yes\"}}");
    assertThat(p)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.severity()).isEqualTo(Severity.ERROR);
              assertThat(e.path()).isEqualTo("features.enable_public_gpu_adapters");
              assertThat(e.message()).isEqualTo("is \"yes\", must be true or false");
            });
  }

  @Test
  void modeWordsIgnoreCaseAsTheReaderDoes() {
    assertThat(check("{\"providers_gpu\":{\"modal\":{\"mode\":\"LIVE\"}}}")).isEmpty();
  }

  @Test
  void anUnknownKeyIsAWarningWithTheNearestKnownKey() {
    List<ConfigProblem> p = check("{\"providers_gpu\":{\"runpod\":{\"endpointid\":\"abc\"}}}");
    assertThat(p)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.severity()).isEqualTo(Severity.WARNING);
              assertThat(w.path()).isEqualTo("providers_gpu.runpod.endpointid");
              assertThat(w.didYouMean()).contains("endpoint_id");
              assertThat(w.allowed()).contains("endpoint_id", "mode");
            });
  }

  @Test
  void anUnknownProviderIsAWarningNamingTheProviders() {
    List<ConfigProblem> p = check("{\"providers_gpu\":{\"replicat\":{\"mode\":\"live\"}}}");
    assertThat(p)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.severity()).isEqualTo(Severity.WARNING);
              assertThat(w.didYouMean()).contains("replicate");
              assertThat(w.allowed()).containsAll(GpuProviders.discover().slugs());
            });
  }

  @Test
  void freeTextIsNeverQuotedSoAPasswordInAUrlStaysOut() {
    String secretish = "postgres://u:hunter2-very-long-password@db/x";
    List<ConfigProblem> p =
        check(
            "{\"server\":{\"idle_timeout_ms\":\""
                + secretish
                + "\"},\"store\":{\"url\":[\""
                + secretish
                + "\"]},\"egress\":{\"allowed_base_urls\":\""
                + secretish
                + "\"}}");
    assertThat(p).hasSize(3).allSatisfy(e -> assertThat(e.isError()).isTrue());
    assertThat(p).extracting(ConfigProblem::describe).noneMatch(d -> d.contains("hunter2"));
    assertThat(p.get(0).message()).contains("a string of " + secretish.length() + " characters");
  }

  @Test
  void everyProblemIsFoundAtOnce() {
    List<ConfigProblem> p =
        check(
            "{\"features\":{\"enable_public_gpu_adapters\":1},\"server\":{\"idle_timeout_ms\":5},"
                + "\"limits\":{\"max_live_submits_per_minute\":-1,\"providers\":{\"runpod\":"
                + "{\"max_estimated_usd_per_day\":\"ten\"}}},\"tracker\":{\"workerz\":2},"
                + "\"logs\":{\"providers_gpu\":{\"max_files\":22}}}");
    assertThat(p)
        .extracting(ConfigProblem::path)
        .containsExactlyInAnyOrder(
            "features.enable_public_gpu_adapters",
            "server.idle_timeout_ms",
            "limits.max_live_submits_per_minute",
            "limits.providers.runpod.max_estimated_usd_per_day",
            "tracker.workerz",
            "logs.providers_gpu.max_files");
    assertThat(p.stream().filter(ConfigProblem::isError)).hasSize(5);
  }

  @Test
  void nullLiftsALimitAndANullSectionMeansItsDefaults() {
    assertThat(
            check(
                "{\"limits\":{\"max_live_submits_per_minute\":null,"
                    + "\"max_estimated_usd_per_day\":null},\"advisor\":{\"local_gpu\":null},"
                    + "\"server\":null}"))
        .isEmpty();
    assertThat(check("{\"features\":{\"enable_public_gpu_adapters\":null}}"))
        .singleElement()
        .satisfies(e -> assertThat(e.isError()).isTrue());
  }

  /**
   * Keys the service's readers use that the schema once lacked, so the doctor and {@code serve}
   * called them unknown ({@code LiveTracker.Settings}, the registry's seed, {@code ComfyUiClient},
   * {@code CogComfyui}).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"tracker\":{\"reconcile_after_ms\":600000,\"reconcile_after_restart_ms\":120000,"
            + "\"reconcile_settle_ms\":10000}}",
        "{\"tracker\":{\"reconcile_settle_ms\":0}}",
        "{\"features\":{\"enable_compute\":false}}",
        "{\"providers_gpu\":{\"comfyui\":{\"jobs_api\":false}}}",
        "{\"providers_gpu\":{\"replicate\":{\"output_format\":\"jpg\",\"output_quality\":90}}}"
      })
  void aKeyTheReadersUseGivesNoProblem(String config) {
    assertThat(check(config)).isEmpty();
  }

  @Test
  void theReconcileDeadlinesAreCheckedForRange() {
    assertThat(check("{\"tracker\":{\"reconcile_after_restart_ms\":0,\"reconcile_settle_ms\":-1}}"))
        .extracting(ConfigProblem::path)
        .containsExactlyInAnyOrder(
            "tracker.reconcile_after_restart_ms", "tracker.reconcile_settle_ms");
  }

  @Test
  void nestedChoicesAreCheckedInside() {
    // advisor.price_overrides: a number or an object whose keys are checked too
    List<ConfigProblem> p =
        check(
            "{\"advisor\":{\"price_overrides\":{\"runpod/ADA_24\":0.5,"
                + "\"modal/L40S\":{\"usd_per_hour\":1.2,\"usd_per_hr\":1}}}}");
    assertThat(p)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.path()).isEqualTo("advisor.price_overrides.modal/L40S.usd_per_hr");
              assertThat(w.didYouMean()).contains("usd_per_hour");
            });
  }

  // ---- seeded typos over every key of the schema ----

  /** Every known key path of the schema with the section it is in. */
  private static List<String[]> leaves(Shape.Section s, String path) {
    List<String[]> out = new ArrayList<>();
    for (Map.Entry<String, Shape> e : s.keys().entrySet()) {
      String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      out.add(new String[] {path, e.getKey()});
      Shape inner = e.getValue() instanceof Shape.Nullable n ? n.inner() : e.getValue();
      if (inner instanceof Shape.Section sub && !sub.keys().isEmpty()) {
        out.addAll(leaves(sub, at));
      }
    }
    return out;
  }

  /** A typo of {@code word}: a swap, a dropped, a doubled or a changed letter. */
  private static String typo(String word, Random r) {
    StringBuilder b = new StringBuilder(word);
    int i = r.nextInt(word.length());
    switch (r.nextInt(4)) {
      case 0 -> {
        if (word.length() > 1) {
          int j = i == word.length() - 1 ? i - 1 : i + 1;
          char c = b.charAt(i);
          b.setCharAt(i, b.charAt(j));
          b.setCharAt(j, c);
        } else {
          b.append('x');
        }
      }
      case 1 -> {
        if (word.length() > 3) {
          b.deleteCharAt(i);
        } else {
          b.append('x');
        }
      }
      case 2 -> b.insert(i, b.charAt(i));
      default -> b.setCharAt(i, (char) ('a' + (b.charAt(i) - 'a' + 1 + r.nextInt(24)) % 26));
    }
    return b.toString();
  }

  static Stream<Arguments> seeds() {
    return IntStream.range(0, 40).mapToObj(i -> Arguments.of(1000L + i));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aTypoOfAnyKeyIsReportedWhereItIsWithANearKnownKey(long seed) {
    Random r = new Random(seed);
    List<String[]> all = leaves(ConfigSchema.CONFIG, "");
    String[] pick = all.get(r.nextInt(all.size()));
    String parent = pick[0];
    String key = pick[1];
    String typed = typo(key, r);
    Shape.Section section = section(parent);
    if (section.keys().containsKey(typed) || section.others() != null) {
      return; // the typo is another real key (or any key is allowed there): nothing to report
    }
    ObjectNode root = M.createObjectNode();
    ObjectNode at = parent.isEmpty() ? root : root.withObject("/" + parent.replace('.', '/'));
    at.put(typed, 1);

    List<ConfigProblem> p = ConfigValidator.check(root, ConfigSchema.CONFIG, FILE);

    String path = parent.isEmpty() ? typed : parent + "." + typed;
    ConfigProblem w =
        p.stream().filter(x -> x.path().equals(path)).findFirst().orElseThrow(AssertionError::new);
    assertThat(w.severity()).isEqualTo(Severity.WARNING);
    assertThat(w.allowed()).containsExactlyElementsOf(section.keys().keySet());
    int toKey = Suggest.distance(typed.toLowerCase(), key.toLowerCase());
    Optional<String> near = w.didYouMean();
    if (toKey <= 1) {
      // one edit away: always suggested, and nothing suggested is further away than the key
      assertThat(near).as("%s -> %s", typed, key).isPresent();
      assertThat(Suggest.distance(typed.toLowerCase(), near.get().toLowerCase()))
          .isLessThanOrEqualTo(toKey);
    }
  }

  static Stream<Arguments> wrongTypes() {
    return IntStream.range(0, 40).mapToObj(i -> Arguments.of(5000L + i));
  }

  /** A wrong value for a leaf shape, or null when the shape takes anything. */
  private static JsonNode wrongFor(Shape s, Random r) {
    List<JsonNode> candidates =
        List.of(
            json("\"yes\""),
            json("2.5"),
            json("-7"),
            json("true"),
            json("[1]"),
            json("{\"x\":1}"),
            json("\"liev\""),
            json("123456789012"));
    for (int tries = 0; tries < 40; tries++) {
      JsonNode v = candidates.get(r.nextInt(candidates.size()));
      if (ConfigValidator.check(v, s, FILE).stream().anyMatch(ConfigProblem::isError)) {
        return v;
      }
    }
    return null;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("wrongTypes")
  void aWrongValueForAnyLeafIsAnErrorAtItsPath(long seed) {
    Random r = new Random(seed);
    List<String[]> leaves =
        leaves(ConfigSchema.CONFIG, "").stream()
            .filter(l -> !(section(l[0]).keys().get(l[1]) instanceof Shape.Section))
            .filter(l -> !(section(l[0]).keys().get(l[1]) instanceof Shape.Free))
            .toList();
    String[] pick = leaves.get(r.nextInt(leaves.size()));
    Shape shape = section(pick[0]).keys().get(pick[1]);
    JsonNode bad = wrongFor(shape, r);
    assertThat(bad).as("no wrong value found for %s", shape).isNotNull();
    ObjectNode root = M.createObjectNode();
    ObjectNode at = pick[0].isEmpty() ? root : root.withObject("/" + pick[0].replace('.', '/'));
    at.set(pick[1], bad);

    List<ConfigProblem> p = ConfigValidator.check(root, ConfigSchema.CONFIG, FILE);

    String path = pick[0].isEmpty() ? pick[1] : pick[0] + "." + pick[1];
    assertThat(p)
        .as("%s = %s", path, bad)
        .anySatisfy(
            e -> {
              assertThat(e.severity()).isEqualTo(Severity.ERROR);
              assertThat(e.path()).startsWith(path);
              assertThat(e.describe()).startsWith(FILE + ": " + path);
            });
  }

  private static Shape.Section section(String path) {
    Shape.Section s = ConfigSchema.CONFIG;
    if (path.isEmpty()) {
      return s;
    }
    for (String part : path.split("\\.")) {
      Shape next = s.keys().get(part);
      s = (Shape.Section) (next instanceof Shape.Nullable n ? n.inner() : next);
    }
    return s;
  }
}

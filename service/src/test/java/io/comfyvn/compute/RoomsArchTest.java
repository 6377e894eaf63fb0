package io.comfyvn.compute;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.syntax.elements.ClassesShouldConjunction;
import com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction;
import io.comfyvn.compute.support.Repo;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.workflow.DataAndWebInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * architecture.md's rooms table as rules: one rule per row whose "may not depend on" column names
 * something, keyed by the row's package cell, in the table's order. {@link
 * #everyRowThatForbidsSomethingHasItsRule} reads the table, so a row without a rule (or a rule
 * without its row) fails the build. Rules across rooms that are no single row (who may use {@code
 * jobs}, {@code web}, the registry, Javalin, Jetty; nothing reaches the fakes) are in {@link
 * ArchitectureTest}; purity beyond the table's words (randomness, hash order) in {@link
 * PurityArchTest}.
 */
class RoomsArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  private static final String ROOT = "io.comfyvn.compute";

  // The table's words.
  private static final DescribedPredicate<JavaClass> WEB = room("web");
  private static final DescribedPredicate<JavaClass> JAVALIN = resideInAPackage("io.javalin..");
  private static final DescribedPredicate<JavaClass> JDBI = resideInAPackage("org.jdbi..");

  /** The task store: its room, Jdbi, JDBC. */
  private static final DescribedPredicate<JavaClass> STORE =
      room("tasks").or(JDBI).or(resideInAPackage("java.sql.."));

  private static final DescribedPredicate<JavaClass> GPU = room("gpu");
  private static final DescribedPredicate<JavaClass> TASKS = room("tasks");
  private static final DescribedPredicate<JavaClass> JOBS = room("jobs");
  private static final DescribedPredicate<JavaClass> SIM = room("sim");
  private static final DescribedPredicate<JavaClass> HOOKS = room("hooks");
  private static final DescribedPredicate<JavaClass> ADVISOR = room("advisor");
  private static final DescribedPredicate<JavaClass> FILES =
      resideInAPackage("java.nio.file..")
          .or(
              belongToAnyOf(
                  java.io.File.class,
                  java.io.FileInputStream.class,
                  java.io.FileOutputStream.class,
                  java.io.FileReader.class,
                  java.io.FileWriter.class,
                  java.io.RandomAccessFile.class));

  /** Sockets and HTTP; name lookups are calls ({@link #withoutLookupsOrTime}). */
  private static final DescribedPredicate<JavaClass> NETWORK =
      resideInAnyPackage("java.net.http..", "java.nio.channels..")
          .or(
              belongToAnyOf(
                  java.net.Socket.class,
                  java.net.ServerSocket.class,
                  java.net.DatagramSocket.class,
                  java.net.URL.class,
                  java.net.URLConnection.class));

  private static final DescribedPredicate<JavaClass> CLOCK = resideInAPackage("java.time..");
  private static final DescribedPredicate<JavaClass> THREADS =
      resideInAPackage("java.util.concurrent..").or(belongToAnyOf(Thread.class));

  /** The rows; the key is the package cell without backticks. */
  static final Map<String, ArchRule> ROOMS = new LinkedHashMap<>();

  static {
    ROOMS.put(
        "status",
        inRoom("status")
            .should()
            .dependOnClassesThat(resideInAPackage(ROOT + "..").and(not(room("status")))));
    ROOMS.put("config", inRoom("config").should().dependOnClassesThat(WEB.or(STORE)));
    ROOMS.put("secrets", inRoom("secrets").should().dependOnClassesThat(WEB.or(STORE)));
    DescribedPredicate<JavaClass> notForGpu =
        WEB.or(JAVALIN).or(JDBI).or(TASKS).or(JOBS).or(SIM).or(HOOKS);
    ROOMS.put(
        "gpu",
        noClasses().that().resideInAPackage(ROOT + ".gpu").should().dependOnClassesThat(notForGpu));
    ROOMS.put(
        "gpu/<provider>",
        noClasses().that(providerPackages()).should().dependOnClassesThat(notForGpu));
    ROOMS.put(
        "gpu/http",
        inRoom("gpu.http")
            .should()
            .dependOnClassesThat(GPU.and(not(room("gpu.http"))).or(WEB).or(STORE)));
    ROOMS.put(
        "cluster",
        inRoom("cluster").should().dependOnClassesThat(GPU.or(JOBS).or(SIM).or(HOOKS).or(WEB)));
    ROOMS.put(
        "tasks",
        inRoom("tasks").should().dependOnClassesThat(GPU.or(JOBS).or(SIM).or(HOOKS).or(WEB)));
    ROOMS.put("jobs", inRoom("jobs").should().dependOnClassesThat(WEB.or(JAVALIN).or(JDBI)));
    ROOMS.put(
        "workflow",
        withoutLookupsOrTime(
            inRoom("workflow")
                .and()
                .doNotBelongToAnyOf(DataAndWebInputs.class)
                .should()
                .dependOnClassesThat(
                    FILES.or(NETWORK).or(CLOCK).or(GPU).or(JOBS).or(SIM).or(ADVISOR).or(WEB))));
    ROOMS.put("provenance", inRoom("provenance").should().dependOnClassesThat(GPU.or(WEB)));
    ROOMS.put(
        "advisor, sim",
        withoutLookupsOrTime(
            noClasses()
                .that()
                .resideInAnyPackage(ROOT + ".advisor..", ROOT + ".sim..")
                .should()
                .dependOnClassesThat(FILES.or(NETWORK).or(CLOCK).or(THREADS).or(TASKS).or(JOBS))));
    ROOMS.put(
        "hooks",
        inRoom("hooks")
            .should()
            .dependOnClassesThat(GPU.or(JOBS).or(SIM).or(WEB).or(equivalentTo(Task.class))));
    ROOMS.put(
        "registry", inRoom("registry").should().dependOnClassesThat(WEB.or(JAVALIN).or(JDBI)));
    ROOMS.put(
        "fakes",
        inRoom("fakes")
            .should()
            .dependOnClassesThat(resideInAPackage(ROOT + "..").and(not(room("fakes")))));
    ROOMS.put("limits", inRoom("limits").should().dependOnClassesThat(GPU.or(WEB).or(TASKS)));
    ROOMS.put(
        "web/boundary",
        inRoom("web.boundary").should().dependOnClassesThat(resideInAPackage(ROOT + ".web")));
    ROOMS.put(
        "cli",
        inRoom("cli")
            .should()
            .dependOnClassesThat(
                resideInAPackage(ROOT + "..")
                    .and(not(room("cli")))
                    // the shared words of the wire: a leaf, no service code
                    .and(not(room("status")))
                    .and(not(equivalentTo(Json.class)))));
    ROOMS.put(
        "doctor",
        inRoom("doctor")
            .should()
            .dependOnClassesThat(
                WEB.or(JOBS)
                    .or(room("cli"))
                    .or(HOOKS)
                    .or(JAVALIN)
                    .or(JDBI)
                    .or(resideInAPackage("org.eclipse.jetty.."))));
  }

  /** "network" and "clock" as calls: no name lookup (an address is a value), no system time. */
  private static ArchRule withoutLookupsOrTime(ClassesShouldConjunction rule) {
    return rule.orShould()
        .callMethod(java.net.InetAddress.class, "getByName", String.class)
        .orShould()
        .callMethod(java.net.InetAddress.class, "getAllByName", String.class)
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(System.class, "nanoTime");
  }

  /** A room: its package and those under it, e.g. {@code room("gpu.http")}. */
  private static DescribedPredicate<JavaClass> room(String name) {
    return resideInAPackage(ROOT + "." + name + "..");
  }

  private static GivenClassesConjunction inRoom(String name) {
    return noClasses().that().resideInAPackage(ROOT + "." + name + "..");
  }

  /** {@code gpu/<provider>}: every package under {@code gpu} but the transport. */
  private static DescribedPredicate<JavaClass> providerPackages() {
    return DescribedPredicate.describe(
        "reside in a provider package (io.comfyvn.compute.gpu.<provider>..)",
        c ->
            c.getPackageName().startsWith(ROOT + ".gpu.")
                && !c.getPackageName().equals(ROOT + ".gpu.http")
                && !c.getPackageName().startsWith(ROOT + ".gpu.http."));
  }

  static Stream<String> rooms() {
    return ROOMS.keySet().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rooms")
  void aRoomDependsOnNothingItsRowForbids(String room) {
    ROOMS.get(room).check(MAIN);
  }

  @ParameterizedTest
  @CsvSource({
    "fakes, io.comfyvn.compute.fakes.FakeConfigWriterTest, io.comfyvn.compute.config.ConfigLoader",
    "cli, io.comfyvn.compute.cli.CliIT, io.comfyvn.compute.support.Server"
  })
  void aRuleFailsOnAClassThatBreaksItsRow(String room, String testClass, String reached)
      throws ClassNotFoundException {
    // Tests sit in their room's package but may reach anywhere: these two break their row.
    JavaClasses breaker =
        new ClassFileImporter()
            .importClasses(Class.forName(testClass, false, RoomsArchTest.class.getClassLoader()));
    assertThatThrownBy(() -> ROOMS.get(room).check(breaker))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(reached);
  }

  @Test
  void everyRowThatForbidsSomethingHasItsRule() throws IOException {
    Map<String, String> rows = forbiddingRows(Files.readAllLines(Repo.file("architecture.md")));
    assertThat(ROOMS.keySet())
        .as(
            "architecture.md's rooms table vs RoomsArchTest.ROOMS: a row whose 'may not depend"
                + " on' names something needs its rule here (keyed by the package cell), and a"
                + " rule its row")
        .containsExactlyElementsOf(rows.keySet());
  }

  @Test
  void theTableReaderFindsRowsAndSkipsTheFreeOnes() {
    List<String> md =
        List.of(
            "# A",
            "## The rooms",
            "",
            "| package | what | may not depend on |",
            "|---|---|---|",
            "| `status` | words: `a|b|c` | anything else |",
            "| `web` | Javalin | — |",
            "| `advisor`, `sim` | pure | files, jobs |",
            "",
            "| `later` | another table | x |",
            "## Next",
            "| `other` | x | y |");
    assertThat(forbiddingRows(md))
        .containsExactly(
            Map.entry("status", "anything else"), Map.entry("advisor, sim", "files, jobs"));
  }

  @Test
  void theTableReaderFailsOnARoomInTwoRowsNamingIt() {
    // A union merge once left two rows for status, config, secrets, gpu and registry: the map
    // kept one of each without a word, and the stale copy (status without lost) went unnoticed.
    List<String> twice =
        List.of(
            "## The rooms",
            "| package | what | may not depend on |",
            "|---|---|---|",
            "| `status` | words: `a|b|c|lost` | anything else |",
            "| `gpu` | the contract | web |",
            "| `status` | words: `a|b|c` | anything else |");
    assertThatThrownBy(() -> forbiddingRows(twice))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("`status`")
        .hasMessageNotContaining("`gpu`");
    // A room counts wherever it appears: in a shared cell, or in a row that forbids nothing.
    List<String> shared =
        List.of(
            "## The rooms",
            "| `advisor`, `sim` | pure | files |",
            "| `web` | Javalin | — |",
            "| `sim` | again | threads |",
            "| `web` | again | — |");
    assertThatThrownBy(() -> forbiddingRows(shared))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("`sim`")
        .hasMessageContaining("`web`")
        .hasMessageNotContaining("`advisor`");
  }

  /**
   * The first table under "## The rooms": each row whose last column is not "—", package cell
   * (backticks removed) to that column. A cell may hold {@code |} inside code (only the first and
   * last cells are read). A room named in two rows (forbidding something or not, alone or in a
   * shared cell like {@code `advisor`, `sim`}) fails, naming the room: one row per room.
   */
  static Map<String, String> forbiddingRows(List<String> lines) {
    int start = lines.indexOf("## The rooms");
    assertThat(start).as("architecture.md has '## The rooms'").isNotNegative();
    Map<String, String> rows = new LinkedHashMap<>();
    Map<String, Integer> rowsPerRoom = new LinkedHashMap<>();
    boolean inTable = false;
    for (String line : lines.subList(start + 1, lines.size())) {
      if (!line.startsWith("|")) {
        if (inTable || line.startsWith("## ")) {
          break;
        }
        continue;
      }
      inTable = true;
      String first = line.substring(1, line.indexOf('|', 1)).trim();
      String body = line.substring(0, line.lastIndexOf('|'));
      String last = body.substring(body.lastIndexOf('|') + 1).trim();
      if (first.equals("package") || first.startsWith("---")) {
        continue;
      }
      for (String room : first.split(",")) {
        rowsPerRoom.merge(room.trim(), 1, Integer::sum);
      }
      if (!last.equals("—") && !last.isEmpty()) {
        rows.put(first.replace("`", ""), last);
      }
    }
    List<String> twice =
        rowsPerRoom.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .map(Map.Entry::getKey)
            .toList();
    assertThat(twice)
        .as(
            "architecture.md's rooms table names each room in one row; merge the rows of %s",
            String.join(", ", twice))
        .isEmpty();
    return rows;
  }
}

package io.comfyvn.compute.gpu;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Dry-run job ids: {@code mock-<provider>-<seed>}. */
public final class MockIds {
  private static final Pattern MOCK = Pattern.compile("mock-([a-z0-9_.]+)-(\\d{1,16})");

  private MockIds() {}

  /**
   * A parsed mock id.
   *
   * @param slug provider slug
   * @param seed the job's seed
   */
  public record MockId(String slug, long seed) {}

  /** The mock id of a provider and seed. */
  public static String of(String slug, long seed) {
    return "mock-" + slug + "-" + seed;
  }

  /** Parses a mock id; empty when the text is not one. */
  public static Optional<MockId> parse(String id) {
    Matcher m = MOCK.matcher(id);
    if (!m.matches()) {
      return Optional.empty();
    }
    long seed = Long.parseLong(m.group(2));
    return seed > Seeds.MAX_SEED ? Optional.empty() : Optional.of(new MockId(m.group(1), seed));
  }
}

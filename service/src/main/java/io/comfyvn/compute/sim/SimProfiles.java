package io.comfyvn.compute.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.comfyvn.compute.advisor.Timing;
import io.comfyvn.compute.advisor.TimingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The Sim-mode profiles of the public providers ({@code profiles.json} beside this class). They are
 * also the advisor's {@link TimingModel}, so advice and simulation agree on queue, cold-start and
 * run times.
 */
public final class SimProfiles implements TimingModel {
  private static final ObjectMapper READER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final Map<String, SimProfile> bySlug;
  private final SimProfile.Run genericRun;

  /** The data file's shape. */
  private record ProfilesFile(
      int schema, SimProfile.Run genericRun, Map<String, SimProfile> providers) {}

  public SimProfiles(Map<String, SimProfile> bySlug, SimProfile.Run genericRun) {
    bySlug.forEach((slug, p) -> p.validate(slug));
    this.bySlug = Map.copyOf(bySlug); // looked up only, never iterated into an answer
    this.genericRun = genericRun;
  }

  /** The shipped profiles. */
  public static SimProfiles load() {
    try (InputStream in = SimProfiles.class.getResourceAsStream("profiles.json")) {
      if (in == null) {
        throw new IllegalStateException("missing profiles.json beside " + SimProfiles.class);
      }
      ProfilesFile f = READER.readValue(in, ProfilesFile.class);
      return new SimProfiles(f.providers(), f.genericRun());
    } catch (IOException e) {
      throw new UncheckedIOException("bad profiles.json", e);
    }
  }

  /** The profile of a public provider slug. */
  public Optional<SimProfile> find(String slug) {
    return Optional.ofNullable(bySlug.get(slug));
  }

  @Override
  public Timing expected(String providerId, double workUnits, double relativeSpeed) {
    SimProfile p = bySlug.get(providerId);
    if (p == null) {
      return new Timing(0, 0, 0, genericRun.medianMs(workUnits, relativeSpeed) / 1000);
    }
    double runMean =
        p.run().medianMs(workUnits, relativeSpeed)
            * StrictMath.exp(p.run().sigma() * p.run().sigma() / 2);
    double coldMean =
        new SimProfile.Dist(p.coldStart().medianMs(), p.coldStart().sigma(), p.coldStart().maxMs())
            .meanMs();
    return new Timing(
        p.queue().meanMs() / 1000, p.coldStart().probability(), coldMean / 1000, runMean / 1000);
  }
}

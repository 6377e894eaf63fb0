package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The pricing catalog: every provider profile and GPU offer the advisor knows, read from {@code
 * catalog.json} beside this class, with the user's price overrides and self-hosted boxes from
 * {@code config/comfyvn.json} applied. Immutable; lookups are case-insensitive.
 */
public final class PricingCatalog {
  private static final ObjectMapper READER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final List<CatalogProvider> providers;
  private final Map<String, CatalogProvider> byName;

  /** The data file's shape. */
  private record CatalogFile(int schema, List<CatalogProvider> providers) {}

  private PricingCatalog(List<CatalogProvider> providers) {
    List<CatalogProvider> sorted = new ArrayList<>(providers);
    sorted.sort(
        Comparator.comparingInt(CatalogProvider::priority).thenComparing(CatalogProvider::id));
    this.providers = List.copyOf(sorted);
    Map<String, CatalogProvider> names = new LinkedHashMap<>();
    // Ids first, then aliases, then service words: an id always wins over another's alias.
    sorted.forEach(p -> names.putIfAbsent(key(p.id()), p));
    sorted.forEach(p -> p.aliases().forEach(a -> names.putIfAbsent(key(a), p)));
    sorted.forEach(p -> names.putIfAbsent(key(p.service()), p));
    this.byName = Map.copyOf(names);
  }

  /** The shipped catalog with the user's settings applied. */
  public static PricingCatalog load(AdvisorSettings settings) {
    List<CatalogProvider> base = read().providers();
    GpuSpeeds speeds = GpuSpeeds.load();
    List<CatalogProvider> out = new ArrayList<>();
    Map<String, AdvisorSettings.PriceOverride> pending =
        new LinkedHashMap<>(settings.priceOverrides());
    for (CatalogProvider p : base) {
      List<Offer> offers = new ArrayList<>();
      for (Offer o : p.offers()) {
        check(p, o);
        Offer withId = o.with(p.id(), speeds.of(o.gpu()));
        AdvisorSettings.PriceOverride ov = pending.remove(key(p.id() + "/" + o.sku()));
        offers.add(ov == null ? withId : overridden(withId, ov));
      }
      out.add(p.withOffers(offers));
    }
    if (!pending.isEmpty()) {
      throw new ConfigException(
          "config/comfyvn.json: advisor.price_overrides names offers the catalog does not have: "
              + String.join(", ", pending.keySet()));
    }
    for (AdvisorSettings.SelfHosted box : settings.selfHosted()) {
      if (out.stream().anyMatch(p -> p.id().equals(box.id()))) {
        throw new ConfigException(
            "config/comfyvn.json: advisor.self_hosted id '" + box.id() + "' is a catalog id");
      }
      out.add(
          selfHosted(
              box, box.relativeSpeed() != null ? box.relativeSpeed() : speeds.of(box.gpu())));
    }
    return new PricingCatalog(out);
  }

  private static CatalogFile read() {
    try (InputStream in = PricingCatalog.class.getResourceAsStream("catalog.json")) {
      if (in == null) {
        throw new IllegalStateException("missing catalog.json beside " + PricingCatalog.class);
      }
      return READER.readValue(in, CatalogFile.class);
    } catch (IOException e) {
      throw new UncheckedIOException("bad catalog.json", e);
    }
  }

  /** A row a hand edit broke stops the service at start, naming the row. */
  private static void check(CatalogProvider p, Offer o) {
    String problem = null;
    if (o.sku() == null || o.gpu() == null || o.priceAsOf() == null || o.source() == null) {
      problem = "sku, gpu, price_as_of and source are required";
    } else if (!(o.vramGb() > 0)) {
      problem = "vram_gb must be above 0";
    } else if (o.usdPerSecond() < 0 || o.usdPerHour() < 0) {
      problem = "prices must not be negative";
    } else if (Math.abs(o.usdPerSecond() * 3600 - o.usdPerHour()) > 0.01 * o.usdPerHour() + 1e-9) {
      problem = "usd_per_second x 3600 and usd_per_hour disagree by more than 1%";
    } else if (o.billingIncrementS() < 1 || o.billingMinimumS() < 0) {
      problem = "billing_increment_s must be at least 1 and billing_minimum_s not negative";
    }
    if (problem != null) {
      throw new IllegalStateException("catalog.json: " + p.id() + "/" + o.sku() + ": " + problem);
    }
  }

  private static Offer overridden(Offer o, AdvisorSettings.PriceOverride ov) {
    return new Offer(
        o.provider(),
        o.sku(),
        o.gpu(),
        o.vramGb(),
        ov.usdPerHour() / 3600,
        ov.usdPerHour(),
        o.billingIncrementS(),
        o.billingMinimumS(),
        o.regions(),
        ov.priceAsOf(),
        "config/comfyvn.json advisor.price_overrides",
        "catalog price was " + Numbers.rate(o.usdPerHour()) + "/h as of " + o.priceAsOf(),
        o.relativeSpeed());
  }

  private static CatalogProvider selfHosted(AdvisorSettings.SelfHosted box, double speed) {
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    meta.put("supports_large_assets", true);
    meta.put("supports_persistent_storage", true);
    meta.put("supports_long_running", true);
    meta.put("supports_short_burst", true);
    meta.putArray("regions").add("self_hosted");
    Offer offer =
        new Offer(
            box.id(),
            "self",
            box.gpu(),
            box.vramGb(),
            box.usdPerHour() / 3600,
            box.usdPerHour(),
            1,
            0,
            List.of("self_hosted"),
            "config",
            "config/comfyvn.json advisor.self_hosted",
            null,
            speed);
    return new CatalogProvider(
        box.id(),
        box.name(),
        "self_hosted",
        "comfyui",
        "self_hosted:comfyui",
        null,
        box.baseUrl(),
        List.of(),
        5,
        true,
        false,
        0,
        List.of(),
        List.of(),
        meta,
        List.of(offer));
  }

  /** Every provider, by priority then id. */
  public List<CatalogProvider> providers() {
    return providers;
  }

  /** A provider by id, alias or (legacy) service word, any case. */
  public Optional<CatalogProvider> find(String name) {
    return Optional.ofNullable(byName.get(key(name)));
  }

  /** An offer of a provider by its SKU, any case. */
  public Optional<Offer> offer(String providerId, String sku) {
    return find(providerId)
        .flatMap(
            p -> p.offers().stream().filter(o -> o.sku().equalsIgnoreCase(sku.trim())).findFirst());
  }

  /** How many offers the catalog holds. */
  public int offerCount() {
    return providers.stream().mapToInt(p -> p.offers().size()).sum();
  }

  private static String key(String name) {
    return name.trim().toLowerCase(Locale.ROOT);
  }
}

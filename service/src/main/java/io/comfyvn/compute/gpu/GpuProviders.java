package io.comfyvn.compute.gpu;

import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.http.EgressPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/** The known public GPU providers, looked up by slug or alias, case-insensitively. */
public final class GpuProviders {
  private final Map<String, GpuProvider> bySlug;
  private final Map<String, GpuProvider> byName;

  public GpuProviders(Collection<GpuProvider> providers) {
    Map<String, GpuProvider> slugs = new LinkedHashMap<>();
    Map<String, GpuProvider> names = new LinkedHashMap<>();
    List<GpuProvider> sorted = new ArrayList<>(providers);
    sorted.sort(Comparator.comparing(p -> p.descriptor().slug()));
    for (GpuProvider p : sorted) {
      ProviderDescriptor d = p.descriptor();
      slugs.put(d.slug(), p);
      register(names, d.slug(), p);
      d.aliases().forEach(a -> register(names, a, p));
    }
    this.bySlug = Map.copyOf(slugs);
    this.byName = Map.copyOf(names);
  }

  /** Every provider on the class path. */
  public static GpuProviders discover() {
    List<GpuProvider> found = new ArrayList<>();
    try {
      ServiceLoader.load(GpuProvider.class).forEach(found::add);
    } catch (java.util.ServiceConfigurationError | ExceptionInInitializerError e) {
      // a provider whose provider.json is unusable fails in its static initializer: report the
      // data problem itself (file and entry), not the class-loading wrapper around it
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof io.comfyvn.compute.config.ConfigException bad) {
          throw new io.comfyvn.compute.config.ConfigException(bad.getMessage());
        }
      }
      throw e;
    }
    return new GpuProviders(found);
  }

  private static void register(Map<String, GpuProvider> names, String name, GpuProvider p) {
    GpuProvider clash = names.putIfAbsent(name.toLowerCase(Locale.ROOT), p);
    if (clash != null && clash != p) {
      throw new IllegalStateException(
          "provider name '" + name + "' is claimed by " + clash.descriptor().slug() + " too");
    }
  }

  /** The provider a name (slug or alias, any case) refers to. */
  public Optional<GpuProvider> find(String name) {
    return Optional.ofNullable(byName.get(name.trim().toLowerCase(Locale.ROOT)));
  }

  /** The provider a name refers to, or a 404 listing the known slugs. */
  public GpuProvider require(String name) {
    return find(name)
        .orElseThrow(
            () ->
                ComputeException.notFound(
                    "unknown_provider",
                    "provider '"
                        + abbreviate(name)
                        + "' is not supported; known: "
                        + String.join(", ", slugs())));
  }

  /** The canonical slugs, sorted. */
  public List<String> slugs() {
    return bySlug.keySet().stream().sorted().toList();
  }

  /** Every provider, sorted by slug. */
  public List<GpuProvider> all() {
    return slugs().stream().map(bySlug::get).toList();
  }

  /** Every secret key the providers read, required and optional, each with its spellings. */
  public List<io.comfyvn.compute.secrets.SecretKey> secretKeys() {
    List<io.comfyvn.compute.secrets.SecretKey> out = new java.util.ArrayList<>();
    for (GpuProvider p : all()) {
      out.addAll(p.descriptor().secretKeys());
      out.addAll(p.descriptor().optionalSecretKeys());
    }
    return List.copyOf(out);
  }

  /**
   * Where credentials may go: every provider's documented hosts ({@code egress_hosts} in its {@code
   * provider.json}), the secrets sections it owns, and the user's allowed base URLs.
   *
   * @param egress the {@code egress} section of {@code config/comfyvn.json}
   */
  public EgressPolicy egressPolicy(com.fasterxml.jackson.databind.JsonNode egress) {
    Map<String, List<String>> hosts = new LinkedHashMap<>();
    Map<String, String> sections = new LinkedHashMap<>();
    for (GpuProvider p : all()) {
      ProviderDescriptor d = p.descriptor();
      hosts.put(d.slug(), d.egressHosts());
      List<ProviderDescriptor.SecretSpec> specs = new ArrayList<>(d.secrets());
      specs.addAll(d.optionalSecrets());
      for (ProviderDescriptor.SecretSpec s : specs) {
        sections.put(s.section(), d.slug());
        if (s.sectionAliases() != null) {
          s.sectionAliases().forEach(a -> sections.put(a, d.slug()));
        }
      }
    }
    return EgressPolicy.of(hosts, sections, egress);
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}

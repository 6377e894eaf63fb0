package io.comfyvn.compute.registry;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.Offer;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.errors.ComputeException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Registry templates: the catalog's local and legacy profiles (ComfyVN's {@code
 * provider_profiles}), so the data lives once, in the advisor's {@code catalog.json}. Public
 * adapters are not templates: they are configured under {@code providers_gpu}.
 */
public final class ProviderTemplates {
  private final List<Template> templates;

  /**
   * One template, in ComfyVN's {@code templates_public()} shape.
   *
   * @param id catalog id
   * @param name display name
   * @param kind registry kind: local, remote or lan
   * @param service service word
   * @param baseUrl default base URL
   * @param gpu the profile's first GPU, or null
   * @param fields the credential fields (names only; values go to the secrets file)
   * @param priority ordering
   * @param metadata capabilities
   * @param preferredWorkloads workloads it suits
   */
  public record Template(
      String id,
      String name,
      String kind,
      String service,
      String baseUrl,
      String gpu,
      List<String> fields,
      int priority,
      ObjectNode metadata,
      List<String> preferredWorkloads) {}

  public ProviderTemplates(PricingCatalog catalog) {
    this.templates =
        catalog.providers().stream()
            .filter(p -> "local".equals(p.kind()) || "legacy".equals(p.kind()))
            .map(ProviderTemplates::template)
            .toList();
  }

  private static Template template(CatalogProvider p) {
    String kind =
        "local".equals(p.kind())
            ? "local"
            : "lan".equals(p.service()) || "ssh".equals(p.service()) ? "lan" : "remote";
    return new Template(
        p.id(),
        p.name(),
        kind,
        p.service(),
        p.baseUrl(),
        p.offers().stream().map(Offer::gpu).findFirst().orElse(null),
        p.authFields(),
        p.priority(),
        p.metadata(),
        p.preferredWorkloads());
  }

  /** Every template, by priority. */
  public List<Template> all() {
    return templates;
  }

  /** A template by id, or by the service word when no id matches (ComfyVN's {@code runpod}). */
  public Optional<Template> find(String idOrService) {
    String key = idOrService.toLowerCase(Locale.ROOT);
    return templates.stream()
        .filter(t -> t.id().equals(key))
        .findFirst()
        .or(() -> templates.stream().filter(t -> t.service().equals(key)).findFirst());
  }

  /** The local entry as it is before the user changes it. */
  public ComputeProvider localDefault(Instant now) {
    Template t =
        find(ComputeProvider.LOCAL_ID)
            .orElseThrow(() -> new IllegalStateException("catalog.json has no 'local' profile"));
    ObjectNode payload = payload(t, JsonNodeFactory.instance.objectNode());
    return Entries.parse(payload, null, now, false);
  }

  /**
   * A registration payload from a template and the caller's overrides ({@code id}, {@code name},
   * {@code base_url}, {@code meta}, {@code priority}, {@code active}).
   */
  public ObjectNode payload(Template t, ObjectNode overrides) {
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    meta.put("template", t.id());
    meta.put("credentials", t.service());
    if (t.gpu() != null) {
      meta.put("gpu", t.gpu());
    }
    meta.set(
        "auth_fields",
        JsonNodeFactory.instance
            .arrayNode()
            .addAll(t.fields().stream().map(JsonNodeFactory.instance::textNode).toList()));
    meta.set(
        "preferred_workloads",
        JsonNodeFactory.instance
            .arrayNode()
            .addAll(
                t.preferredWorkloads().stream().map(JsonNodeFactory.instance::textNode).toList()));
    meta.set("metadata", t.metadata().deepCopy());
    ObjectNode extraMeta = Entries.object(overrides, "meta");
    if (extraMeta != null) {
      meta.setAll(extraMeta.deepCopy());
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("id", t.id());
    out.put("name", t.name());
    out.put("kind", t.kind());
    out.put("service", t.service());
    out.put("base_url", t.baseUrl());
    out.put("priority", t.priority());
    out.put("active", true);
    for (String f : new String[] {"id", "name", "base_url", "priority", "active"}) {
      if (overrides.hasNonNull(f)) {
        out.set(f, overrides.get(f).deepCopy());
      }
    }
    out.set("meta", meta);
    return out;
  }

  /** The template a {@code create} names, or a 404. */
  public Template require(String id) {
    return find(id)
        .orElseThrow(
            () ->
                ComputeException.notFound(
                    "unknown_template",
                    "no template '"
                        + id
                        + "'; known: "
                        + String.join(", ", templates.stream().map(Template::id).toList())));
  }
}

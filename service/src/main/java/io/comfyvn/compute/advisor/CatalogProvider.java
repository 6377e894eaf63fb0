package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A compute provider profile of the catalog: a public adapter (RunPod, Hugging Face, Replicate,
 * Modal), one of ComfyVN's legacy curated profiles, the local box, or a user's self-hosted box.
 *
 * @param id catalog id, e.g. {@code runpod}, {@code runpod_pods}, {@code unraid}
 * @param name display name
 * @param kind {@code public}, {@code legacy}, {@code local} or {@code self_hosted}
 * @param service ComfyVN's service word (legacy resolution by service keeps working)
 * @param adapter which code would run a job there: {@code public:<slug>} (this service's adapters,
 *     including {@code public:comfyui} for the local and unRAID ComfyUI profiles), {@code
 *     legacy:runpod}, {@code legacy:generic}, {@code self_hosted:comfyui}
 * @param publicAdapter the public adapter slug, or null when there is none
 * @param baseUrl the provider's API base
 * @param authFields the credential fields the provider needs
 * @param priority ComfyVN's ordering (lower first) used to break ties
 * @param adviseByDefault whether the advisor considers it without being asked to
 * @param billsStartup whether cold start / boot time is billed
 * @param startupS boot time of a pod or VM before work starts (serverless cold starts are in the
 *     sim profiles instead)
 * @param preferredWorkloads workload types the profile is tuned for
 * @param aliases other names that resolve to it
 * @param metadata capabilities ({@code supports_*}, regions, notes)
 * @param offers its GPU offers
 */
public record CatalogProvider(
    String id,
    String name,
    String kind,
    String service,
    String adapter,
    String publicAdapter,
    String baseUrl,
    List<String> authFields,
    int priority,
    boolean adviseByDefault,
    boolean billsStartup,
    double startupS,
    List<String> preferredWorkloads,
    List<String> aliases,
    ObjectNode metadata,
    List<Offer> offers) {

  public CatalogProvider {
    authFields = authFields == null ? List.of() : List.copyOf(authFields);
    preferredWorkloads = preferredWorkloads == null ? List.of() : List.copyOf(preferredWorkloads);
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
    metadata = metadata == null ? JsonNodeFactory.instance.objectNode() : metadata.deepCopy();
    offers = offers == null ? List.of() : List.copyOf(offers);
  }

  /** A capability flag from the metadata ({@code supports_short_burst}...). */
  public boolean supports(String capability) {
    return metadata.path(capability).asBoolean(false);
  }

  CatalogProvider withOffers(List<Offer> replaced) {
    return new CatalogProvider(
        id,
        name,
        kind,
        service,
        adapter,
        publicAdapter,
        baseUrl,
        authFields,
        priority,
        adviseByDefault,
        billsStartup,
        startupS,
        preferredWorkloads,
        aliases,
        metadata,
        replaced);
  }
}

package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.RateLimit;
import io.comfyvn.compute.gpu.http.ResilienceSettings;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import io.comfyvn.compute.secrets.SecretKey;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * A provider's metadata, read from the {@code provider.json} data file beside its package: who it
 * is, which secrets it needs, where its docs and prices are, and the config hints Studio and the
 * advisor seed defaults from.
 *
 * @param slug canonical lower-case id, e.g. {@code huggingface}
 * @param name display name
 * @param aliases other names accepted in requests (case-insensitive)
 * @param secrets the secret keys it needs (live mode is only chosen when all are present)
 * @param optionalSecrets secret keys it uses when present but never requires (e.g. a bearer token
 *     for a reverse proxy in front of a self-hosted box); they are not in the sample secrets file,
 *     do not affect readiness or the dry-run contract, and are scrubbed like the required ones
 * @param docsUrl the provider's API docs
 * @param pricingUrl the provider's price page
 * @param pricingAsOf the date of the pricing snapshot this service ships (ISO date)
 * @param hints config hints: default base URL, regions, hardware profiles, setting keys
 * @param capabilities what the provider can do (webhooks, cancel, logs...)
 * @param limits documented rate limits by operation ({@code create}, {@code read}, {@code cancel})
 * @param timeoutsMs how long one attempt of each operation waits for its whole answer, in ms, by
 *     operation; an operation not listed gets the transport's default
 * @param egressHosts the provider's documented API hosts, the only ones (besides the user's {@code
 *     egress.allowed_base_urls}) its credentials are sent to; {@code *.example.com} for any host
 *     below a domain (see {@link io.comfyvn.compute.gpu.http.EgressPolicy})
 */
public record ProviderDescriptor(
    String slug,
    String name,
    List<String> aliases,
    List<SecretSpec> secrets,
    List<SecretSpec> optionalSecrets,
    String docsUrl,
    String pricingUrl,
    String pricingAsOf,
    Hints hints,
    List<String> capabilities,
    Map<String, RateLimit> limits,
    Map<String, Long> timeoutsMs,
    List<String> egressHosts) {

  private static final ObjectMapper READER =
      JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

  public ProviderDescriptor {
    aliases = List.copyOf(aliases);
    secrets = List.copyOf(secrets);
    optionalSecrets = optionalSecrets == null ? List.of() : List.copyOf(optionalSecrets);
    capabilities = List.copyOf(capabilities);
    limits = limits == null ? Map.of() : Map.copyOf(limits);
    timeoutsMs = timeoutsMs == null ? Map.of() : Map.copyOf(timeoutsMs);
    egressHosts = egressHosts == null ? List.of() : List.copyOf(egressHosts);
  }

  /**
   * One secret as the data file describes it.
   *
   * @param section canonical section in the secrets file
   * @param field canonical field
   * @param sectionAliases other section spellings accepted
   * @param fieldAliases other field spellings accepted
   * @param placeholder the value shown in the sample secrets file
   */
  public record SecretSpec(
      String section,
      String field,
      List<String> sectionAliases,
      List<String> fieldAliases,
      String placeholder) {
    /** The lookup key for the secret store. */
    public SecretKey key() {
      return new SecretKey(
          section,
          field,
          sectionAliases == null ? List.of() : sectionAliases,
          fieldAliases == null ? List.of() : fieldAliases);
    }
  }

  /**
   * Config hints for a provider.
   *
   * @param baseUrl default API base URL
   * @param regions regions the provider offers
   * @param hardware hardware profiles (GPU names or SKUs)
   * @param settings the keys its {@code providers_gpu.<slug>} section understands
   */
  public record Hints(
      String baseUrl, List<String> regions, List<String> hardware, Map<String, String> settings) {
    public Hints {
      regions = List.copyOf(regions);
      hardware = List.copyOf(hardware);
      settings = Map.copyOf(settings);
    }
  }

  /** The secret keys in lookup form. */
  @JsonIgnore
  public List<SecretKey> secretKeys() {
    return secrets.stream().map(SecretSpec::key).toList();
  }

  /** The optional secret keys in lookup form. */
  @JsonIgnore
  public List<SecretKey> optionalSecretKeys() {
    return optionalSecrets.stream().map(SecretSpec::key).toList();
  }

  /** The qualified names of the required secrets, e.g. {@code runpod.api_key}. */
  @JsonProperty("required_secrets")
  public List<String> requiredSecrets() {
    return secretKeys().stream().map(SecretKey::qualifiedName).toList();
  }

  /**
   * The provider's transport settings: its documented limits and timeouts, then the overrides in
   * its config section.
   *
   * @throws io.comfyvn.compute.config.ConfigException naming the setting when one is unusable
   */
  public ResilienceSettings resilience(ProviderSettings settings) {
    return ResilienceSettings.of(slug, limits, timeoutsMs, settings);
  }

  /**
   * Reads {@code provider.json} from the package of the given class and checks its rate-limit and
   * timeout data.
   *
   * @throws ConfigException naming the file and the entry when it is unusable
   */
  public static ProviderDescriptor load(Class<?> anchor) {
    String file = anchor.getPackageName().replace('.', '/') + "/provider.json";
    try (InputStream in = anchor.getResourceAsStream("provider.json")) {
      if (in == null) {
        throw new ConfigException(file + ": missing beside " + anchor.getName());
      }
      return read(file, in);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Reads and checks a descriptor; {@code file} names it in errors. */
  static ProviderDescriptor read(String file, InputStream in) {
    ProviderDescriptor d;
    try {
      d = READER.readValue(in, ProviderDescriptor.class);
    } catch (JsonMappingException e) {
      // a bad entry: name it by its path (limits.create...) and say why, never quote the file
      Throwable why = e.getCause() != null ? e.getCause() : e;
      throw new ConfigException(
          file
              + ": "
              + path(e)
              + ": "
              + (why instanceof IllegalArgumentException ? why.getMessage() : "unreadable value"));
    } catch (IOException e) {
      throw new ConfigException(file + ": not valid JSON (" + e.getClass().getSimpleName() + ")");
    }
    d.check(file);
    return d;
  }

  private void check(String file) {
    for (Map.Entry<String, Long> t : timeoutsMs.entrySet()) {
      if (!isOperation(t.getKey())) {
        throw new ConfigException(file + ": timeouts_ms." + t.getKey() + ": " + OPS);
      }
      if (t.getValue() == null || t.getValue() < 1) {
        throw new ConfigException(
            file + ": timeouts_ms." + t.getKey() + ": must be a whole number of ms, at least 1");
      }
    }
    for (String op : limits.keySet()) {
      if (!isOperation(op)) {
        throw new ConfigException(file + ": limits." + op + ": " + OPS);
      }
    }
  }

  private static final String OPS = "not an operation (create, read, cancel)";

  private static boolean isOperation(String key) {
    for (Op op : Op.values()) {
      if (op.key().equals(key)) {
        return true;
      }
    }
    return false;
  }

  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.length() == 0 ? "(top level)" : b.toString();
  }
}

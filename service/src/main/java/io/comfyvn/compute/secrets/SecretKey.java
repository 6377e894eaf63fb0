package io.comfyvn.compute.secrets;

import java.util.List;

/**
 * One secret a provider needs, named as the work order's layout names it ({@code section.field}),
 * with the other spellings ComfyVN's files already use.
 *
 * @param section canonical section, e.g. {@code huggingface}
 * @param field canonical field, e.g. {@code api_key}
 * @param sectionAliases other section names accepted, e.g. {@code hf_inference_endpoints}
 * @param fieldAliases other field names accepted, e.g. {@code token}
 */
public record SecretKey(
    String section, String field, List<String> sectionAliases, List<String> fieldAliases) {

  public SecretKey {
    sectionAliases = List.copyOf(sectionAliases);
    fieldAliases = List.copyOf(fieldAliases);
  }

  /** The dotted name shown to users, e.g. {@code replicate.api_token}. */
  public String qualifiedName() {
    return section + "." + field;
  }
}

package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One output of a task.
 *
 * @param name file name
 * @param url where the provider serves it, when it does
 * @param path where this service stored it, relative to the home folder (null for sim outputs,
 *     which are only named)
 * @param mime media type
 * @param sha256 hex digest of the stored bytes
 * @param bytes size of the stored bytes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Artifact(
    String name, String url, String path, String mime, String sha256, Long bytes) {

  /** An output known by name and type only (Sim mode: nothing is stored). */
  public static Artifact named(String name, String mime) {
    return new Artifact(name, null, null, mime, null, null);
  }
}

package io.comfyvn.compute.workflow;

import java.util.Arrays;

/**
 * An input file ready to send: its bytes, what they are and their hash (recorded in provenance).
 *
 * @param name the name the graph's loader uses
 * @param kind what the bytes are
 * @param mime their MIME type
 * @param data the bytes
 * @param sha256 hex SHA-256 of the bytes
 * @param origin how the job gave the file
 */
public record InputFile(
    String name,
    MediaKind kind,
    String mime,
    byte[] data,
    String sha256,
    InputSource.Origin origin) {
  public InputFile {
    data = data.clone();
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  /** How many bytes the file has. */
  public int size() {
    return data.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputFile f
        && f.name.equals(name)
        && f.sha256.equals(sha256)
        && f.origin == origin
        && Arrays.equals(f.data, data);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + sha256.hashCode();
  }

  @Override
  public String toString() {
    return "InputFile[" + name + ", " + mime + ", " + data.length + " bytes, " + sha256 + "]";
  }
}

package io.comfyvn.compute.fakes;

import java.util.Map;
import java.util.TreeMap;

/**
 * A graph one fake provider was given to run, as its stand-in ComfyUI saw it: the provider's own
 * way of naming input files (an uploaded asset, a subfolder of ComfyUI's input folder, an entry of
 * a zip) resolved back to the file's name, so the graphs that every provider received can be
 * compared byte for byte.
 *
 * @param provider the fake that received it ({@code modal}, {@code comfyui}, ...)
 * @param graph the graph's JSON as received (the fake keeps the sender's key order)
 * @param sha256 hex SHA-256 of {@code graph}
 * @param inputs the input files it came with: name -> hex SHA-256
 */
public record ReceivedGraph(
    String provider, String graph, String sha256, Map<String, String> inputs) {
  public ReceivedGraph {
    inputs = java.util.Collections.unmodifiableMap(new TreeMap<>(inputs));
  }
}

package io.comfyvn.compute.workflow;

/**
 * A file a loader node reads from ComfyUI's {@code input} folder.
 *
 * @param nodeId the loader's node id
 * @param classType the loader's class ({@code LoadImage})
 * @param input the input that names the file ({@code image})
 * @param kind what the loader loads
 * @param name the file name, without ComfyUI's {@code " [input]"} annotation
 */
public record InputRef(
    String nodeId, String classType, String input, MediaKind kind, String name) {}

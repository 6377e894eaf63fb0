package io.comfyvn.compute.workflow;

/**
 * A node whose results a run returns.
 *
 * @param nodeId the node id
 * @param classType its class
 * @param kind what it saves
 * @param extension the file extension it writes ({@code png}, {@code mp4}, ...), or null when the
 *     node's class is not in the catalog (a custom output the job named in {@code outputs})
 * @param preview whether ComfyUI writes it to {@code temp} (a preview, not a saved result)
 */
public record OutputNode(
    String nodeId, String classType, MediaKind kind, String extension, boolean preview) {}

package io.comfyvn.compute.workflow;

/**
 * A model file a loader node names.
 *
 * @param nodeId the loader's node id
 * @param classType the loader's class ({@code CheckpointLoaderSimple})
 * @param input the input that names the file ({@code ckpt_name})
 * @param folder ComfyUI's model folder for it ({@code checkpoints}), as {@code /models/<folder>}
 *     lists it
 * @param name the file name the graph gives
 */
public record ModelRef(String nodeId, String classType, String input, String folder, String name) {}

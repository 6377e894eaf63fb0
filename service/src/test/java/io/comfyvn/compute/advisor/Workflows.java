package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;

/** ComfyUI API-format workflows for tests, built the way ComfyUI exports them. */
public final class Workflows {
  private Workflows() {}

  /** A text-to-image graph: checkpoint, latent, sampler, decode. */
  public static ObjectNode txt2img(String ckpt, int width, int height, int batch) {
    ObjectNode g = JsonNodeFactory.instance.objectNode();
    node(g, "4", "CheckpointLoaderSimple").put("ckpt_name", ckpt);
    ObjectNode latent = node(g, "5", "EmptyLatentImage");
    latent.put("width", width).put("height", height).put("batch_size", batch);
    ObjectNode pos = node(g, "6", "CLIPTextEncode");
    pos.put("text", "a castle on a hill");
    pos.set("clip", link("4", 1));
    ObjectNode sampler = node(g, "3", "KSampler");
    sampler.put("seed", 42).put("steps", 20).put("cfg", 7.0).put("sampler_name", "euler");
    sampler.set("model", link("4", 0));
    sampler.set("latent_image", link("5", 0));
    ObjectNode decode = node(g, "8", "VAEDecode");
    decode.set("samples", link("3", 0));
    decode.set("vae", link("4", 2));
    return g;
  }

  /** Adds a node and returns its inputs. */
  public static ObjectNode node(ObjectNode graph, String id, String classType) {
    ObjectNode n = graph.putObject(id);
    n.put("class_type", classType);
    return n.putObject("inputs");
  }

  /** A link to another node's output, as ComfyUI writes it. */
  public static JsonNode link(String node, int output) {
    return JsonNodeFactory.instance.arrayNode().add(node).add(output);
  }

  /** Parses JSON text (single quotes allowed for readability). */
  public static JsonNode json(String text) {
    try {
      return Json.mapper().readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}

package io.comfyvn.compute.hooks;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * ComfyVN's hook envelope: {@code {event, ts, data}}.
 *
 * @param event the hook name
 * @param ts seconds since the epoch, with millisecond precision
 * @param data the payload
 */
public record HookEvent(String event, double ts, ObjectNode data) {}

package io.comfyvn.compute.gpu.http;

import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.time.Duration;

/**
 * One provider request on its way down the transport's layers: what kind of call it is (which
 * decides its rate limit and whether it may be resent), the request, and how long to wait for the
 * whole answer.
 *
 * @param op create, read or cancel
 * @param call the request
 * @param timeout how long one attempt may wait for the whole answer
 */
record Exchange(Op op, HttpCall call, Duration timeout) {}

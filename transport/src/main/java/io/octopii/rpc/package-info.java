/**
 * RPC between cluster members over a {@link io.octopii.transport.Transport}'s RPC channel: named
 * handlers, correlated requests with deadlines enforced on both sides, one-way messages.
 * Entry point: {@link io.octopii.rpc.RpcEndpoint}.
 */
package io.octopii.rpc;

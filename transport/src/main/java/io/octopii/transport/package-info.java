/**
 * The transport SPI ({@link io.octopii.transport.Transport}) and its public configuration. Implementations:
 * QUIC over Kwik ({@code io.octopii.transport.quic}), Aeron UDP/IPC ({@code io.octopii.transport.aeron})
 * and the deterministic simulator's in-memory network ({@code io.octopii.transport.sim}).
 */
package io.octopii.transport;

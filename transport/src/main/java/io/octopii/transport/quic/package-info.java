/**
 * The QUIC implementation of {@link io.octopii.transport.Transport}, over Kwik 0.10.8:
 * {@link io.octopii.transport.quic.QuicTransport} (entry point), {@link io.octopii.transport.quic.TransportEvent}
 * (counters) and {@link io.octopii.transport.quic.DevCertificates} (development CA and node certificates).
 *
 * <p>What stock Kwik 0.10.8 gets wrong is contained here: long-lived streams can stall (consensus uses
 * acknowledged datagrams; RPC and shipping use acknowledged batches on fresh streams with a stall
 * watchdog), its server calls {@code System.exit(9)} on a socket error (its socket is a
 * {@code ContainedDatagramSocket} that never throws before close), it sends datagram bursts
 * last-in-first-out (reordered on receipt), it validates EC certificates with the RSA auth type (a
 * cluster trust manager validates with the neutral type), and it releases a peer's stream credit only
 * when the stream is read to its FIN (every batch is).
 */
package io.octopii.transport.quic;

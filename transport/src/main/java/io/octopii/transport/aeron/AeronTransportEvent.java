package io.octopii.transport.aeron;

/**
 * What an {@link AeronTransport} counts. Read with {@link AeronTransport#count(AeronTransportEvent)};
 * every counter only grows. Refusals are counted on the receiving side, which is the only side that
 * can see them: Aeron links are one-way, each direction carries its own Hello.
 */
public enum AeronTransportEvent
{
    /** A Hello from a member was accepted on a new image (a peer started, restarted or reconnected). */
    HELLO_ACCEPTED,
    /** A Hello naming another cluster id was dropped. */
    HELLO_WRONG_CLUSTER,
    /** A Hello from a node id that is not a member (or is this node's own id) was dropped. */
    HELLO_UNKNOWN_MEMBER,
    /** A Hello whose protocol version range does not overlap ours was dropped. */
    HELLO_PROTOCOL_VERSION_MISMATCH,
    /** A message arrived on an image that has not said Hello (unknown sender); dropped. */
    UNKNOWN_SENDER_DROPPED,
    /** A message failed codec validation ({@link io.octopii.codec.FrameReason}); dropped. */
    MALFORMED_FRAME,
    /** A link to a member became CONNECTED. */
    LINK_UP,
    /** A CONNECTED link to a member went down (peer silent past peerTimeoutNs, or publication lost). */
    LINK_DOWN,
    /** Unexpected exceptions on the transport's thread (also passed to the error handler). */
    UNEXPECTED_ERROR,
    /**
     * Errors and warnings of the embedded media driver (e.g. a datagram the network refused); the error handler
     * sees the first of each kind and then at most one per 10 s.
     */
    DRIVER_ERROR;

    static final AeronTransportEvent[] VALUES = values();
    static final int COUNT = VALUES.length;
}

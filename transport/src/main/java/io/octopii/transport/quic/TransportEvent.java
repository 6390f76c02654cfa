package io.octopii.transport.quic;

/**
 * What a {@link QuicTransport} counts. Read with {@link QuicTransport#count(TransportEvent)}; each
 * counter only grows. Refusals are counted on the side that refused.
 */
public enum TransportEvent
{
    /** A peer completed the handshake and its link is up (either direction). */
    LINK_UP,
    /** An established link went down (peer closed, idle timeout, replaced, transport closing). */
    LINK_DOWN,
    /** A dial attempt failed before the handshake (unreachable, TLS failure, timeout). */
    DIAL_FAILED,
    /** Refused a peer claiming another cluster id. */
    REFUSED_WRONG_CLUSTER,
    /** Refused a peer whose node id is not a member (or must not dial us). */
    REFUSED_UNKNOWN_MEMBER,
    /** Refused a peer whose HMAC proof of the cluster secret did not verify. */
    REFUSED_BAD_PROOF,
    /** Refused a peer speaking no protocol version we speak. */
    REFUSED_PROTOCOL_VERSION,
    /** Refused a connection that sent a malformed or unexpected handshake frame. */
    REFUSED_MALFORMED_HANDSHAKE,
    /** Refused a connection that did not finish the handshake in time. */
    REFUSED_HANDSHAKE_TIMEOUT,
    /** We were refused by the peer we dialled (its HandshakeResult or a failed proof of the peer). */
    REFUSED_BY_PEER,
    /** A stream or datagram arrived on a connection that is not yet authenticated; dropped. */
    UNAUTHENTICATED_TRAFFIC_DROPPED,
    /** An inbound message failed codec validation; its stream was closed or its datagram dropped. */
    MALFORMED_FRAME,
    /** An inbound stream batch had a bad header; the stream was closed. */
    MALFORMED_BATCH,
    /** Consensus messages dropped because the inbound ring was full (Raft retransmits). */
    INBOUND_CONSENSUS_DROPPED,
    /** Consensus datagrams dropped because they were too far ahead of delivery (the sender re-sends them). */
    CONSENSUS_REASSEMBLY_DROPPED,
    /** Retransmission timeouts on the consensus channel (unacknowledged messages re-sent). */
    CONSENSUS_RETRANSMIT,
    /** Duplicate datagrams discarded. */
    DUPLICATE_DATAGRAM,
    /**
     * A link closed (and re-dialled) because its consensus channel had messages unacknowledged with no progress
     * for {@code ConsensusSenderAgent#STALL_TIMEOUT_NS} despite re-sends: a fresh connection instead of a stall.
     */
    CONSENSUS_STALLED,
    /** Stream batches not acknowledged in time: the stream was abandoned and the batch re-sent. */
    STREAM_STALL,
    /** Duplicate stream batches (re-sent after a stall) discarded by the receiver. */
    DUPLICATE_BATCH,
    /**
     * A stream batch that arrived ahead of an earlier one was still waiting for it when its session closed, and was
     * dropped unacknowledged.
     */
    BATCH_DROPPED_AT_CLOSE,
    /** Stream batches that arrived before an earlier one of their channel and waited for it (a window in flight). */
    BATCH_ARRIVED_EARLY,
    /**
     * Inbound batch streams whose bytes stopped arriving for eight stall timeouts (a stream Kwik stalled; the
     * sender has re-sent the batch): reading was aborted, which returns the stream's credit to the peer.
     */
    STREAM_READ_ABANDONED,
    /** Outbound messages discarded because their link went down before they were sent. */
    OUTBOUND_DISCARDED,
    /** Socket errors under the server connector, contained (the socket was re-opened). */
    SOCKET_ERROR_CONTAINED,
    /** Errors reported by Kwik's logger. */
    KWIK_ERROR_LOGGED,
    /** Unexpected exceptions on transport threads (also passed to the error handler). */
    UNEXPECTED_ERROR,
    /**
     * A QUIC connection to this member's server completed its TLS handshake, before the link handshake: with
     * {@link #DIAL_FAILED} on the other side, it tells a connection Kwik never finished setting up from one refused.
     */
    CONNECTION_ACCEPTED,
    /**
     * Consensus messages the offering thread handed to Kwik itself, the link being idle (see {@code
     * TransportContext#consensusDirectSend}).
     */
    CONSENSUS_SENT_DIRECT,
    /**
     * Stream batches found with data to send and no send request queued with Kwik, and given one (see {@code
     * KwikStreamNudge}: Kwik 0.10.8's stream scheduling race), instead of waiting for the stall time-out.
     */
    STREAM_NUDGED,
    /**
     * A link closed (and re-dialled) because a stream channel's oldest batch went unread by the peer (no receipt)
     * through {@code StreamLaneAgent#STALLED_SENDS} sends over at least the idle timeout: the connection itself no
     * longer carries stream bytes (its flow-control credit lost, say), and a fresh one restores it.
     */
    STREAM_CHANNEL_STALLED;

    static final TransportEvent[] VALUES = values();
    static final int COUNT = VALUES.length;
}

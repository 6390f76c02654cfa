package io.octopii.transport.quic;

/**
 * Layout of the QUIC datagrams (RFC 9221) a link carries. All integers little-endian.
 *
 * <pre>
 * Consensus fragment (type 1): one consensus message, split when longer than a datagram. Fragment i
 * holds message bytes [i * fragmentStride, i * fragmentStride + its length); only the last may be short.
 *   0        1                               5               7               9               11
 *  +--------+-------------------------------+---------------+---------------+---------------+-------...
 *  | type=1 |  messageSequence (int32)      | fragmentIndex | fragmentCount | fragmentStride| bytes
 *  +--------+-------------------------------+---------------+---------------+---------------+-------...
 *
 * Batch acknowledgement (type 2): the receiver has delivered stream batch batchSequence.
 * Batch receipt (type 4, same layout): the receiver has read the whole batch off its stream and is
 * delivering it (the stream did not stall; the sender stops its stall timer and waits for the ack).
 *   0        1         2                                       10
 *  +--------+---------+---------------------------------------+
 *  | type=2 | channel |  batchSequence (int64)                |
 *  +--------+---------+---------------------------------------+
 *
 * Keep-alive (type 3): one byte, sent on a link that has been quiet for keepAliveIntervalNs.
 *
 * Consensus batch (type 6): consecutive whole consensus messages firstSequence, firstSequence + 1, ...,
 * each short enough to share one datagram, each behind its length. The sender packs the small messages it
 * takes off the ring in one duty cycle (heartbeats, acks, votes, small appends); Kwik's cost is per datagram,
 * so a 64 B message costs a fraction of one. A re-sent message goes alone, as a type 1 fragment. A batch also
 * carries the sender's consensus acknowledgement for the other direction (deliveredSequence as in type 5, 0 for
 * none), so traffic both ways (appends one way, their responses the other) needs no acknowledgement datagrams.
 *   0        1                               5               7                               11
 *  +--------+-------------------------------+---------------+-------------------------------+--------------+----
 *  | type=6 |  firstSequence (int32)        | messageCount  |  deliveredSequence (int32)    | length (u16) | ...
 *  +--------+-------------------------------+---------------+-------------------------------+--------------+----
 *  then each message's bytes after its length.
 *
 * Consensus acknowledgement (type 5): every consensus message up to deliveredSequence was delivered.
 *   0        1                               5
 *  +--------+-------------------------------+
 *  | type=5 |  deliveredSequence (int32)    |
 *  +--------+-------------------------------+
 * </pre>
 *
 * A datagram may arrive twice (Kwik re-sends them in probes), may be lost, and arrives out of order:
 * Kwik 0.10.8 queues priority frames (datagrams) last-in-first-out, so a burst is reversed. Message
 * sequences are per connection and increase by one per message; {@link ConsensusReassembler} puts
 * fragments and messages back in order and drops duplicates; a gap waits for the sender, which re-sends unacknowledged messages
 * ({@link ConsensusRetransmitBuffer}) after a retransmission timeout, so consensus messages are
 * delivered exactly once and in order within a connection, and never stall behind stream data.
 */
final class LinkDatagramDescriptor
{
    static final byte TYPE_CONSENSUS = 1;
    static final byte TYPE_ACK = 2;
    static final byte TYPE_KEEP_ALIVE = 3;
    static final byte TYPE_RECEIPT = 4;
    static final byte TYPE_CONSENSUS_ACK = 5;
    static final byte TYPE_CONSENSUS_BATCH = 6;
    static final int CONSENSUS_ACK_SEQUENCE_OFFSET = 1;
    static final int CONSENSUS_ACK_LENGTH = 5;

    static final int TYPE_OFFSET = 0;
    static final int SEQUENCE_OFFSET = 1;
    static final int FRAGMENT_INDEX_OFFSET = 5;
    static final int FRAGMENT_COUNT_OFFSET = 7;
    static final int FRAGMENT_STRIDE_OFFSET = 9;
    static final int FRAGMENT_HEADER_LENGTH = 11;
    static final int BATCH_COUNT_OFFSET = 5;
    static final int BATCH_ACK_OFFSET = 7;
    static final int BATCH_HEADER_LENGTH = 11;
    static final int BATCH_LENGTH_PREFIX = 2;

    static final int ACK_CHANNEL_OFFSET = 1;
    static final int ACK_SEQUENCE_OFFSET = 2;
    static final int ACK_LENGTH = 10;

    private LinkDatagramDescriptor()
    {
    }
}

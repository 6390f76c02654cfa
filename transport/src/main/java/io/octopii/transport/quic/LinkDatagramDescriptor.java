package io.octopii.transport.quic;

/**
 * Layout of the QUIC datagrams (RFC 9221) a link carries. All integers little-endian.
 *
 * <pre>
 * Consensus fragment (type 1): one consensus message, split when longer than a datagram.
 *   0        1                               5               7               9
 *  +--------+-------------------------------+---------------+---------------+------------...
 *  | type=1 |  messageSequence (int32)      | fragmentIndex | fragmentCount | message bytes
 *  +--------+-------------------------------+---------------+---------------+------------...
 *
 * Batch acknowledgement (type 2): the receiver has delivered stream batch batchSequence.
 *   0        1         2                                       10
 *  +--------+---------+---------------------------------------+
 *  | type=2 | channel |  batchSequence (int64)                |
 *  +--------+---------+---------------------------------------+
 *
 * Keep-alive (type 3): one byte, sent on a link that has been quiet for keepAliveIntervalNs.
 * </pre>
 *
 * A datagram may arrive twice (Kwik re-sends them in probes) and may be lost: message sequences are
 * per connection and increase by one per message, so the receiver drops anything not newer than what
 * it delivered; a lost fragment loses the message, which Raft's own retransmission covers.
 */
final class LinkDatagramDescriptor
{
    static final byte TYPE_CONSENSUS = 1;
    static final byte TYPE_ACK = 2;
    static final byte TYPE_KEEP_ALIVE = 3;

    static final int TYPE_OFFSET = 0;
    static final int SEQUENCE_OFFSET = 1;
    static final int FRAGMENT_INDEX_OFFSET = 5;
    static final int FRAGMENT_COUNT_OFFSET = 7;
    static final int FRAGMENT_HEADER_LENGTH = 9;

    static final int ACK_CHANNEL_OFFSET = 1;
    static final int ACK_SEQUENCE_OFFSET = 2;
    static final int ACK_LENGTH = 10;

    private LinkDatagramDescriptor()
    {
    }
}

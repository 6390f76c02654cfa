package io.octopii.transport.quic;

/**
 * Layout of a stream batch: the RPC and shipping channels send their messages in batches, one
 * batch per fresh unidirectional QUIC stream, closed (FIN) after the batch. All integers little-endian.
 *
 * <pre>
 *   0         1                   4                                       12                  16
 *  +---------+-------------------+---------------------------------------+-------------------+
 *  | channel | reserved (0)      |  batchSequence (int64)                | batchLength int32 |
 *  +---------+-------------------+---------------------------------------+-------------------+
 *  | frames: [int32 length][SBE message] ... exactly batchLength bytes                      ...
 *  +----------------------------------------------------------------------------------------+
 * </pre>
 *
 * Why not one long-lived stream: stock Kwik 0.10.8 can leave buffered stream data unscheduled forever
 * (a race in its stream output), and neither reads nor writes can be timed out. A batch is therefore
 * acknowledged by a datagram; a batch not acknowledged within {@code stallTimeoutNs} is abandoned
 * (its stream reset) and sent again, with the same sequence, on a fresh stream. The receiver delivers
 * batch {@code n} only after {@code n - 1} and drops duplicates, so each channel stays ordered and
 * exactly-once within one connection; a batch in flight when a connection drops may be lost.
 */
final class StreamBatchDescriptor
{
    static final int CHANNEL_OFFSET = 0;
    static final int SEQUENCE_OFFSET = 4;
    static final int LENGTH_OFFSET = 12;
    static final int HEADER_LENGTH = 16;

    private StreamBatchDescriptor()
    {
    }
}

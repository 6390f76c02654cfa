package io.octopii.transport.quic;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Consensus messages sent on one connection and not yet acknowledged, oldest first, so they can be
 * re-sent when their datagrams are lost. A circular byte buffer of records:
 *
 * <pre>
 *   0                   4                   8                                  16
 *  +-------------------+-------------------+-----------------------------------+----------...
 *  | sequence (int32)  | length (int32)    | lastSentNs (int64)                | message, padded to 8
 *  +-------------------+-------------------+-----------------------------------+----------...
 * </pre>
 * A record that would cross the end is preceded by a padding record (length -1) that fills the tail.
 *
 * <p><b>Thread:</b> the consensus sender only. Allocated once per connection; no allocation after.
 */
final class ConsensusRetransmitBuffer
{
    static final int HEADER_LENGTH = 16;
    private static final int SEQUENCE_OFFSET = 0;
    private static final int LENGTH_OFFSET = 4;
    private static final int SENT_OFFSET = 8;
    private static final int PADDING = -1;

    private final UnsafeBuffer buffer;
    private final int capacity;
    private long head;
    private long tail;
    private int records;

    ConsensusRetransmitBuffer(final int capacity)
    {
        this.capacity = BitUtil.findNextPositivePowerOfTwo(capacity);
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(this.capacity));
    }

    boolean isEmpty()
    {
        return records == 0;
    }

    int records()
    {
        return records;
    }

    /** Bytes held (records, headers and padding): what the peer has not acknowledged yet. */
    long unackedBytes()
    {
        return tail - head;
    }

    /** Whether a message of this length fits now. */
    boolean hasRoomFor(final int length)
    {
        final int recordLength = recordLength(length);
        final int offset = (int)(tail & (capacity - 1));
        final int toEnd = capacity - offset;
        final long needed = recordLength <= toEnd ? recordLength : toEnd + recordLength;
        return capacity - (tail - head) >= needed;
    }

    /** Append a message; call only after {@link #hasRoomFor}. */
    void append(final int sequence, final DirectBuffer src, final int srcOffset, final int length, final long nowNs)
    {
        final int recordLength = recordLength(length);
        int offset = (int)(tail & (capacity - 1));
        if (recordLength > capacity - offset)
        {
            buffer.putInt(offset + LENGTH_OFFSET, PADDING);
            tail += capacity - offset;
            offset = 0;
        }
        buffer.putInt(offset + SEQUENCE_OFFSET, sequence);
        buffer.putInt(offset + LENGTH_OFFSET, length);
        buffer.putLong(offset + SENT_OFFSET, nowNs);
        buffer.putBytes(offset + HEADER_LENGTH, src, srcOffset, length);
        tail += recordLength;
        records++;
    }

    /**
     * Drop every record whose sequence is at or below {@code ackedSequence}.
     *
     * @return when the newest record dropped was last sent, or 0 when none was dropped.
     */
    long releaseUpTo(final int ackedSequence)
    {
        long lastSentNs = 0;
        while (records > 0)
        {
            final int offset = skipPadding();
            if (buffer.getInt(offset + SEQUENCE_OFFSET) - ackedSequence > 0)
            {
                break;
            }
            lastSentNs = buffer.getLong(offset + SENT_OFFSET);
            head += recordLength(buffer.getInt(offset + LENGTH_OFFSET));
            records--;
        }
        return lastSentNs;
    }

    /** When the oldest record was last sent; only when not empty. */
    long oldestSentNs()
    {
        return buffer.getLong(skipPadding() + SENT_OFFSET);
    }

    /**
     * Visit the oldest records for re-sending, stamping them sent at {@code nowNs}: at least one, then
     * more while fewer than {@code limit} records and {@code maxBytes} bytes were visited.
     *
     * @return how many were visited.
     */
    int resend(final int limit, final int maxBytes, final long nowNs, final RecordHandler handler)
    {
        int visited = 0;
        long bytes = 0;
        long position = head;
        for (int i = 0; i < records && visited < limit && (visited == 0 || bytes < maxBytes); i++)
        {
            int offset = (int)(position & (capacity - 1));
            if (buffer.getInt(offset + LENGTH_OFFSET) == PADDING)
            {
                position += capacity - offset;
                offset = 0;
            }
            final int length = buffer.getInt(offset + LENGTH_OFFSET);
            buffer.putLong(offset + SENT_OFFSET, nowNs);
            handler.onRecord(buffer.getInt(offset + SEQUENCE_OFFSET), buffer, offset + HEADER_LENGTH, length);
            bytes += length;
            position += recordLength(length);
            visited++;
        }
        return visited;
    }

    private int skipPadding()
    {
        int offset = (int)(head & (capacity - 1));
        if (buffer.getInt(offset + LENGTH_OFFSET) == PADDING)
        {
            head += capacity - offset;
            offset = 0;
        }
        return offset;
    }

    private static int recordLength(final int length)
    {
        return BitUtil.align(HEADER_LENGTH + length, 8);
    }

    /** Receives a record to re-send. */
    interface RecordHandler
    {
        void onRecord(int sequence, DirectBuffer buffer, int offset, int length);
    }
}

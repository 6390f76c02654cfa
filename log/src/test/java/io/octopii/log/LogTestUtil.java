package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deterministic payloads (a function of index and salt) and helpers shared by the log tests.
 */
final class LogTestUtil
{
    static final int MAX_PAYLOAD = 600;

    private LogTestUtil()
    {
    }

    static int payloadLength(final long index, final long salt)
    {
        return (int)(Math.floorMod(index * 7919L + salt * 31L, MAX_PAYLOAD));
    }

    static void fillPayload(final UnsafeBuffer buffer, final int offset, final long index, final long salt, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(offset + i, (byte)(index * 31 + salt * 17 + i * 13));
        }
    }

    static long termOf(final long index, final long salt)
    {
        return 1 + (index + salt) / 50;
    }

    static UnsafeBuffer wrap(final byte[] bytes)
    {
        final UnsafeBuffer buffer = directBuffer(bytes.length);
        buffer.putBytes(0, bytes);
        return buffer;
    }

    static UnsafeBuffer directBuffer(final int length)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(length));
    }

    /**
     * Append index {@code lastIndex()+1} with the deterministic payload.
     */
    static long appendDeterministic(final RaftLog log, final UnsafeBuffer scratch, final long salt)
    {
        final long index = log.lastIndex() + 1;
        final int length = payloadLength(index, salt);
        fillPayload(scratch, 0, index, salt, length);
        return log.append(termOf(index, salt), index, EntryType.ENTRY, (int)(index & 7), scratch, 0, length);
    }

    static void assertDeterministic(final RaftLog log, final LogRecordView view, final long index, final long salt,
        final String context)
    {
        assertTrue(log.read(index, view), context + ": index " + index + " missing (first=" + log.firstIndex() +
            " last=" + log.lastIndex() + ")");
        assertEquals(index, view.index(), context);
        assertEquals(termOf(index, salt), view.term(), context + ": term of " + index);
        assertEquals(EntryType.ENTRY, view.entryType(), context);
        assertEquals((int)(index & 7), view.flags(), context);
        final int length = payloadLength(index, salt);
        assertEquals(length, view.payloadLength(), context + ": payload length of " + index);
        for (int i = 0; i < length; i++)
        {
            final byte expected = (byte)(index * 31 + salt * 17 + i * 13);
            if (expected != view.buffer().getByte(view.payloadOffset() + i))
            {
                throw new AssertionError(context + ": payload byte " + i + " of index " + index + " differs");
            }
        }
    }
}

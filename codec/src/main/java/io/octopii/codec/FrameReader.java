package io.octopii.codec;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reassembles {@code [int32 length][SBE message]} frames from a byte stream delivered in arbitrary
 * pieces, and passes each whole frame through a {@link FrameDispatcher}.
 *
 * <p>A bad length prefix (negative, oversized, shorter than a header) makes the rest of the stream
 * unreadable: {@link #onBytes} returns the reason and the reader stays failed, and the caller closes
 * the stream. A frame with a valid prefix but a malformed message is skipped, counted, and also
 * returned as the reason, so a caller that treats any bad frame as hostile can close the stream too.
 *
 * <p><b>Thread:</b> one instance per stream, used by one thread at a time. Holds one off-heap buffer
 * of {@code maxMessageLength + 4} bytes, allocated in the constructor.
 */
public final class FrameReader
{
    private final FrameDispatcher dispatcher;
    private final UnsafeBuffer buffer;
    private int limit;
    private int failedReason = FrameReason.OK;

    /**
     * @param dispatcher validates and counts; its max message length bounds the reassembly buffer.
     */
    public FrameReader(final FrameDispatcher dispatcher)
    {
        this.dispatcher = dispatcher;
        final int capacity = org.agrona.BitUtil.align(dispatcher.maxMessageLength() + Framing.LENGTH_PREFIX, 64);
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity, 64));
    }

    /**
     * Feed bytes read from the stream; delivers every frame they complete.
     *
     * @return {@link FrameReason#OK} if every completed frame was valid, otherwise the first reason
     * a frame was rejected. After a bad prefix, every later call returns that reason too.
     */
    public int onBytes(final byte[] src, final int srcOffset, final int srcLength, final MessageHandler handler)
    {
        int result = failedReason;
        int position = srcOffset;
        final int end = srcOffset + srcLength;
        while (failedReason == FrameReason.OK && position < end)
        {
            final int room = buffer.capacity() - limit;
            final int toCopy = Math.min(room, end - position);
            buffer.putBytes(limit, src, position, toCopy);
            limit += toCopy;
            position += toCopy;
            final int reason = drain(handler);
            if (result == FrameReason.OK)
            {
                result = reason;
            }
        }
        return result;
    }

    /** True once a bad length prefix made the rest of the stream unreadable. */
    public boolean isFailed()
    {
        return failedReason != FrameReason.OK;
    }

    /** Bytes held waiting for the rest of a frame. */
    public int pendingBytes()
    {
        return limit;
    }

    private int drain(final MessageHandler handler)
    {
        int result = FrameReason.OK;
        int position = 0;
        while (true)
        {
            final int available = limit - position;
            final int prefix = Framing.checkPrefix(buffer, position, available, dispatcher.maxMessageLength());
            if (prefix == FrameReason.TRUNCATED)
            {
                break;
            }
            if (prefix != FrameReason.OK)
            {
                dispatcher.countRejection(prefix);
                failedReason = prefix;
                result = prefix;
                break;
            }
            final int messageLength = Framing.messageLength(buffer, position);
            final int reason = dispatcher.dispatchMessage(
                buffer, position + Framing.LENGTH_PREFIX, messageLength, handler);
            if (reason != FrameReason.OK && result == FrameReason.OK)
            {
                result = reason;
            }
            position += Framing.LENGTH_PREFIX + messageLength;
        }
        if (position > 0)
        {
            buffer.putBytes(0, buffer, position, limit - position);
            limit -= position;
        }
        return result;
    }
}

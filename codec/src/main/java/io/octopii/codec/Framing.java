package io.octopii.codec;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Stream framing: {@code [int32 little-endian length][SBE message]}, where length counts the SBE
 * header and body but not the prefix itself.
 *
 * <pre>
 *   0               4                                        4 + length
 *   +---------------+----------------------------------------+
 *   | length (LE)   | SBE header (8) | root block | groups... |
 *   +---------------+----------------------------------------+
 * </pre>
 *
 * Stateless and allocation-free; safe on any thread.
 */
public final class Framing
{
    /** Bytes in the length prefix. */
    public static final int LENGTH_PREFIX = 4;
    /** Bytes in the SBE message header. */
    public static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;

    private Framing()
    {
    }

    /**
     * Write the length prefix for a message already encoded at {@code offset + LENGTH_PREFIX}.
     *
     * @return the whole frame length, prefix included.
     */
    public static int writePrefix(final MutableDirectBuffer buffer, final int offset, final int messageLength)
    {
        buffer.putInt(offset, messageLength, ByteOrder.LITTLE_ENDIAN);
        return LENGTH_PREFIX + messageLength;
    }

    /** The message length a frame's prefix declares (not validated). */
    public static int messageLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Check a frame's prefix against what is available and the maximum message length.
     *
     * @param available bytes present from {@code offset} on; may hold more than one frame.
     * @return {@link FrameReason#OK} when a whole frame is present, {@link FrameReason#TRUNCATED} when
     * more bytes are needed (a stream reader waits for them), or the reason the prefix is invalid.
     */
    public static int checkPrefix(
        final DirectBuffer buffer, final int offset, final int available, final int maxMessageLength)
    {
        if (available < LENGTH_PREFIX)
        {
            return FrameReason.TRUNCATED;
        }
        final int length = messageLength(buffer, offset);
        if (length < 0)
        {
            return FrameReason.NEGATIVE_LENGTH;
        }
        if (length > maxMessageLength)
        {
            return FrameReason.OVERSIZED_LENGTH;
        }
        if (length < HEADER_LENGTH)
        {
            return FrameReason.TOO_SHORT_FOR_HEADER;
        }
        return available - LENGTH_PREFIX < length ? FrameReason.TRUNCATED : FrameReason.OK;
    }
}

package io.octopii.codec;

import io.octopii.codec.internal.MessageValidator;
import io.octopii.codec.internal.SchemaConstants;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The one gate every inbound message passes before any decoder reads a field. It checks the length
 * against the maximum, the header (schema id, version range, template id, block length) and the whole
 * structure (every group header and element, every var-data length) against the bytes present, then
 * hands the message to a {@link MessageHandler}. Malformed input returns a {@link FrameReason} code
 * and is counted per reason; it never throws and never reads outside the given range.
 *
 * <p><b>Thread:</b> one instance per reading thread; the counters are plain fields read by the owner
 * (publish them to Agrona counters from there). <b>Allocation:</b> none.
 */
public final class FrameDispatcher
{
    private final int maxMessageLength;
    private final long[] rejections = new long[FrameReason.COUNT];
    private long accepted;

    /**
     * @param maxMessageLength the largest SBE message (header included) accepted, in bytes.
     */
    public FrameDispatcher(final int maxMessageLength)
    {
        if (maxMessageLength < SchemaConstants.HEADER_LENGTH)
        {
            throw new IllegalArgumentException(
                "maxMessageLength (" + maxMessageLength + ") must be at least the SBE header length (" +
                SchemaConstants.HEADER_LENGTH + ")");
        }
        this.maxMessageLength = maxMessageLength;
    }

    /**
     * Validate one SBE message (no length prefix) that occupies exactly {@code [offset, offset + length)}
     * and, when valid, deliver it.
     *
     * @return {@link FrameReason#OK} when delivered, otherwise why it was rejected (and counted).
     */
    public int dispatchMessage(
        final DirectBuffer buffer, final int offset, final int length, final MessageHandler handler)
    {
        final int reason = check(buffer, offset, length);
        if (reason != FrameReason.OK)
        {
            rejections[reason]++;
            return reason;
        }
        accepted++;
        handler.onMessage(
            buffer,
            offset,
            length,
            buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF,
            buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF,
            buffer.getShort(offset + 6, ByteOrder.LITTLE_ENDIAN) & 0xFFFF);
        return FrameReason.OK;
    }

    /**
     * Validate and deliver one length-prefixed frame that must occupy exactly
     * {@code [offset, offset + frameLength)} (a datagram or a ring-buffer record).
     *
     * @return {@link FrameReason#OK} when delivered, otherwise why it was rejected (and counted).
     */
    public int dispatchFrame(
        final DirectBuffer buffer, final int offset, final int frameLength, final MessageHandler handler)
    {
        final int reason = Framing.checkPrefix(buffer, offset, frameLength, maxMessageLength);
        if (reason != FrameReason.OK)
        {
            rejections[reason]++;
            return reason;
        }
        final int messageLength = Framing.messageLength(buffer, offset);
        if (Framing.LENGTH_PREFIX + messageLength != frameLength)
        {
            rejections[FrameReason.TRAILING_BYTES]++;
            return FrameReason.TRAILING_BYTES;
        }
        return dispatchMessage(buffer, offset + Framing.LENGTH_PREFIX, messageLength, handler);
    }

    /**
     * Validate one SBE message without delivering or counting it.
     *
     * @return {@link FrameReason#OK} or why it is malformed.
     */
    public int check(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 0)
        {
            return FrameReason.NEGATIVE_LENGTH;
        }
        if (length > maxMessageLength)
        {
            return FrameReason.OVERSIZED_LENGTH;
        }
        if (offset < 0 || (long)offset + length > buffer.capacity())
        {
            return FrameReason.TRUNCATED;
        }
        return MessageValidator.validate(buffer, offset, length);
    }

    /** Count a rejection found by a caller (e.g. a stream reader's bad prefix). */
    public void countRejection(final int reason)
    {
        rejections[reason]++;
    }

    /** Rejections so far for one reason. */
    public long rejections(final int reason)
    {
        return rejections[reason];
    }

    /** Rejections so far for every reason. */
    public long totalRejections()
    {
        long total = 0;
        for (final long count : rejections)
        {
            total += count;
        }
        return total;
    }

    /** Messages delivered so far. */
    public long accepted()
    {
        return accepted;
    }

    /** The largest message accepted, in bytes. */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }
}

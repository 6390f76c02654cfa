package io.octopii.codec.internal;

import io.octopii.codec.FrameReason;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static io.octopii.codec.internal.SchemaConstants.*;

/**
 * Walks a message's structure (header, root block, groups, var data) against its length without
 * decoding any field. Stateless; allocation-free.
 */
public final class MessageValidator
{
    private static final int GROUP_HEADER_LENGTH = 4;
    private static final int VAR_DATA_HEADER_LENGTH = 4;

    private MessageValidator()
    {
    }

    /**
     * Validate one SBE message (no length prefix) occupying exactly {@code [offset, offset + length)}.
     *
     * @return {@link FrameReason#OK} or the first reason it is malformed.
     */
    public static int validate(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return FrameReason.TOO_SHORT_FOR_HEADER;
        }
        final int blockLength = buffer.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int templateId = buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int schemaId = buffer.getShort(offset + 4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int version = buffer.getShort(offset + 6, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;

        if (schemaId != SCHEMA_ID)
        {
            return FrameReason.WRONG_SCHEMA_ID;
        }
        if (version < MIN_SCHEMA_VERSION || version > SCHEMA_VERSION)
        {
            return FrameReason.UNSUPPORTED_VERSION;
        }
        final MessageShape shape = MessageShapes.shape(templateId);
        if (shape == null)
        {
            return FrameReason.UNKNOWN_TEMPLATE;
        }
        if (blockLength < shape.minBlockLength)
        {
            return FrameReason.BLOCK_LENGTH_TOO_SHORT;
        }

        final long end = (long)offset + length;
        long position = (long)offset + HEADER_LENGTH + blockLength;
        if (position > end)
        {
            return FrameReason.BLOCK_EXCEEDS_FRAME;
        }

        final int[] groupBlockLengths = shape.groupMinBlockLengths;
        for (int g = 0; g < groupBlockLengths.length; g++)
        {
            if (position + GROUP_HEADER_LENGTH > end)
            {
                return FrameReason.GROUP_HEADER_TRUNCATED;
            }
            final int elementBlockLength = buffer.getShort((int)position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int numInGroup = buffer.getShort((int)position + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            position += GROUP_HEADER_LENGTH;
            if (elementBlockLength < groupBlockLengths[g])
            {
                return FrameReason.GROUP_BLOCK_LENGTH_TOO_SHORT;
            }
            final int varDataPerElement = shape.groupVarDataCounts[g];
            for (int i = 0; i < numInGroup; i++)
            {
                position += elementBlockLength;
                if (position > end)
                {
                    return FrameReason.GROUP_EXCEEDS_FRAME;
                }
                for (int v = 0; v < varDataPerElement; v++)
                {
                    position = skipVarData(buffer, position, end);
                    if (position < 0)
                    {
                        return (int)-position;
                    }
                }
            }
        }

        for (int v = 0; v < shape.varDataCount; v++)
        {
            position = skipVarData(buffer, position, end);
            if (position < 0)
            {
                return (int)-position;
            }
        }

        return position == end ? FrameReason.OK : FrameReason.TRAILING_BYTES;
    }

    /**
     * @return the position after the var-data field, or the negated reason it is malformed.
     */
    private static long skipVarData(final DirectBuffer buffer, final long position, final long end)
    {
        if (position + VAR_DATA_HEADER_LENGTH > end)
        {
            return -FrameReason.VAR_DATA_HEADER_TRUNCATED;
        }
        final long dataLength = buffer.getInt((int)position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL;
        final long next = position + VAR_DATA_HEADER_LENGTH + dataLength;
        return next > end ? -FrameReason.VAR_DATA_EXCEEDS_FRAME : next;
    }
}

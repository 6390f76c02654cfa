package io.octopii.log.internal;

import org.agrona.BitUtil;
import org.agrona.checksum.Crc32c;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Layout of one log record inside a segment. Records start 8-byte aligned and are padded with
 * zeros to the next multiple of 8.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Record Length (header + payload)              |  0
 *  +---------------------------------------------------------------+
 *  |            CRC32C of bytes 8 .. Record Length - 1             |  4
 *  +---------------------------------------------------------------+
 *  |                             Term                              |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                             Index                             | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Entry Type                           | 24
 *  +---------------------------------------------------------------+
 *  |                             Flags                             | 28
 *  +---------------------------------------------------------------+
 *  |                         Payload ...                          ... 32
 *  +---------------------------------------------------------------+
 *  |                  zero padding to 8-byte boundary              |
 *  +---------------------------------------------------------------+
 * </pre>
 * The length is never 0 for a record, so a zero length word marks the end of the written records.
 * The CRC does not cover the length field itself; a damaged length changes the covered range (or is
 * out of bounds) and so is detected as well.
 */
public final class RecordDescriptor
{
    /** Offset of the record length. */
    public static final int LENGTH_OFFSET = 0;
    /** Offset of the CRC32C. */
    public static final int CRC_OFFSET = 4;
    /** Offset of the term. */
    public static final int TERM_OFFSET = 8;
    /** Offset of the index. */
    public static final int INDEX_OFFSET = 16;
    /** Offset of the entry type. */
    public static final int TYPE_OFFSET = 24;
    /** Offset of the flags. */
    public static final int FLAGS_OFFSET = 28;
    /** Length of the header; the payload follows. */
    public static final int HEADER_LENGTH = 32;
    /** Records are aligned to this. */
    public static final int ALIGNMENT = 8;
    /** First byte covered by the CRC. */
    public static final int CRC_START = TERM_OFFSET;

    /** Outcome of {@link #check}: a valid record. */
    public static final int VALID = 0;
    /** Outcome of {@link #check}: a zero length word, the end of the written records. */
    public static final int END = 1;
    /** Outcome of {@link #check}: the length is impossible. */
    public static final int BAD_LENGTH = 2;
    /** Outcome of {@link #check}: the CRC does not match. */
    public static final int BAD_CRC = 3;

    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;

    private RecordDescriptor()
    {
    }

    /**
     * @param payloadLength of the record.
     * @return bytes the record occupies including padding.
     */
    public static int alignedLength(final int payloadLength)
    {
        return BitUtil.align(HEADER_LENGTH + payloadLength, ALIGNMENT);
    }

    /**
     * The type and flags words as one long for a single 8-byte store at {@link #TYPE_OFFSET}, laid out as two
     * native-order ints would be.
     *
     * @param entryType of the record.
     * @param flags     of the record.
     * @return the long to store at {@link #TYPE_OFFSET}.
     */
    public static long typeAndFlags(final int entryType, final int flags)
    {
        return LITTLE_ENDIAN ?
            (entryType & 0xFFFF_FFFFL) | ((long)flags << 32) : ((long)entryType << 32) | (flags & 0xFFFF_FFFFL);
    }

    /**
     * CRC32C over a range of a direct (off-heap or mapped) buffer.
     *
     * @param buffer direct buffer.
     * @param offset first byte.
     * @param length bytes.
     * @return the checksum.
     */
    public static int crc32c(final UnsafeBuffer buffer, final int offset, final int length)
    {
        return Crc32c.INSTANCE.compute(buffer.addressOffset(), offset, length);
    }

    /**
     * Compute the CRC of the record at {@code offset} whose length is {@code recordLength}.
     *
     * @param buffer       segment buffer.
     * @param offset       of the record.
     * @param recordLength header plus payload.
     * @return the checksum over term .. end of payload.
     */
    public static int computeCrc(final UnsafeBuffer buffer, final int offset, final int recordLength)
    {
        return crc32c(buffer, offset + CRC_START, recordLength - CRC_START);
    }

    /**
     * Check the record at {@code offset} of a segment whose records may extend to {@code limit}.
     * Does not allocate.
     *
     * @param buffer segment buffer.
     * @param offset of the record (8-byte aligned).
     * @param limit  first byte past the record area.
     * @return {@link #VALID}, {@link #END}, {@link #BAD_LENGTH} or {@link #BAD_CRC}.
     */
    public static int check(final UnsafeBuffer buffer, final int offset, final int limit)
    {
        if (offset + HEADER_LENGTH > limit)
        {
            return END;
        }
        final int length = buffer.getInt(offset + LENGTH_OFFSET);
        if (0 == length)
        {
            return END;
        }
        if (length < HEADER_LENGTH || length > limit - offset)
        {
            return BAD_LENGTH;
        }
        if (computeCrc(buffer, offset, length) != buffer.getInt(offset + CRC_OFFSET))
        {
            return BAD_CRC;
        }
        return VALID;
    }

    /**
     * Find the first valid record at an aligned offset in {@code [from, limit)}. Slow path: used only
     * after a bad record, to tell a torn tail from corruption.
     *
     * @param buffer segment buffer.
     * @param from   first offset to try (8-byte aligned).
     * @param limit  first byte past the record area.
     * @return offset of a valid record, or -1 if there is none.
     */
    public static int findValidRecord(final UnsafeBuffer buffer, final int from, final int limit)
    {
        for (int offset = from; offset + HEADER_LENGTH <= limit; offset += ALIGNMENT)
        {
            final int length = buffer.getInt(offset);
            if (length >= HEADER_LENGTH && length <= limit - offset && VALID == check(buffer, offset, limit))
            {
                return offset;
            }
        }
        return -1;
    }

    /**
     * @param buffer segment buffer.
     * @param from   first byte to examine.
     * @param limit  first byte past the area.
     * @return offset just past the last non-zero byte in {@code [from, limit)}, or {@code from} if all are zero.
     */
    public static int endOfNonZero(final UnsafeBuffer buffer, final int from, final int limit)
    {
        int end = from;
        int offset = from;
        for (; offset + 8 <= limit; offset += 8)
        {
            if (0 != buffer.getLong(offset))
            {
                end = offset + 8;
            }
        }
        for (; offset < limit; offset++)
        {
            if (0 != buffer.getByte(offset))
            {
                end = offset + 1;
            }
        }
        return end;
    }

    /**
     * @param outcome of {@link #check}.
     * @return its name for messages.
     */
    public static String outcomeName(final int outcome)
    {
        switch (outcome)
        {
            case VALID: return "valid";
            case END: return "end";
            case BAD_LENGTH: return "bad length";
            case BAD_CRC: return "CRC mismatch";
            default: return "unknown(" + outcome + ")";
        }
    }
}

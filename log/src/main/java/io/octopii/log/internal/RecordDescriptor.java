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
 * <p>
 * <b>Recycled segment files are not zeroed.</b> Past the end of a segment's own records a file may hold
 * records of its previous incarnations. The log keeps every such stale record's index below the segment's
 * first index (see {@code RaftLog}), so a record belongs to a segment only if it is valid <em>and</em> its index
 * is at least the segment's first index ({@link #isOwnRecord}); a valid record with a lower index is
 * {@link #STALE} and ends the segment's records like a zero length word. Each append also writes a zero
 * {@link #TERMINATOR_LENGTH}-byte terminator after its record, so a cleanly written segment ends in a zero
 * length word even over stale bytes.
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
    /** Outcome of {@link #checkOwn}: a valid record of an earlier incarnation of the file (index below the first). */
    public static final int STALE = 4;
    /** Zero bytes each append writes after its record (when they fit), so the records end in a zero length word. */
    public static final int TERMINATOR_LENGTH = 8;

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
     * Like {@link #check}, but a valid record whose index is below {@code firstIndex} (left by an earlier
     * incarnation of a recycled file) is {@link #STALE}. Does not allocate.
     *
     * @param buffer     segment buffer.
     * @param offset     of the record (8-byte aligned).
     * @param limit      first byte past the record area.
     * @param firstIndex first index of the segment.
     * @return {@link #VALID}, {@link #END}, {@link #STALE}, {@link #BAD_LENGTH} or {@link #BAD_CRC}.
     */
    public static int checkOwn(final UnsafeBuffer buffer, final int offset, final int limit, final long firstIndex)
    {
        final int outcome = check(buffer, offset, limit);
        return VALID == outcome && buffer.getLong(offset + INDEX_OFFSET) < firstIndex ? STALE : outcome;
    }

    /**
     * Whether a valid record of the segment starting at {@code firstIndex} could be at {@code offset}: its index
     * is at least the first index and at most one per {@link #HEADER_LENGTH} bytes before it, and it checks
     * valid. The index test comes first, so scanning a recycled file full of stale records is cheap.
     *
     * @param buffer       segment buffer.
     * @param offset       of the candidate (8-byte aligned).
     * @param limit        first byte past the record area.
     * @param firstIndex   first index of the segment.
     * @param recordsStart offset of the segment's first record.
     * @return true if a record of this segment is at the offset.
     */
    public static boolean isOwnRecord(
        final UnsafeBuffer buffer, final int offset, final int limit, final long firstIndex, final int recordsStart)
    {
        if (offset + HEADER_LENGTH > limit)
        {
            return false;
        }
        final int length = buffer.getInt(offset);
        if (length < HEADER_LENGTH || length > limit - offset)
        {
            return false;
        }
        final long index = buffer.getLong(offset + INDEX_OFFSET);
        return index >= firstIndex && index - firstIndex <= (offset - recordsStart) / HEADER_LENGTH &&
            VALID == check(buffer, offset, limit);
    }

    /**
     * Find the first record of the segment starting at {@code firstIndex} at an aligned offset in
     * {@code [from, limit)} (see {@link #isOwnRecord}; stale records of a recycled file do not count). Slow path:
     * used only after a bad record, to tell a torn tail from corruption.
     *
     * @param buffer       segment buffer.
     * @param from         first offset to try (8-byte aligned).
     * @param limit        first byte past the record area.
     * @param firstIndex   first index of the segment.
     * @param recordsStart offset of the segment's first record.
     * @return offset of such a record, or -1 if there is none.
     */
    public static int findOwnRecord(
        final UnsafeBuffer buffer, final int from, final int limit, final long firstIndex, final int recordsStart)
    {
        for (int offset = from; offset + HEADER_LENGTH <= limit; offset += ALIGNMENT)
        {
            if (isOwnRecord(buffer, offset, limit, firstIndex, recordsStart))
            {
                return offset;
            }
        }
        return -1;
    }

    /**
     * The end of the bytes a torn record at {@code from} may have left: the last non-zero byte before the first
     * stale record (a record of an earlier incarnation of a recycled file) at or after {@code from + ALIGNMENT}.
     * Zeroing {@code [from, end)} removes the torn record without rewriting the stale rest of a recycled file.
     *
     * @param buffer     segment buffer.
     * @param from       offset of the torn record (8-byte aligned).
     * @param limit      first byte past the record area.
     * @param firstIndex first index of the segment.
     * @return the end of the torn bytes, {@code from} if there are none.
     */
    public static int endOfTornBytes(final UnsafeBuffer buffer, final int from, final int limit, final long firstIndex)
    {
        int end = limit;
        for (int offset = from + ALIGNMENT; offset + HEADER_LENGTH <= limit; offset += ALIGNMENT)
        {
            final int length = buffer.getInt(offset);
            if (length >= HEADER_LENGTH && length <= limit - offset)
            {
                final long index = buffer.getLong(offset + INDEX_OFFSET);
                if (index > 0 && index < firstIndex && VALID == check(buffer, offset, limit))
                {
                    end = offset;
                    break;
                }
            }
        }
        return endOfNonZero(buffer, from, end);
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
            case STALE: return "stale record";
            default: return "unknown(" + outcome + ")";
        }
    }
}

package io.octopii.log.internal;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Layout of the header at the start of every segment file; records follow at {@link #HEADER_LENGTH}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic 'OCTL'                           |  0
 *  +---------------------------------------------------------------+
 *  |                          Version                              |  4
 *  +---------------------------------------------------------------+
 *  |                 First Index (of the first record)             |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |           Previous Term (term of First Index - 1)             | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |      Generation (creation order; later supersedes earlier)    | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Segment Length                           | 32
 *  +---------------------------------------------------------------+
 *  |                 Flags (bit 0: BASE, starts a new log)         | 36
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zeros)                        | 40..59
 *  +---------------------------------------------------------------+
 *  |                   CRC32C of bytes 0 .. 59                     | 60
 *  +---------------------------------------------------------------+
 * </pre>
 * File name: {@code <first index, 20 digits>-<generation, 10 digits>.seg}, so a listing sorts by
 * first index. A segment of a later generation whose first index is {@code i} supersedes every
 * record with index {@code >= i} in segments of earlier generations (that is how a truncation
 * becomes durable without rewriting old bytes); a BASE segment supersedes every earlier segment
 * (reset after a snapshot install).
 */
public final class SegmentDescriptor
{
    /** Magic number 'OCTL' little-endian. */
    public static final int MAGIC = 0x4C54434F;
    /** Current version. */
    public static final int VERSION = 1;
    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 4;
    /** Offset of the first index. */
    public static final int FIRST_INDEX_OFFSET = 8;
    /** Offset of the previous term. */
    public static final int PREV_TERM_OFFSET = 16;
    /** Offset of the generation. */
    public static final int GENERATION_OFFSET = 24;
    /** Offset of the segment length. */
    public static final int SEGMENT_LENGTH_OFFSET = 32;
    /** Offset of the flags. */
    public static final int FLAGS_OFFSET = 36;
    /** Offset of the CRC. */
    public static final int CRC_OFFSET = 60;
    /** Length of the header. */
    public static final int HEADER_LENGTH = 64;
    /** Flag: this segment starts a new log and supersedes all earlier generations. */
    public static final int FLAG_BASE = 1;
    /** File name suffix. */
    public static final String SUFFIX = ".seg";
    /** Length of a segment file name: 20 digits, '-', 10 digits, suffix. */
    public static final int FILE_NAME_LENGTH = 20 + 1 + 10 + 4;

    private SegmentDescriptor()
    {
    }

    /**
     * Write a complete header.
     *
     * @param buffer        to write into at offset 0.
     * @param firstIndex    of the segment.
     * @param prevTerm      term of firstIndex - 1.
     * @param generation    creation order.
     * @param segmentLength file length.
     * @param flags         header flags.
     */
    public static void writeHeader(
        final UnsafeBuffer buffer,
        final long firstIndex,
        final long prevTerm,
        final long generation,
        final int segmentLength,
        final int flags)
    {
        buffer.setMemory(0, HEADER_LENGTH, (byte)0);
        buffer.putInt(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putLong(FIRST_INDEX_OFFSET, firstIndex);
        buffer.putLong(PREV_TERM_OFFSET, prevTerm);
        buffer.putLong(GENERATION_OFFSET, generation);
        buffer.putInt(SEGMENT_LENGTH_OFFSET, segmentLength);
        buffer.putInt(FLAGS_OFFSET, flags);
        buffer.putInt(CRC_OFFSET, RecordDescriptor.crc32c(buffer, 0, CRC_OFFSET));
    }

    /**
     * @param buffer     holding a header at offset 0.
     * @param fileLength actual length of the file.
     * @return null if valid, otherwise what is wrong.
     */
    public static String validate(final UnsafeBuffer buffer, final int fileLength)
    {
        if (fileLength < HEADER_LENGTH)
        {
            return "file shorter than a segment header: " + fileLength + " bytes";
        }
        final int magic = buffer.getInt(MAGIC_OFFSET);
        if (MAGIC != magic)
        {
            return "bad magic 0x" + Integer.toHexString(magic);
        }
        final int expectedCrc = buffer.getInt(CRC_OFFSET);
        final int actualCrc = RecordDescriptor.crc32c(buffer, 0, CRC_OFFSET);
        if (expectedCrc != actualCrc)
        {
            return "header CRC mismatch: expected 0x" + Integer.toHexString(expectedCrc) +
                " actual 0x" + Integer.toHexString(actualCrc);
        }
        final int version = buffer.getInt(VERSION_OFFSET);
        if (VERSION != version)
        {
            return "unsupported version " + version;
        }
        final int segmentLength = buffer.getInt(SEGMENT_LENGTH_OFFSET);
        if (segmentLength != fileLength)
        {
            return "segment length " + segmentLength + " in header but file is " + fileLength + " bytes";
        }
        return null;
    }

    /**
     * Whether an invalid header is one a crash can leave: segment files are created at full length and renamed
     * into place, and the header is written afterwards, so a crash can only leave a header that never reached
     * the disk (its CRC does not match). A file shorter than a header, or a complete header (CRC matches) that
     * disagrees with the file, is damage.
     *
     * @param buffer     holding the file.
     * @param fileLength actual length of the file.
     * @return true if the header was never completely written.
     */
    public static boolean isUnwrittenHeader(final UnsafeBuffer buffer, final int fileLength)
    {
        return fileLength >= HEADER_LENGTH && buffer.getInt(CRC_OFFSET) != RecordDescriptor.crc32c(buffer, 0, CRC_OFFSET);
    }

    /**
     * Whether a valid header is the one an earlier incarnation of a recycled file left: a roll renames a recycled
     * file to the new segment's name and writes the new header in memory, and a crash after the rename became
     * durable but before the header did leaves the old header (an older generation) under the new name. Such a
     * segment never had an index made durable (the flusher forces the header before any record of it).
     *
     * @param buffer         holding a header that {@link #validate} accepted.
     * @param nameGeneration the generation the file's name gives.
     * @return true if the header is of an older generation than the name.
     */
    public static boolean isStaleHeader(final UnsafeBuffer buffer, final long nameGeneration)
    {
        return buffer.getLong(GENERATION_OFFSET) < nameGeneration;
    }

    /**
     * @param firstIndex of the segment.
     * @param generation of the segment.
     * @return the file name.
     */
    public static String fileName(final long firstIndex, final long generation)
    {
        if (firstIndex < 0 || generation < 0 || generation > 9_999_999_999L)
        {
            return String.format("%020d-%010d%s", firstIndex, generation, SUFFIX);
        }
        // by hand, not String.format: a roll names a file, and String.format allocates ~2.5 KB
        final byte[] chars = new byte[FILE_NAME_LENGTH];
        putDigits(chars, 0, 20, firstIndex);
        chars[20] = '-';
        putDigits(chars, 21, 10, generation);
        for (int i = 0; i < SUFFIX.length(); i++)
        {
            chars[31 + i] = (byte)SUFFIX.charAt(i);
        }
        return new String(chars, StandardCharsets.US_ASCII);
    }

    private static void putDigits(final byte[] chars, final int offset, final int width, final long value)
    {
        long remaining = value;
        for (int i = offset + width - 1; i >= offset; i--)
        {
            chars[i] = (byte)('0' + (remaining % 10));
            remaining /= 10;
        }
    }

    /**
     * @param name a file name.
     * @return true if it names a segment.
     */
    public static boolean isSegmentFileName(final String name)
    {
        return name.endsWith(SUFFIX) && name.length() == FILE_NAME_LENGTH && name.charAt(20) == '-';
    }

    /**
     * @param name a segment file name.
     * @return the first index it names.
     */
    public static long firstIndexOf(final String name)
    {
        return Long.parseLong(name.substring(0, 20));
    }

    /**
     * @param name a segment file name.
     * @return the generation it names.
     */
    public static long generationOf(final String name)
    {
        return Long.parseLong(name.substring(21, 31));
    }
}

package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Raft's persistent current term and vote, in a file with two checksummed slots written alternately
 * and forced before {@link #update} returns. A torn or corrupt slot falls back to the other; both bad
 * is fail-stop ({@link LogCorruptionException}).
 * <pre>
 * file: slot 0 at offset 0, slot 1 at offset 4096 (separate pages, so one torn page spoils one slot)
 * slot:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic 'OCTV'                           |  0
 *  +---------------------------------------------------------------+
 *  |                          Version                              |  4
 *  +---------------------------------------------------------------+
 *  |              Sequence (higher wins; slot = sequence &amp; 1)        |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Current Term                           | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Voted For (member id, -1 none)               | 24
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zeros)                        | 28..59
 *  +---------------------------------------------------------------+
 *  |                   CRC32C of bytes 0 .. 59                     | 60
 *  +---------------------------------------------------------------+
 * </pre>
 * <b>Threads</b>: one thread (the consensus agent). {@link #update} blocks on the disk, which is
 * accepted because votes and term changes are rare and must be durable before they are acted on.
 * <b>Lifecycle</b>: {@link #open}, then {@link #close()}. <b>Failure</b>: a failed force throws
 * {@link java.io.UncheckedIOException}: fail-stop.
 */
public final class TermVoteFile implements AutoCloseable
{
    /** Value of {@link #votedFor()} when no vote was cast in the current term. */
    public static final int NULL_VOTE = -1;
    /** File name within the storage. */
    public static final String FILE_NAME = "term-vote.dat";

    static final int MAGIC = 0x56544F43;
    static final int VERSION = 1;
    static final int SLOT_STRIDE = 4096;
    static final int FILE_LENGTH = 2 * SLOT_STRIDE;
    static final int SEQUENCE_OFFSET = 8;
    static final int TERM_OFFSET = 16;
    static final int VOTED_FOR_OFFSET = 24;
    static final int CRC_OFFSET = 60;
    static final int SLOT_LENGTH = 64;

    private final StorageFile file;
    private final UnsafeBuffer buffer;
    private long sequence;
    private long currentTerm;
    private int votedFor;

    private TermVoteFile(final StorageFile file, final long sequence, final long currentTerm, final int votedFor)
    {
        this.file = file;
        this.buffer = file.buffer();
        this.sequence = sequence;
        this.currentTerm = currentTerm;
        this.votedFor = votedFor;
    }

    /**
     * Open the file, creating it (term 0, no vote) if missing. Slow path.
     *
     * @param storage      holding the file.
     * @param eventHandler told when one slot is bad and the other is used.
     * @return the open file.
     * @throws LogCorruptionException if both slots are bad.
     */
    public static TermVoteFile open(final LogStorage storage, final Consumer<String> eventHandler)
    {
        if (!storage.exists(FILE_NAME))
        {
            final UnsafeBuffer initial = new UnsafeBuffer(ByteBuffer.allocateDirect(SLOT_LENGTH));
            writeSlot(initial, 0, 1, 0, NULL_VOTE);
            return new TermVoteFile(storage.createFile(FILE_NAME, FILE_LENGTH, initial, 0, SLOT_LENGTH), 1, 0, NULL_VOTE);
        }

        final StorageFile file = storage.openFile(FILE_NAME);
        final UnsafeBuffer buffer = file.buffer();
        if (file.length() != FILE_LENGTH)
        {
            file.close();
            throw new LogCorruptionException(storage.describe() + "/" + FILE_NAME + " has length " + file.length() +
                ", expected " + FILE_LENGTH, FILE_NAME, 0, LogCorruptionException.NULL_VALUE);
        }
        final String problem0 = checkSlot(buffer, 0);
        final String problem1 = checkSlot(buffer, SLOT_STRIDE);
        if (null != problem0 && null != problem1)
        {
            file.close();
            throw new LogCorruptionException(storage.describe() + "/" + FILE_NAME + ": both slots are bad (slot 0: " +
                problem0 + "; slot 1: " + problem1 + ")", FILE_NAME, 0, LogCorruptionException.NULL_VALUE);
        }

        final int slotOffset;
        if (null != problem0)
        {
            reportUnlessEmpty(eventHandler, problem0, "TermVoteFile: slot 0 bad (" + problem0 + "), using slot 1");
            slotOffset = SLOT_STRIDE;
        }
        else if (null != problem1)
        {
            reportUnlessEmpty(eventHandler, problem1, "TermVoteFile: slot 1 bad (" + problem1 + "), using slot 0");
            slotOffset = 0;
        }
        else
        {
            slotOffset = buffer.getLong(SEQUENCE_OFFSET) >= buffer.getLong(SLOT_STRIDE + SEQUENCE_OFFSET) ?
                0 : SLOT_STRIDE;
        }
        return new TermVoteFile(
            file,
            buffer.getLong(slotOffset + SEQUENCE_OFFSET),
            buffer.getLong(slotOffset + TERM_OFFSET),
            buffer.getInt(slotOffset + VOTED_FOR_OFFSET));
    }

    /**
     * Open the file, reporting a bad slot on standard error.
     *
     * @param storage holding the file.
     * @return the open file.
     */
    public static TermVoteFile open(final LogStorage storage)
    {
        return open(storage, System.err::println);
    }

    /**
     * @return the current term.
     */
    public long currentTerm()
    {
        return currentTerm;
    }

    /**
     * @return the member voted for in the current term, or {@link #NULL_VOTE}.
     */
    public int votedFor()
    {
        return votedFor;
    }

    /**
     * Durably record a new term and vote: writes the older slot and forces it before returning.
     * Does not allocate; blocks on the disk.
     *
     * @param term     the current term.
     * @param votedFor member voted for in that term, or {@link #NULL_VOTE}.
     */
    public void update(final long term, final int votedFor)
    {
        final long nextSequence = sequence + 1;
        final int slotOffset = nextSlotOffset();
        writeSlot(buffer, slotOffset, nextSequence, term, votedFor);
        file.force(slotOffset, SLOT_LENGTH);
        sequence = nextSequence;
        currentTerm = term;
        this.votedFor = votedFor;
    }

    /**
     * @return offset of the slot the next {@link #update} will write (the older one).
     */
    int nextSlotOffset()
    {
        return (int)((sequence + 1) & 1) * SLOT_STRIDE;
    }

    /**
     * Close the file.
     */
    public void close()
    {
        file.close();
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "TermVoteFile{term=" + currentTerm + ", votedFor=" + votedFor + ", sequence=" + sequence + "}";
    }

    private static void writeSlot(
        final UnsafeBuffer buffer, final int slotOffset, final long sequence, final long term, final int votedFor)
    {
        buffer.setMemory(slotOffset, SLOT_LENGTH, (byte)0);
        buffer.putInt(slotOffset, MAGIC);
        buffer.putInt(slotOffset + 4, VERSION);
        buffer.putLong(slotOffset + SEQUENCE_OFFSET, sequence);
        buffer.putLong(slotOffset + TERM_OFFSET, term);
        buffer.putInt(slotOffset + VOTED_FOR_OFFSET, votedFor);
        buffer.putInt(slotOffset + CRC_OFFSET, RecordDescriptor.crc32c(buffer, slotOffset, CRC_OFFSET));
    }

    private static void reportUnlessEmpty(final Consumer<String> eventHandler, final String problem, final String message)
    {
        if (!"empty".equals(problem))
        {
            eventHandler.accept(message);
        }
    }

    static String checkSlot(final UnsafeBuffer buffer, final int slotOffset)
    {
        final int magic = buffer.getInt(slotOffset);
        if (MAGIC != magic)
        {
            return 0 == magic ? "empty" : "bad magic 0x" + Integer.toHexString(magic);
        }
        final int expected = buffer.getInt(slotOffset + CRC_OFFSET);
        final int actual = RecordDescriptor.crc32c(buffer, slotOffset, CRC_OFFSET);
        if (expected != actual)
        {
            return "CRC mismatch: expected 0x" + Integer.toHexString(expected) + " actual 0x" +
                Integer.toHexString(actual);
        }
        final int version = buffer.getInt(slotOffset + 4);
        if (VERSION != version)
        {
            return "unsupported version " + version;
        }
        return null;
    }
}

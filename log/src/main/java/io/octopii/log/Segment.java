package io.octopii.log;

import io.octopii.log.internal.SegmentDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One open segment file. Fields marked "appender" are touched only by the thread owning the
 * {@link RaftLog}; "shared" fields are published with release stores for the flusher; "lock" fields
 * are guarded by the log's flush lock. The identity fields are set by {@link #init} before the segment is
 * published to the flusher (through {@link #next} or the flush lock) and not changed while it is in the log: a
 * roll re-initialises an object the flusher or a compaction prepared, so that it allocates nothing.
 */
final class Segment
{
    private static final VarHandle PUBLISHED_INDEX;
    private static final VarHandle PUBLISHED_POSITION;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED_INDEX = lookup.findVarHandle(Segment.class, "publishedIndex", long.class);
            PUBLISHED_POSITION = lookup.findVarHandle(Segment.class, "publishedPosition", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    StorageFile file;
    // null from a roll until the flusher has renamed the spare file to the segment's name (see SparePool)
    private volatile String name;
    UnsafeBuffer buffer;
    long firstIndex;
    long prevTerm;
    long generation;
    boolean base;
    int length;
    long ordinal;

    // appender
    int writePosition;
    long lastIndex;
    // appender: no valid record anywhere in the file (this segment's, truncated ones, or stale ones of the file's
    // earlier incarnations) has an index above max(fileMaxIndex, lastIndex); Long.MAX_VALUE if unknown
    long fileMaxIndex;

    // shared: written by the appender with release semantics, read by the flusher
    @SuppressWarnings("unused") private volatile long publishedIndex;
    @SuppressWarnings("unused") private volatile int publishedPosition;
    volatile Segment next;

    // flusher (also read under the lock)
    int forcedPosition;
    // set by the appender before the segment is published to the flusher: its name is not yet durable
    volatile boolean directorySyncNeeded;

    // lock
    int pins;
    // set by compaction (owner): the spare slot its file goes to, or -1
    int spareSlot;
    boolean retired;
    boolean closed;

    /**
     * An empty object for {@link #init}: for a roll, allocated off the appending thread (by the flusher), or the
     * object of a compacted segment is reused.
     */
    Segment()
    {
    }

    /**
     * Make this object the segment described, as a new one. Does not allocate.
     *
     * @param name null while the file still has its spare name.
     * @return this.
     */
    Segment init(
        final StorageFile file,
        final String name,
        final long firstIndex,
        final long prevTerm,
        final long generation,
        final boolean base)
    {
        this.name = name;
        this.base = base;
        this.file = file;
        this.buffer = file.buffer();
        this.firstIndex = firstIndex;
        this.prevTerm = prevTerm;
        this.generation = generation;
        this.length = file.length();
        this.ordinal = 0;
        this.writePosition = SegmentDescriptor.HEADER_LENGTH;
        this.lastIndex = firstIndex - 1;
        this.fileMaxIndex = firstIndex - 1;
        this.forcedPosition = 0;
        this.directorySyncNeeded = false;
        this.pins = 0;
        this.spareSlot = -1;
        this.retired = false;
        this.closed = false;
        this.next = null;
        PUBLISHED_INDEX.setRelease(this, firstIndex - 1);
        PUBLISHED_POSITION.setRelease(this, SegmentDescriptor.HEADER_LENGTH);
        return this;
    }

    /**
     * @param name the file's name now that it has been renamed to it.
     */
    void named(final String name)
    {
        this.name = name;
    }

    void publish(final long index, final int position)
    {
        // position before index: a reader that sees the index sees a position covering its record
        PUBLISHED_POSITION.setRelease(this, position);
        PUBLISHED_INDEX.setRelease(this, index);
    }

    long publishedIndexAcquire()
    {
        return (long)PUBLISHED_INDEX.getAcquire(this);
    }

    int publishedPositionAcquire()
    {
        return (int)PUBLISHED_POSITION.getAcquire(this);
    }

    /**
     * @return the file's name, or null while a roll's rename is still pending.
     */
    String name()
    {
        return name;
    }

    public String toString()
    {
        return "Segment{" + name + ", first=" + firstIndex + ", last=" + lastIndex + ", write=" +
            writePosition + "}";
    }
}

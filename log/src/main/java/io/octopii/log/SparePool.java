package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The segment files a {@link RaftLog} rolls into: a few slots, each holding one file under a fixed spare
 * name. A slot is filled either by the flusher creating a fresh zero-filled file, or by compaction handing
 * over a segment it removed (renamed to the slot's name). A recycled file is used as it is, not zeroed: its
 * records are all below the log's first index, and a segment's records are only those at or above its own
 * first index (the rule is on {@link io.octopii.log.internal.RecordDescriptor}). Only a file that may hold
 * a record at or above the log's first index (one truncated or recovered with bytes past its records) is
 * DIRTY and zeroed again by the flusher. Recycling keeps the pages allocated and mapped, so a roll costs
 * neither a file creation nor page faults nor a second write of the file.
 * <pre>
 *                       /--- recycled(), every record below the log's first index -------\
 *                       |                                                               v
 *   EMPTY --reserve()--> RESERVED --recycled()--> DIRTY --prepare(), zero + force--> READY --take()--> TAKEN
 *     ^ \--prepare(), create + pre-fault (only when nothing is READY or DIRTY)------/                    |
 *     \---------------------------------------- release() after the owner renamed the file away --------/
 * </pre>
 * A DIRTY file can also be taken by the owner ({@link #takeDirty()}) when nothing is READY, which zeroes
 * and forces it on the owner's thread: a blocking fallback, but far cheaper than creating a file.
 * <p>
 * <b>Threads</b>: {@link #reserve()}, {@link #recycled}, {@link #take()}, {@link #takeDirty()} and
 * {@link #release} are called by the log's owner; {@link #prepare()} by the flusher. Slot states are
 * guarded by this object's lock; a slot's file is touched only by the thread that moved the slot into a
 * BUSY, RESERVED or TAKEN state, and nobody touches a READY or DIRTY file outside the lock.
 * <b>Lifecycle</b>: {@link #close()} closes the files in READY and DIRTY slots and makes the flusher close
 * the one it is preparing; the files stay on disk (spare names are removed by the next open).
 * <b>Failure</b>: storage errors propagate as {@link java.io.UncheckedIOException}.
 */
final class SparePool
{
    static final int EMPTY = 0;
    static final int RESERVED = 1;
    static final int DIRTY = 2;
    static final int BUSY = 3;
    static final int READY = 4;
    static final int TAKEN = 5;

    private static final int PAGE_SIZE = 4096;

    private final LogStorage storage;
    private final int segmentLength;
    private final String[] names;
    private final StorageFile[] files;
    private final int[] states;
    // per slot: no valid record in the file has a higher index (0 for a zeroed file)
    private final long[] fileMaxIndexes;
    private final UnsafeBuffer noHeader = new UnsafeBuffer(ByteBuffer.allocateDirect(0));
    private boolean closed;
    private long recycledCount;
    private boolean preparedOnce;
    // what prepare() would do, kept under the lock and read without it by prepare()'s fast path: the flusher
    // calls prepare() whenever it has nothing to force, which in the simulator is every step of every node
    private volatile int pending = PENDING_CREATE;
    private static final int PENDING_NONE = 0;
    private static final int PENDING_CREATE = 1;
    private static final int PENDING_ZERO = 2;

    SparePool(final LogStorage storage, final int segmentLength, final int capacity)
    {
        this.storage = storage;
        this.segmentLength = segmentLength;
        this.names = new String[capacity];
        this.files = new StorageFile[capacity];
        this.states = new int[capacity];
        this.fileMaxIndexes = new long[capacity];
        for (int i = 0; i < capacity; i++)
        {
            names[i] = RaftLog.SPARE_PREFIX + i + RaftLog.SPARE_SUFFIX;
        }
    }

    /**
     * @param slot a slot index.
     * @return the fixed file name of the slot.
     */
    String name(final int slot)
    {
        return names[slot];
    }

    /**
     * @param slot a slot the caller has taken.
     * @return the file in the slot.
     */
    StorageFile file(final int slot)
    {
        return files[slot];
    }

    /**
     * @param slot a slot the caller has taken.
     * @return the highest index a valid record in the slot's file may have (0 for a zeroed file): a segment
     * reusing the file must start above it, or zero it first.
     */
    long fileMaxIndex(final int slot)
    {
        return fileMaxIndexes[slot];
    }

    /**
     * Owner: take a READY file for a roll.
     *
     * @return the slot, now TAKEN, or -1 if none is ready.
     */
    synchronized int take()
    {
        final int slot = transition(READY, TAKEN);
        updatePending();
        return slot;
    }

    /**
     * Owner, when nothing is READY: take a DIRTY file and zero and force it on this thread.
     *
     * @return the slot, now TAKEN and its file zeroed and durable, or -1 if none is dirty.
     */
    int takeDirty()
    {
        final int slot;
        synchronized (this)
        {
            slot = transition(DIRTY, TAKEN);
            updatePending();
        }
        if (slot >= 0)
        {
            zeroAndForce(files[slot]);
            fileMaxIndexes[slot] = 0;
        }
        return slot;
    }

    /**
     * Owner: the TAKEN file has been renamed away from the slot's name.
     *
     * @param slot taken before.
     */
    synchronized void release(final int slot)
    {
        files[slot] = null;
        states[slot] = EMPTY;
        updatePending();
    }

    /**
     * Owner (compaction): reserve an empty slot for a removed segment.
     *
     * @return the slot, now RESERVED, or -1 if every slot is in use (the segment is then deleted).
     */
    synchronized int reserve()
    {
        final int slot = closed ? -1 : transition(EMPTY, RESERVED);
        updatePending();
        return slot;
    }

    /**
     * Owner (compaction): the reserved slot now holds a removed segment's file, renamed to the slot's name.
     *
     * @param slot         reserved before.
     * @param file         the segment's file, still mapped; null if the rename failed (the slot is freed).
     * @param fileMaxIndex no valid record in the file has a higher index.
     * @param readyBelow   if fileMaxIndex is below this (the log's first index: no later segment starts lower), the
     *                     file is READY as it is, its records stale to whatever segment reuses it; else DIRTY.
     */
    synchronized void recycled(final int slot, final StorageFile file, final long fileMaxIndex, final long readyBelow)
    {
        if (null == file)
        {
            states[slot] = EMPTY;
            updatePending();
            return;
        }
        if (closed)
        {
            file.close();
            states[slot] = EMPTY;
            return;
        }
        files[slot] = file;
        fileMaxIndexes[slot] = fileMaxIndex;
        states[slot] = fileMaxIndex < readyBelow ? READY : DIRTY;
        recycledCount++;
        updatePending();
    }

    /**
     * Flusher: zero and force one DIRTY file, or create one fresh file when nothing is READY, DIRTY or being
     * prepared and the caller allows it. Blocks on the disk for the zero-fill.
     *
     * @param createAllowed false while a recycled file may still come (the log holds off creating a fresh file
     *                      until its active segment is half full, so a steady append-and-compact cycle recycles
     *                      instead of creating files it will then have to delete). The first spare is created
     *                      regardless, at once: a log just opened has nothing to recycle, and an embedder
     *                      driving the flusher on its own thread (INVOKER) pays for it before its steady state.
     * @return 1 if a slot became READY, else 0.
     */
    int prepare(final boolean createAllowed)
    {
        final int pendingNow = pending;
        final boolean mayCreate = createAllowed || !preparedOnce;
        if (PENDING_NONE == pendingNow || (PENDING_CREATE == pendingNow && !mayCreate))
        {
            return 0;
        }
        int slot;
        boolean create = false;
        synchronized (this)
        {
            if (closed)
            {
                return 0;
            }
            slot = transition(DIRTY, BUSY);
            if (slot < 0 && PENDING_CREATE == pending && mayCreate)
            {
                slot = transition(EMPTY, BUSY);
                create = slot >= 0;
            }
            updatePending();
            if (slot < 0)
            {
                return 0;
            }
        }

        final StorageFile file;
        if (create)
        {
            file = storage.createFile(names[slot], segmentLength, noHeader, 0, 0);
            // fault every page of the mapping in here, not on the owner's appends (page faults halve append throughput)
            final UnsafeBuffer buffer = file.buffer();
            for (int offset = 0; offset < segmentLength; offset += PAGE_SIZE)
            {
                buffer.putByte(offset, (byte)0);
            }
        }
        else
        {
            file = files[slot];
            zeroAndForce(file);
        }

        synchronized (this)
        {
            if (closed)
            {
                file.close();
                files[slot] = null;
                states[slot] = EMPTY;
                return 0;
            }
            files[slot] = file;
            fileMaxIndexes[slot] = 0;
            states[slot] = READY;
            preparedOnce = true;
            updatePending();
        }
        return 1;
    }

    /**
     * @return compacted segment files handed to the pool since open.
     */
    synchronized long recycledCount()
    {
        return recycledCount;
    }

    private int countLocked(final int state)
    {
        int count = 0;
        for (final int s : states)
        {
            if (s == state)
            {
                count++;
            }
        }
        return count;
    }

    /**
     * Close the files of READY and DIRTY slots; a BUSY slot's file is closed by the flusher when it finishes.
     * The files stay (the next open removes them: deleting by name here could hit a file of the same name made
     * by a newer incarnation, as when a simulator closes a crashed log after restarting it). Idempotent.
     */
    synchronized void close()
    {
        closed = true;
        pending = PENDING_NONE;
        for (int i = 0; i < states.length; i++)
        {
            if (READY == states[i] || DIRTY == states[i])
            {
                files[i].close();
                files[i] = null;
                states[i] = EMPTY;
            }
        }
    }

    private void updatePending()
    {
        if (closed)
        {
            pending = PENDING_NONE;
        }
        else if (countLocked(DIRTY) > 0)
        {
            pending = PENDING_ZERO;
        }
        else if (countLocked(READY) + countLocked(BUSY) == 0 && countLocked(EMPTY) > 0)
        {
            pending = PENDING_CREATE;
        }
        else
        {
            pending = PENDING_NONE;
        }
    }

    private int transition(final int from, final int to)
    {
        for (int i = 0; i < states.length; i++)
        {
            if (from == states[i])
            {
                states[i] = to;
                return i;
            }
        }
        return -1;
    }

    static void zeroAndForce(final StorageFile file)
    {
        // the whole file: records beyond the old write position (superseded by a truncation) must go too
        file.buffer().setMemory(0, file.length(), (byte)0);
        file.force(0, file.length());
    }
}

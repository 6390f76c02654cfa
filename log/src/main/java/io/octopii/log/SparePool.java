package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;


/**
 * The segment files a {@link RaftLog} rolls into: a few slots, each holding one file under a fixed spare
 * name. A slot is filled either by the flusher creating a fresh zero-filled file, or by compaction handing
 * over a segment it removed (renamed to the slot's name). A recycled file is used as it is, not zeroed: its
 * records are all below the log's first index, and a segment's records are only those at or above its own
 * first index (the rule is on {@link io.octopii.log.internal.RecordDescriptor}). Only a file that may hold
 * a record at or above the log's first index (one truncated or recovered with bytes past its records) is
 * DIRTY and zeroed again by the flusher. Recycling keeps the pages allocated and mapped, so a roll costs
 * neither a file creation nor page faults nor a second write of the file.
 * A roll leaves the file it took under the spare name in a NAMING slot; the flusher renames it to the segment's
 * name ({@link #nameTaken()}) and frees the slot, or a truncation that removes the segment first deletes it
 * ({@link #cancelName}). Each READY slot also holds an empty {@link Segment} object for the roll.
 * <pre>
 *                       /--- recycled(), every record below the log's first index -------\
 *                       |                                                               v
 *   EMPTY --reserve()--> RESERVED --recycled()--> DIRTY --prepare(), zero + force--> READY --take()--> TAKEN
 *     ^ \--prepare(), create + pre-fault (only when nothing is READY or DIRTY)------/                    |
 *     |                                                                             awaitName()    |
 *     |                                                                                 v          |
 *     \------------------ nameTaken() (flusher) or cancelName() (truncation) ------ NAMING <-------/
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
    static final int NAMING = 6;

    private static final int PAGE_SIZE = 4096;
    /** {@link #prepare} did a step. */
    static final int STEPPED = 1;
    /** {@link #prepare} did a step that made a slot READY. */
    static final int MADE_READY = 2;
    /** Bytes a preparation step zero-fills and forces. */
    static final int STEP_LENGTH = 256 * 1024;
    /** Bytes of a created file's mapping a preparation step faults in. */
    static final int FAULT_STEP_LENGTH = 4 * 1024 * 1024;

    private final LogStorage storage;
    private final int segmentLength;
    private final String[] names;
    private final StorageFile[] files;
    private final int[] states;
    // per slot: no valid record in the file has a higher index (0 for a zeroed file)
    private final long[] fileMaxIndexes;
    // per slot: an empty Segment object for the roll that takes the slot (so that a roll allocates nothing)
    private final Segment[] shells;
    // per NAMING slot: the segment rolled into the slot's file, which the flusher renames to the segment's name
    private final Segment[] naming;
    private volatile int pendingNames;
    private boolean closed;
    private long recycledCount;
    private boolean preparedOnce;
    // the flusher's slot being prepared across prepare() calls (BUSY), or -1: a fresh file being created (creation),
    // then its mapping pre-faulted, or a recycled file being zeroed; busyOffset is how far the pass got
    private int busySlot = -1;
    private LogStorage.FileCreation creation;
    private StorageFile busyFile;
    private Segment busyShell;
    private boolean isZeroing;
    private int busyOffset;
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
        this.shells = new Segment[capacity];
        this.naming = new Segment[capacity];
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
     * Owner: the Segment object prepared for the slot's file, handed over once.
     *
     * @param slot a slot the caller has taken.
     * @return the object, or null if none was prepared.
     */
    synchronized Segment takeShell(final int slot)
    {
        final Segment shell = shells[slot];
        shells[slot] = null;
        return shell;
    }

    /**
     * Owner, at a roll: the TAKEN slot's file now holds the segment (header written, not renamed). The flusher
     * renames it to the segment's name ({@link #nameTaken()}) before it syncs the directory and forces it, so the
     * roll builds no file name (a roll on the appending thread allocates nothing). Until then the file keeps the
     * spare name, which open removes: a crash before the rename loses only records never made durable.
     *
     * @param slot    taken before.
     * @param segment initialised with a null name.
     */
    synchronized void awaitName(final int slot, final Segment segment)
    {
        states[slot] = NAMING;
        naming[slot] = segment;
        pendingNames = pendingNames + 1;
    }

    /**
     * Flusher (or the owner, as a slow-path fallback): rename every file waiting in a NAMING slot to its
     * segment's name (not durable until the directory is synced) and free the slot. Allocates the names.
     *
     * @return files renamed.
     */
    int nameTaken()
    {
        if (0 == pendingNames)
        {
            return 0;
        }
        int count = 0;
        synchronized (this)
        {
            // oldest roll first: a name must never be on disk while an earlier segment's is not (a crash would
            // leave a gap in indexes, which recovery takes for a missing segment)
            int slot;
            while (!closed && (slot = oldestNamingLocked()) >= 0)
            {
                final Segment segment = naming[slot];
                final String name =
                    io.octopii.log.internal.SegmentDescriptor.fileName(segment.firstIndex, segment.generation);
                storage.move(names[slot], name);
                segment.named(name);
                freeNamingLocked(slot);
                count++;
            }
            updatePending();
        }
        return count;
    }

    /**
     * Owner, after a truncation or reset removed the segment: if its file still waits for its name, delete it
     * under its spare name and free the slot.
     *
     * @param segment removed from the log.
     * @return true if it was still waiting (and is now deleted), false if it already has its name.
     */
    synchronized boolean cancelName(final Segment segment)
    {
        for (int slot = 0; slot < states.length; slot++)
        {
            if (NAMING == states[slot] && naming[slot] == segment)
            {
                storage.delete(names[slot]);
                freeNamingLocked(slot);
                updatePending();
                return true;
            }
        }
        return false;
    }

    private int oldestNamingLocked()
    {
        int oldest = -1;
        for (int slot = 0; slot < states.length; slot++)
        {
            if (NAMING == states[slot] && (oldest < 0 || naming[slot].generation < naming[oldest].generation))
            {
                oldest = slot;
            }
        }
        return oldest;
    }

    /**
     * @return rolled files still waiting for the flusher to name them (any thread; for tests and diagnostics).
     */
    int pendingNames()
    {
        return pendingNames;
    }

    private void freeNamingLocked(final int slot)
    {
        naming[slot] = null;
        files[slot] = null;
        states[slot] = EMPTY;
        pendingNames = pendingNames - 1;
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
     * @param shell        the removed segment's object, no longer referenced by the log, for the roll to reuse.
     */
    synchronized void recycled(
        final int slot, final StorageFile file, final long fileMaxIndex, final long readyBelow, final Segment shell)
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
        shells[slot] = shell;
        fileMaxIndexes[slot] = fileMaxIndex;
        states[slot] = fileMaxIndex < readyBelow ? READY : DIRTY;
        recycledCount++;
        updatePending();
    }

    /**
     * Flusher: one step of making a slot READY: zero and force a DIRTY file, or create a fresh file when nothing is
     * READY, DIRTY or being prepared and the caller allows it. A step writes and forces at most {@link #STEP_LENGTH}
     * bytes (or pre-faults {@link #FAULT_STEP_LENGTH} bytes of a created file's mapping), so the flusher goes back to
     * forcing the log between steps: done in one go, a 256 MiB spare held every node's durable index still for
     * 100-700 ms at each roll, all three nodes of a cluster at once. The log's first spare is made in one call: a
     * log just opened has nothing to recycle, and an embedder driving the flusher on its own thread (INVOKER) pays
     * for it before its steady state.
     *
     * @param createAllowed false while a recycled file may still come (the log holds off creating a fresh file
     *                      until its active segment is half full, so a steady append-and-compact cycle recycles
     *                      instead of creating files it will then have to delete). The first spare is created
     *                      regardless.
     * @return 0 if there was nothing to do, {@link #MADE_READY} if a slot became READY, else {@link #STEPPED}.
     */
    int prepare(final boolean createAllowed)
    {
        if (busySlot < 0 && !startPreparing(createAllowed))
        {
            return 0;
        }
        synchronized (this)
        {
            if (closed)
            {
                abandonPreparing();
                return 0;
            }
        }
        try
        {
            // the log's first spare in one call; later ones a step at a time
            boolean isReady;
            do
            {
                isReady = step(preparedOnce ? STEP_LENGTH : segmentLength);
            }
            while (!isReady && !preparedOnce);
            return isReady ? MADE_READY : STEPPED;
        }
        catch (final java.io.UncheckedIOException ex)
        {
            synchronized (this)
            {
                abandonPreparing(); // nothing was made (a creation removes its partial file): try again later
            }
            throw ex;
        }
    }

    // one step of the slot being prepared; true once it is READY (or was abandoned because the pool closed)
    private boolean step(final int stepLength)
    {
        if (null != creation)
        {
            if (creation.fill(stepLength))
            {
                busyFile = creation.finish();
                creation = null;
            }
            return false;
        }
        if (isZeroing)
        {
            // the whole file, a step at a time: records beyond the old write position (superseded by a truncation)
            // must go too
            final int length = Math.min(stepLength, segmentLength - busyOffset);
            zeroAndForce(busyFile, busyOffset, length);
            busyOffset += length;
        }
        else
        {
            // fault the pages of the mapping in here, not on the owner's appends (page faults halve append throughput)
            final int end = (int)Math.min(segmentLength, (long)busyOffset + Math.max(stepLength, FAULT_STEP_LENGTH));
            final UnsafeBuffer buffer = busyFile.buffer();
            for (; busyOffset < end; busyOffset += PAGE_SIZE)
            {
                buffer.putByte(busyOffset, (byte)0);
            }
        }
        if (busyOffset < segmentLength)
        {
            return false;
        }
        ready();
        return true;
    }

    /**
     * @return whether the flusher is part way through preparing a slot (flusher thread only).
     */
    boolean isPreparing()
    {
        return busySlot >= 0;
    }

    private boolean startPreparing(final boolean createAllowed)
    {
        final int pendingNow = pending;
        final boolean mayCreate = createAllowed || !preparedOnce;
        if (PENDING_NONE == pendingNow || (PENDING_CREATE == pendingNow && !mayCreate))
        {
            return false;
        }
        synchronized (this)
        {
            if (closed)
            {
                return false;
            }
            int slot = transition(DIRTY, BUSY);
            boolean create = false;
            if (slot < 0 && PENDING_CREATE == pending && mayCreate)
            {
                slot = transition(EMPTY, BUSY);
                create = slot >= 0;
            }
            updatePending();
            if (slot < 0)
            {
                return false;
            }
            busySlot = slot;
            busyOffset = 0;
            isZeroing = !create;
            busyFile = create ? null : files[slot];
        }
        busyShell = new Segment(); // here, not on the owner's roll
        if (!isZeroing)
        {
            try
            {
                creation = storage.beginCreateFile(names[busySlot], segmentLength);
            }
            catch (final java.io.UncheckedIOException ex)
            {
                synchronized (this)
                {
                    abandonPreparing();
                }
                throw ex;
            }
        }
        return true;
    }

    private void ready()
    {
        synchronized (this)
        {
            if (closed)
            {
                abandonPreparing();
                return;
            }
            final int slot = busySlot;
            files[slot] = busyFile;
            if (null == shells[slot])
            {
                shells[slot] = busyShell;
            }
            fileMaxIndexes[slot] = 0;
            states[slot] = READY;
            preparedOnce = true;
            clearPreparing();
            updatePending();
        }
    }

    // under the lock: drop the slot being prepared (closed, or a step failed); its file is closed, a creation removed
    private void abandonPreparing()
    {
        if (busySlot < 0)
        {
            return;
        }
        if (null != creation)
        {
            creation.abort();
        }
        if (null != busyFile)
        {
            busyFile.close();
        }
        files[busySlot] = null;
        states[busySlot] = EMPTY;
        clearPreparing();
        updatePending();
    }

    private void clearPreparing()
    {
        busySlot = -1;
        busyFile = null;
        busyShell = null;
        creation = null;
        busyOffset = 0;
        isZeroing = false;
    }

    /** @return whether a spare is ready to take (or a recycled one to zero) without allocating space. */
    synchronized boolean hasReady()
    {
        return countLocked(READY) + countLocked(DIRTY) > 0;
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
                shells[i] = null;
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
        zeroAndForce(file, 0, file.length());
    }

    private static void zeroAndForce(final StorageFile file, final int offset, final int length)
    {
        file.buffer().setMemory(offset, length, (byte)0);
        file.force(offset, length);
    }
}

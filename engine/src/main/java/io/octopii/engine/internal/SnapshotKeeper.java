package io.octopii.engine.internal;

import io.octopii.engine.StateMachine;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A node's snapshots: loading the newest valid one at start, taking one on the policy or on demand, keeping
 * the newest {@code retain}, compacting the log below the oldest kept, and loading one a leader installed.
 *
 * <p><b>Taking is a synchronous pause.</b> {@link #take} runs the state machine's
 * {@link StateMachine#onTakeSnapshot} on the agent thread between two applied commands, then forces the file;
 * the agent serves nothing meanwhile. This needs no copy-on-write support from state machines and gives an
 * exact cut at the applied index; the pause is measured ({@link #lastPauseNs()}, {@link #maxPauseNs()}).
 *
 * <p><b>Data layout.</b> A snapshot's data is the exactly-once {@link ClientSessions} table, then the state
 * machine's bytes; the state machine reads and writes only its own part.
 *
 * <p><b>Compaction.</b> Once {@code retain} snapshots exist, the log is compacted below the oldest kept one, so
 * a damaged newest snapshot falls back to the previous one plus the log above it. With {@code retain = 1}
 * the log is compacted below the newest.
 *
 * <p><b>Thread.</b> The consensus agent's. <b>Allocation.</b> On the slow path only (taking, loading).
 * <b>Failure.</b> A failed take is abandoned (the temporary file deleted, nothing compacted) and reported to
 * the error handler; the node keeps running. A failed load throws to the caller (fail-stop).
 */
public final class SnapshotKeeper
{
    /** {@link #take} result: no snapshot store is configured. */
    public static final long NO_STORE = -1;
    /** {@link #take} result: the state machine or the disk failed; see the error handler. */
    public static final long FAILED = -2;

    private final UnsafeBuffer loadedMembership = new UnsafeBuffer(new byte[0]);

    private final SnapshotStore store;
    private final StateMachine stateMachine;
    private final RaftLog log;
    private final ErrorHandler errorHandler;
    private final long intervalEntries;
    private final long logBytes;
    private final int retain;
    private final ClientSessions sessions;
    private final WriterAdapter writerAdapter = new WriterAdapter();
    private final ReaderAdapter readerAdapter = new ReaderAdapter();

    private long latestIndex;
    private long latestTerm;
    private long latestLength;
    private String latestName;
    private long bytesSinceSnapshot;
    private long snapshotsTaken;
    private long snapshotsLoaded;
    private long snapshotBytes;
    private long lastPauseNs;
    private long maxPauseNs;

    /**
     * @param store           where snapshots live, or null to disable snapshots.
     * @param stateMachine    writes and loads the state.
     * @param log             compacted after a snapshot; reset after an install.
     * @param errorHandler    told of a failed take.
     * @param intervalEntries take one after this many applied entries since the last (0: never).
     * @param logBytes        take one after this many bytes of applied entries since the last (0: never).
     * @param retain          snapshots kept (at least 1).
     * @param sessions        the exactly-once session table, saved and loaded with the state.
     */
    public SnapshotKeeper(
        final SnapshotStore store,
        final StateMachine stateMachine,
        final RaftLog log,
        final ErrorHandler errorHandler,
        final long intervalEntries,
        final long logBytes,
        final int retain,
        final ClientSessions sessions)
    {
        this.store = store;
        this.stateMachine = stateMachine;
        this.log = log;
        this.errorHandler = errorHandler;
        this.intervalEntries = intervalEntries;
        this.logBytes = logBytes;
        this.retain = Math.max(1, retain);
        this.sessions = sessions;
    }

    /** @return whether a snapshot store is configured. */
    public boolean isEnabled()
    {
        return null != store;
    }

    /** @return the store, or null. */
    public SnapshotStore store()
    {
        return store;
    }

    /**
     * At start: load the newest valid snapshot that joins the log (damaged ones are skipped, the store's event
     * handler saying why), make the log start right after it if the log ends below it or disagrees at its
     * index, and hand it to the state machine. Slow path.
     *
     * @return the index the state now covers (0 without a snapshot).
     * @throws IllegalStateException if the log was compacted and no valid snapshot covers the gap, or the
     *                               state machine failed to load it.
     */
    public long loadAtStart()
    {
        if (null == store)
        {
            requireLogFromStart("no snapshot store is configured");
            return 0;
        }
        final String[] names = store.snapshotNames();
        for (int i = names.length - 1; i >= 0; i--)
        {
            final SnapshotStore.SnapshotReader reader = store.open(names[i]);
            if (null == reader)
            {
                continue; // the store's event handler reported why
            }
            try
            {
                if (reader.index() < log.firstIndex() - 1)
                {
                    errorHandler.onError(new IllegalStateException("snapshot " + names[i] + " (index " + reader.index() +
                        ") ends before the log starts (firstIndex " + log.firstIndex() + "): skipped"));
                    continue;
                }
                if (!load(reader, "at start"))
                {
                    throw new IllegalStateException("snapshot " + names[i] + " (index " + reader.index() +
                        ") cannot be loaded at start: no space in " + log.context().storage().describe() +
                        " to restart the log after it; free space and start again");
                }
                return reader.index();
            }
            finally
            {
                reader.close();
            }
        }
        requireLogFromStart("no valid snapshot in " + store.storage().describe());
        return 0;
    }

    /**
     * Load a snapshot a leader shipped to this follower, replacing the state; keep the log if it holds the
     * snapshot's last entry with the same term (its entries above may be committed), else restart the log
     * after the snapshot. Slow path.
     *
     * @param name the snapshot's file name in the store.
     * @return the index installed, or 0 if the file is missing or damaged, or the log could not be restarted after
     * it for lack of space (reported; the file is deleted and nothing else changed).
     * @throws IllegalStateException if the state machine failed to load it (fail-stop).
     */
    public long install(final String name)
    {
        final SnapshotStore.SnapshotReader reader = store.open(name);
        if (null == reader)
        {
            store.delete(name);
            return 0;
        }
        final boolean isLoaded;
        try
        {
            isLoaded = load(reader, "installed by the leader");
        }
        finally
        {
            reader.close();
        }
        if (!isLoaded)
        {
            store.delete(name); // frees its space; the leader offers it again
            return 0;
        }
        retainAndCompact();
        return latestIndex;
    }

    /**
     * Count an applied entry towards the policy. Steady state: no allocation.
     *
     * @param payloadLength its length.
     */
    public void onApplied(final int payloadLength)
    {
        bytesSinceSnapshot += payloadLength;
    }

    /**
     * @param appliedIndex the last applied index.
     * @return whether the policy asks for a snapshot now.
     */
    public boolean isDue(final long appliedIndex)
    {
        return null != store && appliedIndex > latestIndex &&
            ((intervalEntries > 0 && appliedIndex - latestIndex >= intervalEntries) ||
            (logBytes > 0 && bytesSinceSnapshot >= logBytes));
    }

    /**
     * {@link #take(long, long, DirectBuffer, int)} without a configuration (the snapshot carries none).
     */
    public long take(final long appliedIndex, final long term)
    {
        return take(appliedIndex, term, loadedMembership, 0);
    }

    /**
     * Take a snapshot of the state at {@code appliedIndex} now: a synchronous pause on the agent thread (see the
     * class comment), then keep the newest {@code retain} and compact the log. Slow path.
     *
     * @param appliedIndex the last applied index.
     * @param term         its term.
     * @return the snapshot's index (the existing one if nothing was applied since), {@link #NO_STORE} or
     * {@link #FAILED}.
     */
    public long take(final long appliedIndex, final long term, final DirectBuffer membership, final int membershipLength)
    {
        if (null == store)
        {
            return NO_STORE;
        }
        if (appliedIndex <= latestIndex)
        {
            return latestIndex;
        }
        final long startNs = System.nanoTime();
        SnapshotStore.SnapshotWriter writer = null;
        try
        {
            writer = store.begin(appliedIndex, term, membership, 0, membershipLength);
            writerAdapter.writer = writer;
            sessions.writeTo(writer);
            stateMachine.onTakeSnapshot(appliedIndex, term, writerAdapter);
            final long dataLength = writer.dataLength();
            latestName = writer.commit();
            latestIndex = appliedIndex;
            latestTerm = term;
            latestLength = SnapshotStore.HEADER_LENGTH + membershipLength + dataLength;
        }
        catch (final Throwable t)
        {
            if (null != writer)
            {
                try
                {
                    writer.abort();
                }
                catch (final RuntimeException ignore)
                {
                    // the take already failed; the store removes unfinished files at the next start
                }
            }
            errorHandler.onError(new IllegalStateException("snapshot at index " + appliedIndex + " term " + term +
                " failed and was abandoned (log not compacted)", t));
            return FAILED;
        }
        finally
        {
            writerAdapter.writer = null;
        }
        snapshotsTaken++;
        snapshotBytes += latestLength;
        bytesSinceSnapshot = 0;
        retainAndCompact();
        lastPauseNs = System.nanoTime() - startNs;
        maxPauseNs = Math.max(maxPauseNs, lastPauseNs);
        return latestIndex;
    }

    /** @return index of the newest snapshot taken, loaded or installed (0 if none). */
    public long latestIndex()
    {
        return latestIndex;
    }

    /** @return term of {@link #latestIndex()}. */
    public long latestTerm()
    {
        return latestTerm;
    }

    /** @return file length of the newest snapshot. */
    public long latestLength()
    {
        return latestLength;
    }

    /** @return file name of the newest snapshot, or null. */
    public String latestName()
    {
        return latestName;
    }

    /** @return snapshots taken by this process. */
    public long snapshotsTaken()
    {
        return snapshotsTaken;
    }

    /** @return snapshots loaded by this process (at start or installed). */
    public long snapshotsLoaded()
    {
        return snapshotsLoaded;
    }

    /** @return bytes of snapshots taken by this process. */
    public long snapshotBytes()
    {
        return snapshotBytes;
    }

    /** @return how long the last take paused the agent, in nanoseconds (writing, forcing, compacting). */
    public long lastPauseNs()
    {
        return lastPauseNs;
    }

    /** @return the longest take pause of this process, in nanoseconds. */
    public long maxPauseNs()
    {
        return maxPauseNs;
    }

    /**
     * @return the encoded configuration the last snapshot loaded (at start or installed) carried, empty when it
     * carried none; valid until the next load.
     */
    public DirectBuffer loadedMembership()
    {
        return loadedMembership;
    }

    /**
     * Restart the log after the snapshot unless the log holds its last entry with the same term (then the entries
     * above it may be committed and are kept), then load the session table and the state machine's state. The log
     * goes first: on a full device nothing changes and false is returned; a crash between the two finds the
     * snapshot in the store and the log starting after it, which is where a restart begins anyway.
     *
     * @return false when the log could not be restarted for lack of space (reported by the log; nothing changed).
     */
    private boolean load(final SnapshotStore.SnapshotReader reader, final String why)
    {
        final long index = reader.index();
        final long term = reader.term();
        final boolean logJoins = log.lastIndex() >= index && index >= log.firstIndex() - 1 && log.term(index) == term;
        if (!logJoins && !log.resetTo(index, term))
        {
            errorHandler.onError(new IllegalStateException("snapshot " + reader.name() + " (index " + index +
                ", " + why + ") not loaded: no space for the log segment after it"));
            return false;
        }
        final DirectBuffer membership = reader.membership();
        final byte[] copy = new byte[membership.capacity()];
        membership.getBytes(0, copy);
        loadedMembership.wrap(copy);
        readerAdapter.reader = reader;
        try
        {
            readerAdapter.position = sessions.readFrom(reader);
            stateMachine.onLoadSnapshot(index, term, readerAdapter);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("state machine failed to load snapshot " + reader.name() + " (index " +
                index + " term " + term + ", " + why + ")", t);
        }
        finally
        {
            readerAdapter.reader = null;
        }
        latestIndex = index;
        latestTerm = term;
        latestLength = SnapshotStore.HEADER_LENGTH + loadedMembership.capacity() + reader.dataLength();
        latestName = reader.name();
        bytesSinceSnapshot = 0;
        snapshotsLoaded++;
        return true;
    }

    private void retainAndCompact()
    {
        final String[] names = store.snapshotNames();
        if (names.length < retain)
        {
            return;
        }
        final long oldestKept = SnapshotStore.indexOf(names[names.length - retain]);
        store.deleteOlderThan(oldestKept);
        log.compactBelow(oldestKept + 1);
    }

    private void requireLogFromStart(final String why)
    {
        if (log.firstIndex() > 1)
        {
            throw new IllegalStateException("the log starts at index " + log.firstIndex() + " (compacted) but " + why +
                ": the state below it is lost; restore the snapshot files or rebuild this node from a peer");
        }
    }

    private static final class WriterAdapter implements StateMachine.SnapshotWriter
    {
        SnapshotStore.SnapshotWriter writer;

        public void write(final DirectBuffer buffer, final int offset, final int length)
        {
            writer.append(buffer, offset, length);
        }
    }

    private static final class ReaderAdapter implements StateMachine.SnapshotReader
    {
        SnapshotStore.SnapshotReader reader;
        long position;

        public long remaining()
        {
            return reader.dataLength() - position;
        }

        public int read(final MutableDirectBuffer buffer, final int offset, final int length)
        {
            final int read = reader.read(position, buffer, offset, length);
            position += Math.max(0, read);
            return read;
        }
    }
}

package io.octopii.engine.internal;

import io.octopii.engine.StateMachine;
import io.octopii.log.EntryType;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.InMemoryStorage;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import io.octopii.log.StreamFile;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshot policy, retention, compaction and start-up loading of {@link SnapshotKeeper}, stepped by hand
 * over an in-memory disk: no cluster, no threads.
 */
class SnapshotKeeperTest
{
    private static final int SEGMENT_LENGTH = 8 * 1024;
    private static final int PAYLOAD_LENGTH = 100;

    private final InMemoryStorage storage = new InMemoryStorage("keeper");
    private final List<Throwable> errors = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final SumStateMachine stateMachine = new SumStateMachine();
    private RaftLog log = openLog();

    @AfterEach
    void close()
    {
        log.close();
        storage.close();
    }

    @Test
    void shouldAskForASnapshotAfterTheEntryIntervalOrTheLogBytes()
    {
        final SnapshotKeeper byEntries = keeper(100, 0, 2);
        assertFalse(byEntries.isDue(99));
        assertTrue(byEntries.isDue(100));

        final SnapshotKeeper byBytes = keeper(0, 10 * PAYLOAD_LENGTH, 2);
        for (int i = 0; i < 9; i++)
        {
            byBytes.onApplied(PAYLOAD_LENGTH);
        }
        assertFalse(byBytes.isDue(9), "9 entries of 100 bytes are below 1000");
        byBytes.onApplied(PAYLOAD_LENGTH);
        assertTrue(byBytes.isDue(10));

        final SnapshotKeeper off = keeper(0, 0, 2);
        off.onApplied(1 << 20);
        assertFalse(off.isDue(1_000_000), "both triggers off");
    }

    @Test
    void shouldKeepTheNewestSnapshotsAndCompactWholeSegmentsBelowTheOldestKept()
    {
        final SnapshotKeeper keeper = keeper(0, 0, 2);
        append(1, 1000);
        final int segmentsBefore = log.segmentCount();
        assertTrue(segmentsBefore > 5, "the entries span several segments");

        assertEquals(400, take(keeper, 400));
        assertEquals(1, log.firstIndex(), "one snapshot of two kept: nothing compacted yet");
        assertEquals(800, take(keeper, 800));
        assertTrue(log.firstIndex() > 1 && log.firstIndex() <= 401, "compacted below the oldest kept (400): first " +
            log.firstIndex());
        assertTrue(log.segmentCount() < segmentsBefore);
        assertEquals(950, take(keeper, 950));
        assertEquals(2, new SnapshotStore(storage, events::add).snapshotNames().length, "two kept");
        assertTrue(log.firstIndex() > 401 && log.firstIndex() <= 801, "first " + log.firstIndex());
        assertEquals(950, take(keeper, 950), "nothing applied since: the same snapshot");
        assertEquals(3, keeper.snapshotsTaken());
        assertTrue(keeper.snapshotBytes() > 3 * SnapshotStore.HEADER_LENGTH);
    }

    @Test
    void shouldAbandonASnapshotTheStateMachineFailedToWriteAndKeepTheLog()
    {
        final SnapshotKeeper keeper = keeper(0, 0, 1);
        append(1, 500);
        stateMachine.failNextTake = true;
        assertEquals(SnapshotKeeper.FAILED, keeper.take(400, 1));
        assertEquals(1, errors.size(), "reported once");
        assertEquals(0, new SnapshotStore(storage, events::add).snapshotNames().length);
        for (final String name : storage.list())
        {
            assertFalse(name.startsWith("snapshot-"), "left behind " + name);
        }
        assertEquals(1, log.firstIndex(), "not compacted");
        assertEquals(400, take(keeper, 400), "the next take works");
    }

    @Test
    void shouldLoadTheNewestValidSnapshotAtStartAndSkipADamagedOne()
    {
        final SnapshotKeeper keeper = keeper(0, 0, 2);
        append(1, 1000);
        take(keeper, 400);
        take(keeper, 800);
        final String[] names = new SnapshotStore(storage, events::add).snapshotNames();
        try (StreamFile newest = storage.openStream(names[1]))
        {
            newest.write(SnapshotStore.HEADER_LENGTH + 3, new UnsafeBuffer(new byte[]{ 9, 9, 9 }), 0, 3);
        }

        final SumStateMachine restarted = new SumStateMachine();
        final SnapshotKeeper afterRestart = new SnapshotKeeper(
            new SnapshotStore(storage, events::add), restarted, log, errors::add, 0, 0, 2, sessions());
        assertEquals(400, afterRestart.loadAtStart(), "the damaged newest is skipped for the previous one");
        assertEquals(stateMachine.sumAt(400), restarted.sum, "state of index 400");
        assertTrue(events.stream().anyMatch(e -> e.contains("skipping") && e.contains(names[1])), events.toString());
    }

    @Test
    void shouldRefuseToStartWhenTheLogWasCompactedAndNoSnapshotIsValid()
    {
        final SnapshotKeeper keeper = keeper(0, 0, 1);
        append(1, 1000);
        take(keeper, 800);
        assertTrue(log.firstIndex() > 1);
        final String name = new SnapshotStore(storage, events::add).snapshotNames()[0];
        storage.delete(name);

        final SnapshotKeeper afterRestart = new SnapshotKeeper(
            new SnapshotStore(storage, events::add), new SumStateMachine(), log, errors::add, 0, 0, 1, sessions());
        final IllegalStateException refused = assertThrows(IllegalStateException.class, afterRestart::loadAtStart);
        assertTrue(refused.getMessage().contains("compacted"), refused.getMessage());
    }

    @Test
    void shouldRestartTheLogAfterASnapshotItDoesNotJoin()
    {
        final byte[] snapshot = snapshotAt300();

        // another node with a shorter log receives the file, as an install does
        final InMemoryStorage followerStorage = new InMemoryStorage("follower");
        final RaftLog followerLog = followerLogOf50(followerStorage);
        try
        {
            final String name = SnapshotStore.fileName(300, 1);
            writeFile(followerStorage, name, snapshot);
            final SumStateMachine follower = new SumStateMachine();
            final SnapshotKeeper keeper = new SnapshotKeeper(
                new SnapshotStore(followerStorage, events::add), follower, followerLog, errors::add, 0, 0, 1, sessions());
            assertEquals(300, keeper.install(name));
            assertEquals(stateMachine.sumAt(300), follower.sum);
            assertEquals(301, followerLog.firstIndex(), "the log restarts after the snapshot");
            assertEquals(300, followerLog.lastIndex());
            assertEquals(1, followerLog.term(300));
        }
        finally
        {
            followerLog.close();
            followerStorage.close();
        }
    }

    @Test
    void shouldLeaveEverythingAsItWasWhenAnInstallFindsNoSpaceForTheLogAndInstallOnceSpaceReturns()
    {
        final byte[] snapshot = snapshotAt300();
        final InMemoryStorage followerStorage = new InMemoryStorage("follower");
        final RaftLog followerLog = followerLogOf50(followerStorage);
        try
        {
            final SumStateMachine follower = new SumStateMachine();
            final SnapshotKeeper keeper = new SnapshotKeeper(
                new SnapshotStore(followerStorage, events::add), follower, followerLog, errors::add, 0, 0, 1, sessions());
            final String name = SnapshotStore.fileName(300, 1);
            writeFile(followerStorage, name, snapshot);
            followerStorage.full(true);
            assertEquals(0, keeper.install(name), "no space for the segment after the snapshot: not installed");
            assertEquals(0, follower.sum, "the state was not replaced");
            assertEquals(1, followerLog.firstIndex());
            assertEquals(50, followerLog.lastIndex(), "the log is as it was");
            assertFalse(followerStorage.exists(name), "the fetched file is deleted: the leader offers it again");
            assertTrue(errors.stream().anyMatch(e -> e.getMessage().contains("no space")), errors.toString());

            followerStorage.full(false);
            writeFile(followerStorage, name, snapshot);
            assertEquals(300, keeper.install(name));
            assertEquals(stateMachine.sumAt(300), follower.sum);
            assertEquals(301, followerLog.firstIndex());
        }
        finally
        {
            followerLog.close();
            followerStorage.close();
        }
    }

    /** The leader's log of 300 entries, snapshotted at 300: the snapshot file's bytes. */
    private byte[] snapshotAt300()
    {
        final SnapshotKeeper leader = keeper(0, 0, 1);
        append(1, 300);
        take(leader, 300);
        return readSnapshotFile();
    }

    /** A follower's log of 50 entries of term 1, which a snapshot at 300 does not join. */
    private RaftLog followerLogOf50(final InMemoryStorage followerStorage)
    {
        final RaftLog followerLog = RaftLog.open(new RaftLog.Context().storage(followerStorage)
            .segmentLength(SEGMENT_LENGTH).fsyncPolicy(FsyncPolicy.NONE).eventHandler(events::add));
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
        for (long i = 1; i <= 50; i++)
        {
            followerLog.append(1, i, EntryType.ENTRY, 0, payload, 0, PAYLOAD_LENGTH);
        }
        return followerLog;
    }

    private static void writeFile(final InMemoryStorage storage, final String name, final byte[] bytes)
    {
        try (StreamFile file = storage.createStream(name))
        {
            file.write(0, new UnsafeBuffer(bytes), 0, bytes.length);
            file.force();
        }
    }

    private byte[] readSnapshotFile()
    {
        final String name = new SnapshotStore(storage, events::add).snapshotNames()[0];
        try (StreamFile file = storage.openStream(name))
        {
            final byte[] bytes = new byte[(int)file.size()];
            assertEquals(bytes.length, file.read(0, new UnsafeBuffer(bytes), 0, bytes.length));
            return bytes;
        }
    }

    private long take(final SnapshotKeeper keeper, final long index)
    {
        stateMachine.appliedUpTo(index);
        return keeper.take(index, log.term(index));
    }

    private SnapshotKeeper keeper(final long intervalEntries, final long logBytes, final int retain)
    {
        return new SnapshotKeeper(new SnapshotStore(storage, events::add), stateMachine, log, errors::add,
            intervalEntries, logBytes, retain, sessions());
    }

    private void append(final long from, final long to)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
        for (long i = from; i <= to; i++)
        {
            assertEquals(i, log.append(1, i, EntryType.ENTRY, 0, payload, 0, PAYLOAD_LENGTH));
        }
    }

    private RaftLog openLog()
    {
        return RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.NONE));
    }

    /** State: the sum of the applied indexes; the snapshot is that one long. */
    private static final class SumStateMachine implements StateMachine
    {
        long sum;
        boolean failNextTake;
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[Long.BYTES]);

        void appliedUpTo(final long index)
        {
            sum = sumAt(index);
        }

        long sumAt(final long index)
        {
            return index * (index + 1) / 2;
        }

        public int onCommit(
            final long index, final long term, final DirectBuffer buffer, final int offset, final int length,
            final boolean endOfBatch, final MutableDirectBuffer response)
        {
            sum += index;
            return 0;
        }

        public void onTakeSnapshot(final long index, final long term, final SnapshotWriter writer)
        {
            if (failNextTake)
            {
                failNextTake = false;
                writer.write(buffer, 0, 4); // a partial write, then the failure
                throw new IllegalStateException("state machine failed while writing its snapshot");
            }
            buffer.putLong(0, sum);
            writer.write(buffer, 0, Long.BYTES);
        }

        public void onLoadSnapshot(final long index, final long term, final SnapshotReader reader)
        {
            reader.read(buffer, 0, Long.BYTES);
            sum = buffer.getLong(0);
        }
    }

    private static ClientSessions sessions()
    {
        return new ClientSessions(16, 64, 32);
    }
}

package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A device that cannot hold another segment: appends that need one return {@link RaftLog#LOG_FULL} (nothing
 * appended, nothing lost), the log reports it once, the flusher retries with a back-off instead of spinning, and
 * appends resume by themselves once an allocation succeeds. The device is modelled by a storage that refuses to
 * create files while "full" (the real-process test fills a tmpfs).
 */
class RaftLogNoSpaceTest
{
    private static final int SEGMENT_LENGTH = 64 * 1024;
    private static final int PAYLOAD = 1000;

    @TempDir
    File dir;

    @Test
    void shouldRefuseAppendsWithLogFullAndResumeWhenSpaceReturns()
    {
        final FullableStorage storage = new FullableStorage(new MappedFileStorage(dir));
        final List<String> events = new ArrayList<>();
        final CachedNanoClock clock = new CachedNanoClock();
        try (RaftLog log = open(storage, events, RaftLog.Context.SPARE_SEGMENTS_DEFAULT))
        {
            final LogFlusher flusher = new LogFlusher(log, clock);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD]);
            storage.isFull = true;
            long index = 1;
            long result;
            int flusherCalls = 0;
            while ((result = log.append(1, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD)) == index)
            {
                payload.putLong(0, index);
                index++;
                flusher.doWork();
                flusherCalls++;
            }
            assertEquals(RaftLog.LOG_FULL, result, "append status when no segment can be allocated");
            assertTrue(log.isStorageFull());
            assertEquals(index - 1, log.lastIndex(), "nothing appended by the refused record");
            for (int i = 0; i < 1000; i++)
            {
                assertEquals(RaftLog.LOG_FULL, log.append(1, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD));
                flusher.doWork(); // same clock: the back-off allows no new attempt
            }
            final long attemptsWhileFull = storage.refused;
            assertTrue(attemptsWhileFull <= 2, "allocation attempts within one back-off: " + attemptsWhileFull +
                " (" + flusherCalls + " flusher calls before)");
            assertEquals(1, log.storageFullCount());
            assertEquals(1, events.stream().filter(e -> e.startsWith("no space for a new log segment")).count(),
                "reported once: " + events);
            assertTrue(events.get(0).contains(dir.getPath()) && events.get(0).contains(SEGMENT_LENGTH + " bytes"),
                "the report names the directory and the bytes needed: " + events.get(0));
            assertEquals(log.lastIndex(), log.durableIndex(), "everything appended became durable");

            storage.isFull = false;
            clock.advance(RaftLog.NO_SPACE_RETRY_NS);
            flusher.doWork();
            assertFalse(log.isStorageFull(), "a spare was allocated after the back-off: " + events);
            assertEquals(index, log.append(1, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD), "appends resume");
            assertTrue(events.stream().anyMatch(e -> e.startsWith("space available again")), events.toString());
        }
    }

    @Test
    void shouldRefuseATruncationItCannotStartASegmentForAndTruncateOnceSpaceReturns()
    {
        final FullableStorage storage = new FullableStorage(new MappedFileStorage(dir));
        final List<String> events = new ArrayList<>();
        final CachedNanoClock clock = new CachedNanoClock();
        // under half a segment appended: the flusher prepares no spare, so truncating needs a new file
        try (RaftLog log = open(storage, events, 1))
        {
            final LogFlusher flusher = new LogFlusher(log, clock);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD]);
            for (long index = 1; index <= 20; index++)
            {
                assertEquals(index, log.append(1, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD));
            }
            flusher.flushAll();
            storage.isFull = true;
            for (int i = 0; i < 100; i++)
            {
                assertFalse(log.truncateFrom(10), "a truncation needs a new segment: refused while the device is full");
                flusher.doWork();
            }
            assertEquals(20, log.lastIndex(), "nothing removed by a refused truncation");
            assertTrue(log.isStorageFull());
            assertTrue(storage.refused <= 2, "allocation attempts within one back-off: " + storage.refused);
            assertEquals(1, events.stream().filter(e -> e.startsWith("no space for a new log segment")).count(),
                "reported once: " + events);

            storage.isFull = false;
            clock.advance(RaftLog.NO_SPACE_RETRY_NS);
            flusher.doWork();
            assertTrue(log.truncateFrom(10), "truncates once space returned");
            assertEquals(9, log.lastIndex());
            assertEquals(10, log.append(2, 10, EntryType.ENTRY, 0, payload, 0, PAYLOAD));
        }
    }

    private static RaftLog open(final LogStorage storage, final List<String> events, final int spareSegments)
    {
        return RaftLog.open(new RaftLog.Context()
            .storage(storage)
            .segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.DURABLE)
            .spareSegments(spareSegments)
            .eventHandler(events::add));
    }

    /** Delegates to a real storage; while {@link #isFull}, creating a file fails as on a full device. */
    static final class FullableStorage extends ForwardingStorage
    {
        volatile boolean isFull;
        volatile long refused;

        FullableStorage(final LogStorage delegate)
        {
            super(delegate);
        }

        @Override
        public StorageFile createFile(
            final String name, final int length, final DirectBuffer initial, final int initialOffset, final int initialLength)
        {
            if (isFull)
            {
                refused++;
                throw new UncheckedIOException("failed to create " + name, new IOException("No space left on device"));
            }
            return delegate.createFile(name, length, initial, initialOffset, initialLength);
        }
    }
}

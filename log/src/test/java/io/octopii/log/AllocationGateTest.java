package io.octopii.log;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steady state allocates nothing on the appending thread: append (copy and claim), read and term
 * lookup over a real mapped log with a real flusher thread forcing under {@link FsyncPolicy#DURABLE}.
 */
class AllocationGateTest
{
    private static final int WARM_UP = 1_000_000;
    private static final int MEASURED = 1_000_000;
    private static final int PAYLOAD = 32;

    @TempDir
    File dir;

    @Test
    void shouldNotAllocateOnTheAppendingThreadInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        // one segment holds warm-up and measurement (rolls create files and are a slow path)
        final int segmentLength = 128 * 1024 * 1024;
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(segmentLength)
            .indexCapacity(2 * (WARM_UP + MEASURED))))
        {
            final AgentRunner runner = new AgentRunner(
                new BackoffIdleStrategy(10, 10, 10_000, 1_000_000), Throwable::printStackTrace, null, new LogFlusher(log));
            AgentRunner.startOnThread(runner);
            try
            {
                final UnsafeBuffer payload = LogTestUtil.directBuffer(PAYLOAD);
                final LogRecordView view = new LogRecordView();
                final long[] checksum = new long[1];
                final long tid = Thread.currentThread().getId();
                threads.getThreadAllocatedBytes(tid); // first call initialises the bean: not part of the log's cost
                for (int i = 0; i < 4; i++)
                {
                    run(log, payload, view, WARM_UP / 4, checksum);
                }

                final long before = threads.getThreadAllocatedBytes(tid);
                run(log, payload, view, MEASURED, checksum);
                final long allocated = threads.getThreadAllocatedBytes(tid) - before;
                System.out.println("AllocationGateTest: " + allocated + " bytes over " + MEASURED + " operations");

                assertEquals(0, allocated, "bytes allocated on the appending thread over " + MEASURED +
                    " x (append + read + term) (checksum " + checksum[0] + ")");
                assertEquals(0, log.segmentRolls(), "a roll happened inside the measurement");
                assertTrue(log.lastIndex() == WARM_UP + MEASURED);
            }
            finally
            {
                runner.close();
            }
        }
    }

    @Test
    void shouldNotAllocateOnTheAppendingThreadAcrossSegmentRollsAndCompactionAt4KiB()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final int payloadLength = 4096;
        final int segmentLength = 8 * 1024 * 1024;
        final int recordsPerSegment = segmentLength / (payloadLength + 32);
        final int warmUp = 120 * recordsPerSegment;
        final int measured = 60 * recordsPerSegment;
        // NONE: the measurement is the appending thread's, and forcing 700 MB on a shared disk would only slow it
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(segmentLength)
            .fsyncPolicy(FsyncPolicy.NONE).spareSegments(4).indexCapacity(4 * recordsPerSegment)))
        {
            final AgentRunner runner = new AgentRunner(
                new BackoffIdleStrategy(10, 10, 10_000, 1_000_000), Throwable::printStackTrace, null, new LogFlusher(log));
            AgentRunner.startOnThread(runner);
            try
            {
                final UnsafeBuffer payload = LogTestUtil.directBuffer(payloadLength);
                final LogRecordView view = new LogRecordView();
                final long tid = Thread.currentThread().getId();
                threads.getThreadAllocatedBytes(tid);
                appendAndCompact(log, payload, view, warmUp, recordsPerSegment);

                final long rollsBefore = log.segmentRolls();
                final long withoutSpareBefore = log.rollsWithoutSpare();
                final long before = threads.getThreadAllocatedBytes(tid);
                appendAndCompact(log, payload, view, measured, recordsPerSegment);
                final long allocated = threads.getThreadAllocatedBytes(tid) - before;
                final long rolls = log.segmentRolls() - rollsBefore;
                System.out.println("AllocationGateTest: " + allocated + " bytes over " + measured + " appends of " +
                    payloadLength + " B with " + rolls + " rolls (" + (log.rollsWithoutSpare() - withoutSpareBefore) +
                    " without a ready spare) and as many compactions");

                assertTrue(rolls >= 50, "rolls inside the measurement: " + rolls);
                assertEquals(withoutSpareBefore, log.rollsWithoutSpare(), "every roll found a recycled file ready");
                assertEquals(0, allocated, "bytes allocated on the appending thread over " + measured +
                    " appends with " + rolls + " rolls and compactions");
            }
            finally
            {
                runner.close();
            }
        }
    }

    /** Append, read back, and compact as a node after snapshots would: keep the last two segments' worth. */
    private static void appendAndCompact(
        final RaftLog log, final UnsafeBuffer payload, final LogRecordView view, final int count,
        final int recordsPerSegment)
    {
        for (int i = 0; i < count; i++)
        {
            final long index = log.lastIndex() + 1;
            payload.putLong(0, index);
            if (log.append(3, index, EntryType.ENTRY, 0, payload, 0, payload.capacity()) != index ||
                !log.read(index, view) || view.buffer().getLong(view.payloadOffset()) != index)
            {
                throw new IllegalStateException("append or read failed at " + index);
            }
            if (log.segmentCount() > 3)
            {
                // the premise of an allocation-free roll: the flusher keeps up with naming rolled files (on a
                // machine this loaded it may fall a few segments behind; then compaction deletes instead of
                // recycling and a roll creates a file, both slow paths that allocate)
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (log.pendingNames() > 0)
                {
                    if (System.nanoTime() > deadlineNs)
                    {
                        throw new IllegalStateException("the flusher did not name the rolled segment within 10 s");
                    }
                    LockSupport.parkNanos(100_000);
                }
                log.compactBelow(index - 2L * recordsPerSegment);
            }
        }
    }

    private static void run(
        final RaftLog log, final UnsafeBuffer payload, final LogRecordView view, final int count, final long[] checksum)
    {
        for (int i = 0; i < count; i++)
        {
            final long index = log.lastIndex() + 1;
            payload.putLong(0, index);
            final long appended;
            if ((i & 1) == 0)
            {
                appended = log.append(3, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD);
            }
            else
            {
                appended = log.tryClaim(3, EntryType.ENTRY, 0, PAYLOAD);
                log.claimBuffer().putLong(log.claimOffset(), index);
                log.commitClaim();
            }
            if (appended != index || !log.read(index - (i & 15), view))
            {
                throw new IllegalStateException("append or read failed at " + index + ": " + appended);
            }
            checksum[0] += view.buffer().getLong(view.payloadOffset()) + log.term(index - (i & 7));
        }
    }
}

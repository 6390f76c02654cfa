package io.octopii.log;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;

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

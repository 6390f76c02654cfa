package io.octopii.log;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Group commit for a {@link RaftLog}: each duty cycle forces everything appended since the last
 * force (one {@code msync} per batch) and then publishes {@link RaftLog#durableIndex()}. Under
 * {@link FsyncPolicy#INTERVAL_MS} it forces at most once per interval; under {@link FsyncPolicy#NONE}
 * it forces nothing. After each force, and whenever it has no forcing to do, it takes a step towards a spare
 * segment file for the log's next roll: it zeroes and forces again a file compaction recycled, or creates and
 * pre-faults a fresh one when none is ready, 256 KiB a step, so that a spare never holds back the durable index
 * for longer than one step (never the owner).
 * <p>
 * <b>Threads</b>: runs on its own thread in an {@link org.agrona.concurrent.AgentRunner}, or is invoked
 * ({@link #doWork()}) by a composite agent or by the deterministic simulator on its single thread.
 * It never blocks the log's owner: the two share only release/acquire fields and a lock held for a few
 * field updates (never across a force).
 * <p>
 * <b>Lifecycle</b>: create after {@link RaftLog#open}, stop (close its runner) before
 * {@link RaftLog#close()}.
 * <p>
 * <b>Failure</b>: a failed force throws {@link java.io.UncheckedIOException} from {@link #doWork()}
 * (the runner's error handler counts it) and marks the log failed: appends return
 * {@link RaftLog#LOG_FAILED} and the node must stop.
 */
public final class LogFlusher implements Agent
{
    private final RaftLog log;
    private final NanoClock clock;
    private final String roleName;

    /**
     * @param log   to flush.
     * @param clock time source for {@link FsyncPolicy#INTERVAL_MS} (the simulator passes its own).
     */
    public LogFlusher(final RaftLog log, final NanoClock clock)
    {
        this.log = log;
        this.clock = clock;
        this.roleName = "log-flusher";
    }

    /**
     * @param log to flush, timed with the system clock.
     */
    public LogFlusher(final RaftLog log)
    {
        this(log, SystemNanoClock.INSTANCE);
    }

    /**
     * Force what was appended and publish the durable index.
     *
     * @return work done, 0 when there was nothing to force.
     */
    public int doWork()
    {
        return log.flush(clock.nanoTime(), false);
    }

    /**
     * Force everything appended so far, ignoring the interval, until the durable index reaches the last
     * index the log held when called. For shutdown, tests and the simulator; blocks on the disk. Call it
     * from the thread that would otherwise run {@link #doWork()}.
     */
    public void flushAll()
    {
        final long target = log.lastIndex();
        while (log.durableIndex() < target && !log.isFailed())
        {
            if (0 == log.flush(clock.nanoTime(), true))
            {
                return;
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return roleName;
    }
}

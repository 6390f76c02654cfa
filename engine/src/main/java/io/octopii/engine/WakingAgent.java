package io.octopii.engine;

import org.agrona.concurrent.Agent;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * An agent that wakes a partner thread when its own progress counter moves. In {@link ThreadingMode#DEDICATED}
 * mode the consensus agent and the log flusher run on two threads whose idle strategies park when idle: without
 * a wake-up, an append waits up to one park for the flusher to force it, and the forced position waits up to one
 * park for the consensus agent to acknowledge or commit it. Here the consensus agent's wrapper unparks the flusher
 * when the log's last index moves, and the flusher's wrapper unparks the consensus agent when the durable index
 * moves, so the hand-off costs one unpark instead of a park period.
 *
 * <p>An unpark of a thread that is running only leaves a permit, which makes its next park return at once: one
 * extra duty cycle at most. <b>Allocation.</b> None per duty cycle.
 */
final class WakingAgent implements Agent
{
    private final Agent delegate;
    private final LongSupplier progress;
    private volatile Thread partner;
    private long lastProgress;

    /**
     * @param delegate the agent that does the work.
     * @param progress read on this agent's thread after each duty cycle; a change wakes the partner.
     */
    WakingAgent(final Agent delegate, final LongSupplier progress)
    {
        this.delegate = delegate;
        this.progress = progress;
    }

    /** @param partner the thread to wake; until it is set nobody is woken. */
    void partner(final Thread partner)
    {
        this.partner = partner;
    }

    public void onStart()
    {
        delegate.onStart();
    }

    public int doWork() throws Exception
    {
        final int work = delegate.doWork();
        final long current = progress.getAsLong();
        if (current != lastProgress)
        {
            lastProgress = current;
            final Thread thread = partner;
            if (null != thread)
            {
                LockSupport.unpark(thread);
            }
        }
        return work;
    }

    public void onClose()
    {
        delegate.onClose();
    }

    public String roleName()
    {
        return delegate.roleName();
    }
}

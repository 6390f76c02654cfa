package io.octopii.transport.quic;

import org.agrona.concurrent.Agent;

import java.util.concurrent.locks.LockSupport;

/**
 * An agent whose idle park a producer can cut short. The transport's consensus sender runs under a backoff idle
 * strategy that parks for up to 100 us once idle; a frame offered to an idle sender would wait for the rest of that
 * park (the stream lanes are not wrapped: see {@link QuicTransport}). Here the producer, after writing to the agent's ring, calls {@link #wake()}: if the agent declared
 * itself idle it is unparked at once.
 *
 * <p><b>No lost wake-up beyond one park.</b> The agent stores {@code idle = true} (a volatile store) before the duty
 * cycle that checks its rings once it has found nothing to do; a producer writes its ring (a CAS in
 * {@link org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer}) and then reads {@code idle}. Either the agent's
 * check sees the frame or the producer sees {@code idle} and unparks it. The first empty duty cycle after work
 * is not covered; the idle strategy spins and yields before it parks, so the next cycle, which is, runs long before
 * any park.
 *
 * <p><b>Threads.</b> {@link #doWork()} on the agent's thread; {@link #wake()} on any thread. An unpark of a thread
 * that is not parked leaves a permit, which makes its next park return at once: one extra duty cycle at most.
 * <b>Allocation.</b> None.
 */
final class WakeableAgent implements Agent
{
    private final Agent delegate;
    private volatile Thread thread;
    private volatile boolean idle;
    private boolean lastCycleIdle;

    /**
     * @param delegate the agent that does the work.
     */
    WakeableAgent(final Agent delegate)
    {
        this.delegate = delegate;
    }

    /**
     * Any thread, after handing the agent work: unpark it if it is idle.
     */
    void wake()
    {
        if (idle)
        {
            final Thread parked = thread;
            if (null != parked)
            {
                LockSupport.unpark(parked);
            }
        }
    }

    public void onStart()
    {
        thread = Thread.currentThread();
        delegate.onStart();
    }

    public int doWork() throws Exception
    {
        if (lastCycleIdle)
        {
            idle = true;
        }
        final int work = delegate.doWork();
        if (work > 0)
        {
            if (lastCycleIdle)
            {
                idle = false;
                lastCycleIdle = false;
            }
        }
        else
        {
            lastCycleIdle = true;
        }
        return work;
    }

    public void onClose()
    {
        thread = null;
        delegate.onClose();
    }

    public String roleName()
    {
        return delegate.roleName();
    }
}

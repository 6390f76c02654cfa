package io.octopii.transport.aeron;

import org.agrona.concurrent.AgentInvoker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The duty cycle of an embedded media driver in {@code INVOKER} mode when the polling thread runs it
 * ({@link AeronTransport.Context#driverInvokedByPoll(boolean)}). The polling thread invokes it on every
 * poll; when polls stop for {@link #POLL_STALL_NS} (the engine paused, or is starved) the link agent
 * invokes it instead, so the driver keeps sending, acknowledging and heart-beating — without that, the
 * Aeron client declares the driver dead after its 10 s keep-alive timeout and the transport is lost.
 *
 * <p><b>Threads:</b> the polling thread and the link agent; an uncontended compare-and-set keeps the
 * (single-threaded) invoker to one thread at a time. <b>Allocation:</b> none.
 */
final class AeronDriverDuty
{
    static final long POLL_STALL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AgentInvoker invoker;
    private final AtomicBoolean isInvoking = new AtomicBoolean();
    private volatile long pollInvocations;
    private long lastSeenPollInvocations;
    private long lastPollSeenNs;

    AeronDriverDuty(final AgentInvoker invoker)
    {
        this.invoker = invoker;
    }

    /** Polling thread: run one driver duty cycle unless the link agent is running one right now. */
    int invokeFromPoll()
    {
        final int workCount = tryInvoke();
        pollInvocations++;
        return workCount;
    }

    /** Link agent: run one duty cycle when the polling thread has not for {@link #POLL_STALL_NS}. */
    int invokeIfPollStalled(final long nowNs)
    {
        final long invocations = pollInvocations;
        if (invocations != lastSeenPollInvocations)
        {
            lastSeenPollInvocations = invocations;
            lastPollSeenNs = nowNs;
            return 0;
        }
        return nowNs - lastPollSeenNs >= POLL_STALL_NS ? tryInvoke() : 0;
    }

    private int tryInvoke()
    {
        if (!isInvoking.compareAndSet(false, true))
        {
            return 0;
        }
        try
        {
            return invoker.invoke();
        }
        finally
        {
            isInvoking.set(false);
        }
    }
}

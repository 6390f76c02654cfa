package io.octopii.transport.quic;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task on the thread that submits it. Given to Kwik as the datagram handler's executor, it lets Kwik's
 * receiver thread hand a datagram straight to the link session, instead of waking another thread for it: one
 * thread hand-off fewer on every consensus message received. Public for the benchmarks' raw-Kwik floor, which
 * hands its datagrams over the same way.
 */
public final class KwikThreadExecutor extends AbstractExecutorService
{
    public static final KwikThreadExecutor INSTANCE = new KwikThreadExecutor();

    private KwikThreadExecutor()
    {
    }

    public void execute(final Runnable task)
    {
        task.run();
    }

    public void shutdown()
    {
    }

    public List<Runnable> shutdownNow()
    {
        return Collections.emptyList();
    }

    public boolean isShutdown()
    {
        return false;
    }

    public boolean isTerminated()
    {
        return false;
    }

    public boolean awaitTermination(final long timeout, final TimeUnit unit)
    {
        return true;
    }
}

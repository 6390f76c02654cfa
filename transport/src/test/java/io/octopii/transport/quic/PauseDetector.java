package io.octopii.transport.quic;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Records stalls of the whole JVM or machine (GC pauses, CPU starvation on a shared host): a thread
 * that asks to sleep 1 ms and notes every time it overslept by more than a threshold. A latency gap
 * that coincides with such a stall is the machine's, not the transport's. Public for the RPC tests.
 */
public final class PauseDetector implements AutoCloseable
{
    private static final long THRESHOLD_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private final List<long[]> pauses = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    public PauseDetector()
    {
        thread = new Thread(this::run, "pause-detector");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    private void run()
    {
        long last = System.nanoTime();
        while (running)
        {
            LockSupport.parkNanos(1_000_000L);
            final long now = System.nanoTime();
            if (now - last > THRESHOLD_NS)
            {
                synchronized (pauses)
                {
                    pauses.add(new long[]{last, now});
                }
            }
            last = now;
        }
    }

    /** Nanoseconds of detected stalls overlapping [startNs, endNs]. */
    public long stalledWithin(final long startNs, final long endNs)
    {
        long total = 0;
        synchronized (pauses)
        {
            for (final long[] pause : pauses)
            {
                final long overlap = Math.min(endNs, pause[1]) - Math.max(startNs, pause[0]);
                if (overlap > 0)
                {
                    total += overlap;
                }
            }
        }
        return total;
    }

    public long longestPauseNs()
    {
        long longest = 0;
        synchronized (pauses)
        {
            for (final long[] pause : pauses)
            {
                longest = Math.max(longest, pause[1] - pause[0]);
            }
        }
        return longest;
    }

    @Override
    public void close()
    {
        running = false;
    }
}

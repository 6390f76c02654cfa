package io.octopii.transport.aeron;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The embedded media driver's error handler: counts every error and passes on the first of each kind, then at
 * most one per {@link #REPORT_INTERVAL_NS} per kind. The driver reports a warning for every datagram the
 * network refuses ({@code failed to send datagram ... Network is unreachable}), which during a partition is
 * hundreds per second: printed in full, each with its stack trace, they flooded the node's log and filled the
 * heap of a test JVM that captured its output. A kind is the exception class and its message; after
 * {@link #MAX_KINDS} kinds, further new kinds share one interval.
 *
 * <p>Thread: any of the driver's threads; the error path is synchronized (never on the hot path).
 */
final class DriverErrorReporter implements ErrorHandler
{
    static final long REPORT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);
    static final int MAX_KINDS = 256;
    private static final String OTHER_KINDS = "";

    private final ErrorHandler delegate;
    private final AeronTransportCounters counters;
    private final long intervalNs;
    private final NanoClock clock;
    private final Map<String, long[]> lastReportNsAndSuppressed = new HashMap<>();

    DriverErrorReporter(final ErrorHandler delegate, final AeronTransportCounters counters)
    {
        this(delegate, counters, REPORT_INTERVAL_NS, SystemNanoClock.INSTANCE);
    }

    DriverErrorReporter(
        final ErrorHandler delegate, final AeronTransportCounters counters, final long intervalNs, final NanoClock clock)
    {
        this.delegate = delegate;
        this.counters = counters;
        this.intervalNs = intervalNs;
        this.clock = clock;
    }

    public void onError(final Throwable ex)
    {
        counters.increment(AeronTransportEvent.DRIVER_ERROR);
        final long nowNs = clock.nanoTime();
        final long suppressed;
        synchronized (this)
        {
            String kind = ex.getClass().getName() + ": " + ex.getMessage();
            long[] entry = lastReportNsAndSuppressed.get(kind);
            if (null == entry && lastReportNsAndSuppressed.size() >= MAX_KINDS)
            {
                kind = OTHER_KINDS;
                entry = lastReportNsAndSuppressed.get(kind);
            }
            if (null == entry)
            {
                lastReportNsAndSuppressed.put(kind, new long[]{ nowNs, 0 });
                suppressed = 0;
            }
            else if (nowNs - entry[0] >= intervalNs)
            {
                suppressed = entry[1];
                entry[0] = nowNs;
                entry[1] = 0;
            }
            else
            {
                entry[1]++;
                return;
            }
        }
        if (suppressed > 0)
        {
            ex.addSuppressed(new SuppressedReports(suppressed));
        }
        delegate.onError(ex);
    }

    /** Says how many reports of the same kind were counted but not passed on since the last one. */
    static final class SuppressedReports extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        SuppressedReports(final long count)
        {
            super(count + " more of the same kind in the last " +
                TimeUnit.NANOSECONDS.toSeconds(REPORT_INTERVAL_NS) + " s or more (counted as DRIVER_ERROR, not shown)",
                null, false, false);
        }
    }
}

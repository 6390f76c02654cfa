package io.octopii.transport.aeron;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriverErrorReporterTest
{
    private static final long INTERVAL_NS = 10_000;

    private final List<Throwable> reported = new ArrayList<>();
    private final AeronTransportCounters counters = new AeronTransportCounters();
    private long nowNs = 1;
    private final DriverErrorReporter reporter =
        new DriverErrorReporter(reported::add, counters, INTERVAL_NS, () -> nowNs);

    @Test
    void shouldCountEveryErrorAndPassOnTheFirstOfEachKindWithinAnInterval()
    {
        for (int i = 0; i < 1000; i++)
        {
            reporter.onError(new IllegalStateException("failed to send datagram to /10.77.0.1:44384"));
            reporter.onError(new IllegalStateException("failed to send datagram to /10.77.0.2:41395"));
        }
        assertEquals(2000, counters.get(AeronTransportEvent.DRIVER_ERROR));
        assertEquals(2, reported.size(), "one report per kind: " + reported);
    }

    @Test
    void shouldReportAgainAfterTheIntervalSayingHowManyWereSuppressed()
    {
        reporter.onError(new IllegalStateException("unreachable"));
        for (int i = 0; i < 41; i++)
        {
            nowNs += INTERVAL_NS / 100;
            reporter.onError(new IllegalStateException("unreachable"));
        }
        assertEquals(1, reported.size());
        nowNs += INTERVAL_NS;
        reporter.onError(new IllegalStateException("unreachable"));
        assertEquals(2, reported.size());
        final Throwable[] suppressed = reported.get(1).getSuppressed();
        assertEquals(1, suppressed.length);
        assertTrue(suppressed[0].getMessage().startsWith("41 more of the same kind"), suppressed[0].getMessage());
        assertEquals(0, reported.get(0).getSuppressed().length);
    }

    @Test
    void shouldBoundTheKindsItRemembers()
    {
        for (int i = 0; i < DriverErrorReporter.MAX_KINDS + 100; i++)
        {
            reporter.onError(new IllegalStateException("kind " + i));
        }
        assertEquals(DriverErrorReporter.MAX_KINDS + 1, reported.size(), "kinds beyond the bound share one report");
        assertEquals(DriverErrorReporter.MAX_KINDS + 100, counters.get(AeronTransportEvent.DRIVER_ERROR));
    }
}

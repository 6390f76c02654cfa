package io.octopii.transport.quic;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BulkYieldTest
{
    private static final long MS = 1_000_000L;
    private static final long TARGET = MS;

    @Test
    void shouldHalveWhileConsensusIsDelayedAtMostOncePerIntervalDownToOne()
    {
        final BulkYield yield = new BulkYield(32, TARGET);
        long now = 1_000 * MS;
        assertEquals(16, yield.allowed(5 * MS, now, now), "first cut");
        assertEquals(16, yield.allowed(5 * MS, now, now + MS), "a second cut within the interval");
        now += BulkYield.CUT_INTERVAL_NS + 1;
        assertEquals(8, yield.allowed(5 * MS, now, now));
        for (int i = 0; i < 10; i++)
        {
            now += BulkYield.CUT_INTERVAL_NS + 1;
            yield.allowed(5 * MS, now, now);
        }
        assertEquals(1, yield.allowed(5 * MS, now, now), "never below one batch");
    }

    @Test
    void shouldGiveOneBackPerBatchAcknowledgedOnlyWhileConsensusIsNotDelayed()
    {
        final BulkYield yield = new BulkYield(32, TARGET);
        final long now = 1_000 * MS;
        assertEquals(16, yield.allowed(5 * MS, now, now));
        yield.onAcknowledged(3, 5 * MS, now, now);
        assertEquals(16, yield.allowed(5 * MS, now, now), "nothing back while delayed");
        yield.onAcknowledged(3, TARGET / 2, now, now);
        assertEquals(19, yield.allowed(TARGET / 2, now, now));
        yield.onAcknowledged(100, TARGET / 2, now, now);
        assertEquals(32, yield.allowed(TARGET / 2, now, now), "never above the configured window");
    }

    @Test
    void shouldIgnoreADelayMeasuredLongAgoOrNeverAndYieldNothingWhenTurnedOff()
    {
        final long now = 1_000 * MS;
        final BulkYield stale = new BulkYield(32, TARGET);
        assertEquals(32, stale.allowed(5 * MS, now - BulkYield.FRESH_NS - 1, now), "a stale delay");
        assertEquals(32, stale.allowed(5 * MS, 0, now), "no consensus message acknowledged yet");
        final BulkYield cut = new BulkYield(32, TARGET);
        cut.allowed(5 * MS, now, now);
        cut.onAcknowledged(4, 5 * MS, now - BulkYield.FRESH_NS - 1, now);
        assertEquals(20, cut.allowed(5 * MS, now - BulkYield.FRESH_NS - 1, now), "grows back when nothing to protect");
        final BulkYield off = new BulkYield(32, 0);
        assertEquals(32, off.allowed(500 * MS, now, now), "0 turns it off");
        cut.reset();
        assertEquals(32, cut.allowed(TARGET / 2, now, now), "a fresh link starts at the full window");
    }
}

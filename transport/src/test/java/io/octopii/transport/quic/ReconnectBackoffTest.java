package io.octopii.transport.quic;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dialler's back-off, stepped by hand with a seeded random (the seed is in every failure message). */
class ReconnectBackoffTest
{
    private static final long MIN_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private final long seed = System.nanoTime();
    private final ReconnectBackoff backoff = new ReconnectBackoff(MIN_NS, MAX_NS, new SplittableRandom(seed));

    @Test
    void shouldDoubleTheBackOffAfterEachFailedDialUpToTheMaximum()
    {
        final long[] expectedMs = {20, 40, 80, 160, 320, 500, 500, 500};
        for (int failure = 0; failure < expectedMs.length; failure++)
        {
            final long backoffNs = TimeUnit.MILLISECONDS.toNanos(expectedMs[failure]);
            assertEquals(backoffNs, backoff.backoffNs(), "back-off before failure " + failure + ", seed " + seed);
            assertWithinUpperHalf(backoffNs, backoff.onDialFailed(), "wait after failure " + failure);
        }
    }

    @Test
    void shouldDrawEachWaitFromTheWholeUpperHalfOfTheBackOff()
    {
        for (int failure = 0; failure < 5; failure++)
        {
            backoff.onDialFailed();
        }
        assertEquals(MAX_NS, backoff.backoffNs(), "at the cap, seed " + seed);
        long shortestNs = Long.MAX_VALUE;
        long longestNs = 0;
        final int draws = 1_000;
        for (int i = 0; i < draws; i++)
        {
            final long waitNs = backoff.onDialFailed();
            assertWithinUpperHalf(MAX_NS, waitNs, "wait " + i + " at the cap");
            shortestNs = Math.min(shortestNs, waitNs);
            longestNs = Math.max(longestNs, waitNs);
        }
        // 1,000 uniform draws all missing the bottom or the top tenth of [b/2, b] happens with odds of 0.9^1000
        final long tenthNs = MAX_NS / 2 / 10;
        assertTrue(shortestNs < MAX_NS / 2 + tenthNs && longestNs > MAX_NS - tenthNs,
            "waits jittered over [b/2, b] = [250, 500] ms: " + shortestNs / 1e6 + " to " + longestNs / 1e6 +
            " ms, seed " + seed);
    }

    @Test
    void shouldStartAgainFromTheMinimumAfterASuccessfulDial()
    {
        for (int failure = 0; failure < 10; failure++)
        {
            backoff.onDialFailed();
        }
        backoff.onDialSucceeded();
        assertEquals(MIN_NS, backoff.backoffNs());
        assertWithinUpperHalf(MIN_NS, backoff.onDialFailed(), "wait after the first failure since the success");
        assertEquals(2 * MIN_NS, backoff.backoffNs());
    }

    @Test
    void shouldStopAtAMaximumNearLongMaxValueWithoutOverflowing()
    {
        final ReconnectBackoff unbounded = new ReconnectBackoff(MIN_NS, Long.MAX_VALUE, new SplittableRandom(seed));
        for (int failure = 0; failure < 80; failure++)
        {
            final long backoffNs = unbounded.backoffNs();
            assertTrue(backoffNs >= MIN_NS, "back-off " + backoffNs + " after " + failure + " failures");
            assertWithinUpperHalf(backoffNs, unbounded.onDialFailed(), "wait after failure " + failure);
        }
        assertEquals(Long.MAX_VALUE, unbounded.backoffNs());
    }

    private void assertWithinUpperHalf(final long backoffNs, final long waitNs, final String what)
    {
        assertTrue(waitNs >= backoffNs / 2 && waitNs <= backoffNs,
            what + ": " + waitNs + " ns, not in [b/2, b] of b = " + backoffNs + " ns; seed " + seed);
    }
}

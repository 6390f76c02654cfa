package io.octopii.transport.quic;

import java.util.random.RandomGenerator;

/**
 * A link's re-dial back-off: after each failed dial the back-off doubles, from {@code reconnectBackoffMinNs} up
 * to {@code reconnectBackoffMaxNs}, and the wait before the next dial is drawn uniformly from the upper half of
 * it, [b/2, b], so members that lost the same peer do not re-dial it in lock step. A successful dial resets it.
 *
 * <p><b>Thread:</b> the link's dialler thread only.
 */
final class ReconnectBackoff
{
    private final long minNs;
    private final long maxNs;
    private final RandomGenerator random;
    private long backoffNs;

    ReconnectBackoff(final long minNs, final long maxNs, final RandomGenerator random)
    {
        this.minNs = minNs;
        this.maxNs = maxNs;
        this.random = random;
        this.backoffNs = minNs;
    }

    /** The current back-off: the longest the next wait can be. */
    long backoffNs()
    {
        return backoffNs;
    }

    /**
     * A dial failed: how long to wait before the next one, in [b/2, b] of the current back-off b, which then
     * doubles (capped, without overflowing whatever the maximum).
     */
    long onDialFailed()
    {
        final long halfNs = backoffNs / 2;
        final long waitNs = halfNs + random.nextLong(halfNs + 1);
        backoffNs = backoffNs > maxNs / 2 ? maxNs : backoffNs * 2;
        return waitNs;
    }

    /** A dial succeeded: the next failure waits the minimum again. */
    void onDialSucceeded()
    {
        backoffNs = minNs;
    }
}

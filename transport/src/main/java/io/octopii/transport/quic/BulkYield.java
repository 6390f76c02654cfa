package io.octopii.transport.quic;

/**
 * How many shipping batches a link may have in flight, so that bulk bytes yield to consensus messages on the same
 * connection. Kwik 0.10.8 has one congestion window and one socket per connection, and NewReno grows that window
 * until packets queue: a full window of 48 KiB shipping batches held every heartbeat behind megabytes in flight
 * (64 MiB moving at 21 MB/s: heartbeat round trip p50 4.0-4.7 ms, p99 14-20 ms; QuicSoakTest, 10:15).
 *
 * <p>The signal is the consensus channel's latest time to acknowledgement (the oldest message's, from handing it
 * to Kwik to its acknowledgement), which the consensus sender measures anyway; the smoothed one reacted too slowly
 * (p99 6.8-11.1 ms against 6.8-8.4 ms with the latest, 64 MiB runs at 10:17). While it is above the target delay
 * ({@code TransportContext.shippingYieldDelayNs}, 1 ms by default) the allowance is halved, at most once per
 * {@link #CUT_INTERVAL_NS}; each shipping batch acknowledged while it is below, or while no consensus message has
 * been acknowledged for {@link #FRESH_NS} (nothing to protect), adds one back, up to the configured window. So a
 * link with no consensus traffic ships at full speed, and one carrying heartbeats ships what is left.
 *
 * <p><b>Thread:</b> the shipping lane's. The delay fields it reads are written by the consensus sender.
 */
final class BulkYield
{
    /** At most one cut per interval: one cut needs time to show in the smoothed delay. */
    static final long CUT_INTERVAL_NS = 20_000_000L;
    /** A delay measured longer ago than this says nothing about the link now. */
    static final long FRESH_NS = 200_000_000L;

    private final int maxWindow;
    private final long targetDelayNs;
    private int allowed;
    private long lastCutNs;

    /**
     * @param maxWindow     the configured window, and the allowance with nothing to yield to.
     * @param targetDelayNs consensus delay above which the allowance is cut; 0 never cuts it.
     */
    BulkYield(final int maxWindow, final long targetDelayNs)
    {
        this.maxWindow = maxWindow;
        this.targetDelayNs = targetDelayNs;
        this.allowed = maxWindow;
    }

    /** Batches that may be in flight now, given the consensus channel's delay and when it was last measured. */
    int allowed(final long consensusDelayNs, final long delaySampledNs, final long nowNs)
    {
        if (isDelayed(consensusDelayNs, delaySampledNs, nowNs) && nowNs - lastCutNs > CUT_INTERVAL_NS)
        {
            allowed = Math.max(1, allowed / 2);
            lastCutNs = nowNs;
        }
        return allowed;
    }

    /** Batches were acknowledged: each gives one back unless consensus messages are being delayed. */
    void onAcknowledged(final int batches, final long consensusDelayNs, final long delaySampledNs, final long nowNs)
    {
        if (!isDelayed(consensusDelayNs, delaySampledNs, nowNs))
        {
            allowed = Math.min(maxWindow, allowed + batches);
        }
    }

    /** A fresh link starts at the full window. */
    void reset()
    {
        allowed = maxWindow;
        lastCutNs = 0;
    }

    private boolean isDelayed(final long consensusDelayNs, final long delaySampledNs, final long nowNs)
    {
        return targetDelayNs > 0 && delaySampledNs != 0 && nowNs - delaySampledNs < FRESH_NS &&
            consensusDelayNs > targetDelayNs;
    }
}

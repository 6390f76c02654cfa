package io.octopii.engine;

/** How fresh a query's answer must be. */
public enum QueryPolicy
{
    /**
     * Reflects every write acknowledged before the query started (ReadIndex confirmed by a heartbeat
     * quorum). Not yet available: answered with FAILED until the read path lands.
     */
    LINEARIZABLE,
    /** Leader lease under a clock-drift bound. Not yet available: answered with FAILED. */
    LEASE,
    /**
     * This node's state as of now, on any node (optionally once it has applied a minimum index): cheapest,
     * may be stale on a follower or a deposed leader.
     */
    LOCAL
}

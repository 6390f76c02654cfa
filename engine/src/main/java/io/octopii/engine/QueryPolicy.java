package io.octopii.engine;

/**
 * How fresh a query's answer must be. Every policy runs {@link Queryable#onQuery} on the node's consensus
 * thread against the applied state, without a log entry; they differ in what the node waits for first.
 * A query that cannot be served within the read timeout fails with {@link OctopiiException#TIMED_OUT};
 * a query changes nothing, so it is always safe to retry.
 */
public enum QueryPolicy
{
    /**
     * Reflects every write acknowledged before the query started, on any node (ReadIndex). The leader records
     * its commit index, confirms it still leads by a heartbeat round a majority answers (every query waiting
     * shares the round), waits until it applied that index, then answers. A follower asks the leader for a
     * read index and answers from its own state once it applied it. A new leader answers only after
     * committing its first entry. Costs a heartbeat round trip per batch (plus one to the leader on a
     * follower); needs no clock assumption.
     */
    LINEARIZABLE,
    /**
     * As {@link #LINEARIZABLE}, assuming clocks drift less than the lease margin: the leader answers without a
     * heartbeat round while its lease holds ({@code electionTimeoutNs - leaseClockDriftNs} from the send time
     * of the newest heartbeat a majority answered; voters refuse other candidates for an election timeout after
     * hearing from it). Without a lease (a follower, an expired lease, a leadership transfer in this term) it is
     * served as {@link #LINEARIZABLE}.
     */
    LEASE,
    /**
     * This node's state as of now, on any node (optionally once it has applied a minimum index): cheapest,
     * may be stale on a follower or a deposed leader, always a committed prefix.
     */
    LOCAL
}

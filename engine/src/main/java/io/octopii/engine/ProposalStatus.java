package io.octopii.engine;

/**
 * Outcomes of a proposal, as plain {@code int}s so the hot path never allocates. The values equal the wire
 * protocol's {@code ResultStatus} so they travel unchanged in a {@code ProposalResult}.
 *
 * <p>What the caller should do with each:
 * <ul>
 *     <li>{@link #OK}: the command was committed and applied; the result is the state machine's answer.</li>
 *     <li>{@link #NOT_LEADER}: nothing was appended; retry at the leader whose id comes with the outcome
 *     ({@code -1} when unknown, e.g. during an election).</li>
 *     <li>{@link #BACK_PRESSURED}: nothing was appended; too many proposals are in flight, retry later.</li>
 *     <li>{@link #MAX_LENGTH_EXCEEDED}: the command is longer than the configured maximum; do not retry.</li>
 *     <li>{@link #CLOSED}: the node is closed or has failed; nothing was appended.</li>
 *     <li>{@link #INDETERMINATE}: the command was appended but leadership was lost before it committed. It
 *     may or may not be applied by a later leader. Retrying a plain proposal gives at-least-once semantics; not
 *     retrying gives at-most-once. Retrying an exactly-once proposal (same session and sequence) is safe: it is
 *     applied at most once and the retry gets the first application's result.</li>
 *     <li>{@link #LEADERSHIP_TRANSFER}: nothing was appended; the leader is handing leadership to another
 *     member (for at most an election timeout). Retry at the new leader, or here if the transfer fails.</li>
 *     <li>{@link #DUPLICATE}: see the constant; do not retry.</li>
 * </ul>
 */
public final class ProposalStatus
{
    /** Committed and applied. */
    public static final int OK = 0;
    /** This node is not the leader; nothing appended. */
    public static final int NOT_LEADER = 1;
    /** Too many proposals in flight; nothing appended. */
    public static final int BACK_PRESSURED = 2;
    /** Command too long; nothing appended. */
    public static final int MAX_LENGTH_EXCEEDED = 3;
    /** Node closed or failed. */
    public static final int CLOSED = 4;
    /** Appended, then leadership lost: the outcome is unknown. */
    public static final int INDETERMINATE = 5;
    /** The leader is transferring leadership; nothing appended. */
    public static final int LEADERSHIP_TRANSFER = 8;
    /**
     * The leader's log cannot allocate space (its disk is full); nothing appended. It hands leadership to a
     * member that can append when one is healthy: retry shortly (at the new leader), or after space returns.
     */
    public static final int STORAGE_FULL = 9;
    /**
     * An exactly-once proposal ({@link ProposalPublisher#offer(long, long, long, long, org.agrona.DirectBuffer, int, int)},
     * or any {@link OctopiiClient} proposal) that its session had applied already, and whose first result was
     * longer than the nodes keep, or whose sequence the session had already settled: it was not applied again.
     */
    public static final int DUPLICATE = 10;

    private ProposalStatus()
    {
    }

    /**
     * Name of a status for logs and messages (constant strings, no allocation).
     *
     * @param status one of the constants.
     * @return its name, or {@code "UNKNOWN"}.
     */
    public static String name(final int status)
    {
        switch (status)
        {
            case OK: return "OK";
            case NOT_LEADER: return "NOT_LEADER";
            case BACK_PRESSURED: return "BACK_PRESSURED";
            case MAX_LENGTH_EXCEEDED: return "MAX_LENGTH_EXCEEDED";
            case CLOSED: return "CLOSED";
            case INDETERMINATE: return "INDETERMINATE";
            case LEADERSHIP_TRANSFER: return "LEADERSHIP_TRANSFER";
            case STORAGE_FULL: return "STORAGE_FULL";
            case DUPLICATE: return "DUPLICATE";
            default: return "UNKNOWN";
        }
    }
}

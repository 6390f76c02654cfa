package io.octopii.engine;

/**
 * Completes a proposal or query future that did not succeed. {@link #status()} says what the caller
 * should do (see {@link ProposalStatus}); for {@link ProposalStatus#NOT_LEADER} the leader's id and
 * address say where to retry, when known.
 */
public final class OctopiiException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** Query or proposal failed for another reason (e.g. the state machine threw on a query). */
    public static final int FAILED = 7;
    /** No answer within the deadline. */
    public static final int TIMED_OUT = 6;

    private final int status;
    private final int leaderId;
    private final String leaderAddress;

    /**
     * @param status        a {@link ProposalStatus} constant, {@link #TIMED_OUT} or {@link #FAILED}.
     * @param leaderId      the leader as known, -1 when unknown.
     * @param leaderAddress the leader's {@code host:port}, or null.
     * @param message       what happened.
     */
    public OctopiiException(final int status, final int leaderId, final String leaderAddress, final String message)
    {
        super(message);
        this.status = status;
        this.leaderId = leaderId;
        this.leaderAddress = leaderAddress;
    }

    /** What happened, as a status code. */
    public int status()
    {
        return status;
    }

    /** The leader as known, -1 when unknown. */
    public int leaderId()
    {
        return leaderId;
    }

    /** The leader's {@code host:port}, or null when unknown. */
    public String leaderAddress()
    {
        return leaderAddress;
    }

    /** Name of a status code, including {@link #TIMED_OUT} and {@link #FAILED}. */
    public static String statusName(final int status)
    {
        return status == TIMED_OUT ? "TIMED_OUT" : status == FAILED ? "FAILED" : ProposalStatus.name(status);
    }
}

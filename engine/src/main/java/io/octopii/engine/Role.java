package io.octopii.engine;

/**
 * A node's Raft role, as an {@code int} so it can be read without allocation and published in a counter.
 */
public final class Role
{
    /** Follows a leader (or waits for one). */
    public static final int FOLLOWER = 0;
    /** Asking for pre-votes: would a majority vote for me? Does not change any term. */
    public static final int PRE_CANDIDATE = 1;
    /** Asking for votes in a new term. */
    public static final int CANDIDATE = 2;
    /** Leads the current term. */
    public static final int LEADER = 3;
    /** Stopped after a fail-stop error; does nothing more. */
    public static final int FAILED = 4;

    private Role()
    {
    }

    /**
     * @param role one of the constants.
     * @return its name (a constant string).
     */
    public static String name(final int role)
    {
        switch (role)
        {
            case FOLLOWER: return "FOLLOWER";
            case PRE_CANDIDATE: return "PRE_CANDIDATE";
            case CANDIDATE: return "CANDIDATE";
            case LEADER: return "LEADER";
            case FAILED: return "FAILED";
            default: return "UNKNOWN";
        }
    }
}

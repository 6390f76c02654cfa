package io.octopii.engine;

/**
 * Membership changes and their outcomes, as plain {@code int}s. A change is one member at a time: add a learner
 * (a non-voting member that receives the log), promote a learner that caught up, or remove a member (the
 * leader included: it steps down once its removal is committed, handing over to the most up-to-date voter).
 * Besides these codes a change may be refused with {@link ProposalStatus#NOT_LEADER},
 * {@link ProposalStatus#LEADERSHIP_TRANSFER}, {@link ProposalStatus#BACK_PRESSURED} (log full) or
 * {@link ProposalStatus#CLOSED}.
 */
public final class MembershipStatus
{
    /** The configuration entry was appended: the change is in effect on the leader. */
    public static final int OK = 0;
    /** The previous change is not committed yet, or the leader has not committed an entry of its term. */
    public static final int CHANGE_IN_PROGRESS = 20;
    /** ADD_LEARNER of a member already in the configuration. */
    public static final int ALREADY_MEMBER = 21;
    /** PROMOTE of a member that is not a learner. */
    public static final int NOT_A_LEARNER = 22;
    /** PROMOTE of a learner further behind the leader's log than the lag bound. */
    public static final int NOT_CAUGHT_UP = 23;
    /** REMOVE of a member not in the configuration. */
    public static final int NOT_A_MEMBER = 24;
    /** REMOVE of the last voter. */
    public static final int LAST_VOTER = 25;

    /** Change kind: add a learner. */
    public static final int ADD_LEARNER = 1;
    /** Change kind: promote a learner to voter. */
    public static final int PROMOTE = 2;
    /** Change kind: remove a member. */
    public static final int REMOVE = 3;

    private MembershipStatus()
    {
    }

    /**
     * @param status a constant of this class or a {@link ProposalStatus}.
     * @return its name (a constant string).
     */
    public static String name(final int status)
    {
        switch (status)
        {
            case CHANGE_IN_PROGRESS: return "CHANGE_IN_PROGRESS";
            case ALREADY_MEMBER: return "ALREADY_MEMBER";
            case NOT_A_LEARNER: return "NOT_A_LEARNER";
            case NOT_CAUGHT_UP: return "NOT_CAUGHT_UP";
            case NOT_A_MEMBER: return "NOT_A_MEMBER";
            case LAST_VOTER: return "LAST_VOTER";
            default: return ProposalStatus.name(status);
        }
    }
}

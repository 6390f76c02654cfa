package io.octopii.engine;

/** What a follower does with a proposal made to it. */
public enum ProposalForwarding
{
    /** Fail fast with {@link ProposalStatus#NOT_LEADER} and the leader's id and address. The default. */
    REJECT,
    /**
     * Send it on to the leader and relay the outcome. Costs a network hop; a leader change while the
     * proposal is in flight answers {@link ProposalStatus#INDETERMINATE}.
     */
    FORWARD
}

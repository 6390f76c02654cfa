package io.octopii.engine.internal;

import io.octopii.engine.Role;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Raft's election state: role, current term, vote, known leader and the election deadline, stepped with an
 * explicit {@code nowNs} so it is tested without threads or a network.
 *
 * <ul>
 *     <li><b>Randomized timeouts</b>: a follower that hears nothing from a leader for a random time in
 *     {@code [electionTimeoutNs, 2 x electionTimeoutNs)} starts an election.</li>
 *     <li><b>PreVote</b>: it first asks for pre-votes for {@code term + 1} without changing its term; only with
 *     a majority of pre-votes does it become a candidate. A partitioned node therefore never inflates terms
 *     and never disrupts a healthy leader when it returns.</li>
 *     <li><b>Leader stickiness</b>: a node that heard from a live leader within the election timeout, or that
 *     is the leader, refuses (pre-)votes unless the request is a leadership transfer. This is also what the
 *     leader lease rests on, so it holds even when the node has since forgotten the leader (it campaigned),
 *     and a node restarted with a term refuses votes for an election timeout (it may have answered a leader
 *     just before it went down).</li>
 *     <li><b>Persistence</b>: every change of term or vote goes through {@link Actions#persist} (forced) before
 *     any message that depends on it is sent.</li>
 * </ul>
 * CheckQuorum is decided by the caller, who knows when followers last answered; it calls {@link #stepDown}.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction.
 */
public final class Election
{
    /** No member: no vote cast, or no leader known. */
    public static final int NULL_MEMBER = -1;

    /**
     * What the election asks of its owner. Implemented by the consensus agent; by recording fakes in tests.
     */
    public interface Actions
    {
        /**
         * Persist term and vote, forced to disk, before returning.
         *
         * @param term     current term.
         * @param votedFor member voted for in that term, or {@link #NULL_MEMBER}.
         */
        void persist(long term, int votedFor);

        /**
         * Send a RequestVote to every other voting member.
         *
         * @param term     the term asked for (current term + 1 for a pre-vote).
         * @param preVote  whether this is a pre-vote.
         * @param transfer whether this follows a leadership transfer (overrides stickiness).
         */
        void broadcastRequestVote(long term, boolean preVote, boolean transfer);

        /**
         * Answer a RequestVote.
         *
         * @param candidateId   who asked.
         * @param term          this node's current term.
         * @param candidateTerm the term in the request.
         * @param preVote       whether the request was a pre-vote.
         * @param granted       the answer.
         */
        void sendVote(int candidateId, long term, long candidateTerm, boolean preVote, boolean granted);

        /** This node won the election for the current term. */
        void onElected();

        /** This node stopped being leader (a higher term, or CheckQuorum). */
        void onLeadershipLost();
    }

    private int[] memberIds;
    private final int selfId;
    private int majority;
    private final long electionTimeoutNs;
    private long randomState;
    private final Actions actions;
    private boolean[] granted;

    private int role = Role.FOLLOWER;
    private long term;
    private int votedFor = NULL_MEMBER;
    private int leaderId = NULL_MEMBER;
    private long electionDeadlineNs;
    private long lastLeaderContactNs = Long.MIN_VALUE / 2;
    private boolean isTransfer;
    private boolean isRepairing;
    private long electionCount;

    /**
     * @param memberIds         voting members, this node included.
     * @param selfId            this node.
     * @param electionTimeoutNs base election timeout.
     * @param random            seeds the timeout randomization (one draw, at construction).
     * @param actions           the owner's side effects.
     */
    public Election(
        final int[] memberIds,
        final int selfId,
        final long electionTimeoutNs,
        final RandomGenerator random,
        final Actions actions)
    {
        this.memberIds = memberIds.clone();
        this.selfId = selfId;
        this.majority = memberIds.length / 2 + 1;
        this.electionTimeoutNs = electionTimeoutNs;
        // one draw from the injected source seeds a private generator: the timeout jitter is then plain
        // arithmetic on the hot path (no interface call that the JIT may deoptimize) and still replays per seed
        this.randomState = random.nextLong();
        this.actions = actions;
        this.granted = new boolean[memberIds.length];
    }

    /**
     * A new configuration took effect (appended): these members vote from now on. A node that is not among them
     * (a learner, a member being added or one removed) never campaigns; votes from non-voters are ignored.
     * Slow path: allocates.
     *
     * @param voterIds the voting members.
     */
    public void configure(final int[] voterIds)
    {
        this.memberIds = voterIds.clone();
        this.majority = voterIds.length / 2 + 1;
        this.granted = new boolean[voterIds.length];
        if (!isVoter() && (role == Role.PRE_CANDIDATE || role == Role.CANDIDATE))
        {
            role = Role.FOLLOWER; // its own election no longer counts
        }
    }

    /**
     * A node whose log was wiped by an operator repair may have acknowledged entries that counted toward a commit
     * quorum; with a shorter log it would grant a vote to a candidate lacking them. While repairing it neither
     * grants (pre-)votes nor campaigns (nor answers TimeoutNow); it still follows leaders and adopts higher terms.
     *
     * @param isRepairing whether the log is being rebuilt after a repair.
     */
    public void repairing(final boolean isRepairing)
    {
        this.isRepairing = isRepairing;
    }

    /** @return whether this node is rebuilding its log after an operator repair (it does not vote). */
    public boolean isRepairing()
    {
        return isRepairing;
    }

    /** @return whether this node votes in the configuration in effect. */
    public boolean isVoter()
    {
        return indexOf(selfId) >= 0;
    }

    /**
     * Start as a follower with the persisted term and vote (after a restart, or for the first time).
     *
     * @param term     persisted term.
     * @param votedFor persisted vote.
     * @param nowNs    now.
     */
    public void start(final long term, final int votedFor, final long nowNs)
    {
        this.term = term;
        this.votedFor = votedFor;
        this.role = Role.FOLLOWER;
        this.leaderId = NULL_MEMBER;
        // a restarted voter may have answered a leader (extending its lease) just before it went down
        this.lastLeaderContactNs = term > 0 ? nowNs : Long.MIN_VALUE / 2;
        resetDeadline(nowNs);
    }

    /** @return the current role, a {@link Role} constant. */
    public int role()
    {
        return role;
    }

    /** @return the current term. */
    public long term()
    {
        return term;
    }

    /** @return the member voted for in the current term, or {@link #NULL_MEMBER}. */
    public int votedFor()
    {
        return votedFor;
    }

    /** @return the known leader of the current term, or {@link #NULL_MEMBER}. */
    public int leaderId()
    {
        return leaderId;
    }

    /** @return when the next election starts if nothing is heard from a leader. */
    public long electionDeadlineNs()
    {
        return electionDeadlineNs;
    }

    /** @return elections (pre-vote rounds) started by this node. */
    public long electionCount()
    {
        return electionCount;
    }

    /** Stop taking part (fail-stop). */
    public void fail()
    {
        role = Role.FAILED;
    }

    /**
     * Check the election deadline.
     *
     * @param nowNs now.
     * @return 1 if an election round started, else 0.
     */
    public int onTimer(final long nowNs)
    {
        if (role == Role.LEADER || role == Role.FAILED || nowNs < electionDeadlineNs)
        {
            return 0;
        }
        if (!isVoter() || isRepairing)
        {
            resetDeadline(nowNs);
            return 0;
        }
        startPreVote(nowNs, false);
        return 1;
    }

    /**
     * Start an election at once, as a leadership transfer target (TimeoutNow): no pre-vote (the leader asked
     * for it), and the votes requested override the voters' stickiness.
     *
     * @param nowNs now.
     */
    public void onTimeoutNow(final long nowNs)
    {
        if (role != Role.LEADER && role != Role.FAILED && isVoter() && !isRepairing)
        {
            electionCount++;
            leaderId = NULL_MEMBER;
            isTransfer = true;
            startElection(nowNs);
        }
    }

    /**
     * Campaign now instead of waiting for the election timeout (operator request, or the initial leader of
     * a brand-new cluster). A normal pre-vote round: voters that still hear from a live leader refuse, so a
     * healthy leader is not disrupted.
     *
     * @param nowNs now.
     * @return 1 if a round started, else 0 (already leader, or failed).
     */
    public int campaign(final long nowNs)
    {
        if (role == Role.LEADER || role == Role.FAILED || !isVoter() || isRepairing)
        {
            return 0;
        }
        startPreVote(nowNs, false);
        return 1;
    }

    /**
     * A RequestVote arrived.
     *
     * @param nowNs         now.
     * @param candidateId   who asks.
     * @param candidateTerm the term asked for.
     * @param lastLogIndex  the candidate's last log index.
     * @param lastLogTerm   the candidate's last log term.
     * @param preVote       whether it is a pre-vote.
     * @param transfer      whether it follows a leadership transfer.
     * @param myLastIndex   this node's last log index.
     * @param myLastTerm    this node's last log term.
     */
    public void onRequestVote(
        final long nowNs,
        final int candidateId,
        final long candidateTerm,
        final long lastLogIndex,
        final long lastLogTerm,
        final boolean preVote,
        final boolean transfer,
        final long myLastIndex,
        final long myLastTerm)
    {
        if (role == Role.FAILED || indexOf(candidateId) < 0)
        {
            return;
        }
        // a repairing node's log says nothing about what it acknowledged before the wipe: it grants nothing
        final boolean upToDate = !isRepairing &&
            (lastLogTerm > myLastTerm || (lastLogTerm == myLastTerm && lastLogIndex >= myLastIndex));
        final boolean sticky = !transfer && (role == Role.LEADER || nowNs - lastLeaderContactNs < electionTimeoutNs);

        if (preVote)
        {
            final boolean grant = candidateTerm > term && upToDate && !sticky;
            actions.sendVote(candidateId, term, candidateTerm, true, grant);
            return;
        }

        if (candidateTerm < term || sticky)
        {
            actions.sendVote(candidateId, term, candidateTerm, false, false);
            return;
        }
        if (candidateTerm > term)
        {
            becomeFollower(nowNs, candidateTerm, NULL_MEMBER, false);
        }
        final boolean grant = upToDate && (votedFor == NULL_MEMBER || votedFor == candidateId);
        if (grant)
        {
            if (votedFor != candidateId)
            {
                votedFor = candidateId;
                actions.persist(term, votedFor);
            }
            resetDeadline(nowNs);
        }
        actions.sendVote(candidateId, term, candidateTerm, false, grant);
    }

    /**
     * A Vote arrived.
     *
     * @param nowNs         now.
     * @param voterId       who answered.
     * @param voterTerm     the voter's current term.
     * @param candidateTerm the term the vote is for.
     * @param preVote       whether it answers a pre-vote.
     * @param isGranted     the answer.
     */
    public void onVote(
        final long nowNs,
        final int voterId,
        final long voterTerm,
        final long candidateTerm,
        final boolean preVote,
        final boolean isGranted)
    {
        final int voterIndex = indexOf(voterId);
        if (role == Role.FAILED || voterIndex < 0)
        {
            return;
        }
        if (voterTerm > term && !isGranted)
        {
            becomeFollower(nowNs, voterTerm, NULL_MEMBER, true);
            return;
        }
        if (!isGranted)
        {
            return;
        }
        if (preVote && role == Role.PRE_CANDIDATE && candidateTerm == term + 1)
        {
            granted[voterIndex] = true;
            if (grantedCount() >= majority)
            {
                startElection(nowNs);
            }
        }
        else if (!preVote && role == Role.CANDIDATE && candidateTerm == term)
        {
            granted[voterIndex] = true;
            if (grantedCount() >= majority)
            {
                becomeLeader();
            }
        }
    }

    /**
     * A message from a leader (AppendEntries, TimeoutNow...) with a term at least the current one.
     *
     * @param nowNs      now.
     * @param leaderTerm the leader's term.
     * @param leaderId   the leader.
     * @return false if the message is from an older term and must be rejected.
     */
    public boolean onLeaderMessage(final long nowNs, final long leaderTerm, final int leaderId)
    {
        if (leaderTerm < term || role == Role.FAILED)
        {
            return false;
        }
        if (leaderTerm > term || role != Role.FOLLOWER || this.leaderId != leaderId)
        {
            becomeFollower(nowNs, leaderTerm, leaderId, leaderTerm > term);
        }
        lastLeaderContactNs = nowNs;
        resetDeadline(nowNs);
        return true;
    }

    /**
     * Any message (a response, typically) revealing a higher term: become follower in it.
     *
     * @param nowNs     now.
     * @param otherTerm the term seen.
     * @return whether the term changed.
     */
    public boolean onHigherTerm(final long nowNs, final long otherTerm)
    {
        if (otherTerm > term && role != Role.FAILED)
        {
            becomeFollower(nowNs, otherTerm, NULL_MEMBER, true);
            return true;
        }
        return false;
    }

    /**
     * Stop leading without a term change (CheckQuorum failed).
     *
     * @param nowNs now.
     */
    public void stepDown(final long nowNs)
    {
        if (role == Role.LEADER)
        {
            role = Role.FOLLOWER;
            leaderId = NULL_MEMBER;
            resetDeadline(nowNs);
            actions.onLeadershipLost();
        }
    }

    private void startPreVote(final long nowNs, final boolean transfer)
    {
        electionCount++;
        role = Role.PRE_CANDIDATE;
        leaderId = NULL_MEMBER;
        isTransfer = transfer;
        Arrays.fill(granted, false);
        granted[indexOf(selfId)] = true;
        resetDeadline(nowNs);
        if (grantedCount() >= majority)
        {
            startElection(nowNs);
        }
        else
        {
            actions.broadcastRequestVote(term + 1, true, transfer);
        }
    }

    private void startElection(final long nowNs)
    {
        role = Role.CANDIDATE;
        term++;
        votedFor = selfId;
        actions.persist(term, votedFor);
        Arrays.fill(granted, false);
        granted[indexOf(selfId)] = true;
        resetDeadline(nowNs);
        if (grantedCount() >= majority)
        {
            becomeLeader();
        }
        else
        {
            actions.broadcastRequestVote(term, false, isTransfer);
        }
    }

    private void becomeLeader()
    {
        role = Role.LEADER;
        leaderId = selfId;
        actions.onElected();
    }

    private void becomeFollower(final long nowNs, final long newTerm, final int newLeaderId, final boolean resetTimer)
    {
        final boolean wasLeader = role == Role.LEADER;
        if (newTerm > term)
        {
            term = newTerm;
            votedFor = NULL_MEMBER;
            actions.persist(term, votedFor);
        }
        role = Role.FOLLOWER;
        leaderId = newLeaderId;
        if (resetTimer)
        {
            resetDeadline(nowNs);
        }
        if (wasLeader)
        {
            actions.onLeadershipLost();
        }
    }

    private void resetDeadline(final long nowNs)
    {
        electionDeadlineNs = nowNs + electionTimeoutNs + (long)(nextDouble() * electionTimeoutNs);
    }

    private double nextDouble()
    {
        // SplitMix64
        long z = (randomState += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }

    private int grantedCount()
    {
        int count = 0;
        for (final boolean g : granted)
        {
            if (g)
            {
                count++;
            }
        }
        return count;
    }

    private int indexOf(final int memberId)
    {
        for (int i = 0; i < memberIds.length; i++)
        {
            if (memberIds[i] == memberId)
            {
                return i;
            }
        }
        return -1;
    }
}

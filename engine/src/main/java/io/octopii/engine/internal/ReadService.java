package io.octopii.engine.internal;

import io.octopii.engine.OctopiiException;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Queryable;
import io.octopii.engine.Role;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Serves queries without going through the log, under three policies:
 * <ul>
 *     <li><b>LINEARIZABLE</b> (ReadIndex). On the leader, reads wait for a confirmation round: the round records
 *     the commit index, then a heartbeat goes to every follower and the round is confirmed once a majority
 *     (the leader included) answered a request sent after the round started, in the leader's term. A read
 *     is served once the node has applied the round's index. Every read that arrived before a round started
 *     shares that round, so a duty cycle's batch costs one round. A leader serves reads only once it has
 *     committed an entry of its own term (its no-op), so the commit index covers every earlier commit.
 *     On a follower, the waiting reads share one {@code ReadIndexRequest} to the leader, which answers with
 *     the index of a confirmed round; the follower serves them once it has applied that index.</li>
 *     <li><b>LEASE</b>. The leader holds a lease from the send time of the newest request a majority answered in
 *     its term, for {@code electionTimeoutNs - leaseClockDriftNs}: voters refuse other candidates for an
 *     election timeout after they last heard from the leader, so no other leader can commit within the lease
 *     unless clocks drift more than the margin. A lease read takes the commit index at once. Without a lease
 *     (not the leader, lease expired, or a leadership transfer started in this term, which lets voters
 *     ignore stickiness) it is served as LINEARIZABLE.</li>
 *     <li><b>LOCAL</b>. This node's state, once it has applied the optional minimum index.</li>
 * </ul>
 * A read the node cannot serve within {@code readTimeoutNs} is answered {@link OctopiiException#TIMED_OUT};
 * more reads than {@code maxPendingReads} are answered {@link ProposalStatus#BACK_PRESSURED}.
 *
 * <p>Why a confirmed read stays linearizable even if leadership is lost before it is served: at the round's
 * start no other leader had committed anything (every leader of a later term needs a vote from the confirming
 * majority, which answered this leader first), so the cluster's committed prefix was the read index then;
 * the applied prefix served is committed and at least that long, so it equals the committed prefix at some
 * instant between the round's start and the answer, both inside the read's interval.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction: query bytes are copied
 * into a pre-sized arena of slots.
 */
public final class ReadService
{
    /** Policy codes (the first three equal the wire protocol's {@code QueryPolicy}). */
    public static final int LINEARIZABLE = 0;
    /** Leader lease. */
    public static final int LEASE = 1;
    /** This node's state. */
    public static final int LOCAL = 2;
    /** A follower's ReadIndexRequest held by the leader. */
    private static final int REMOTE = 3;

    private static final int FREE = 0;
    private static final int WAITING = 1;
    private static final int IN_ROUND = 2;
    private static final int READY = 3;
    private static final int ANSWER = 4;

    private final RaftCore core;
    private FollowerTracker[] followers;
    private int majority;
    private boolean isSelfVoter = true;
    private final ConsensusPublisher publisher;
    private final EgressPublisher egress;
    private final Queryable queryable;
    private final ErrorHandler errorHandler;
    private final UnsafeBuffer response;
    private final long readTimeoutNs;
    private final long roundTimeoutNs;
    private final long requestTimeoutNs;
    private final long leaseNs;
    private final boolean isConfirmationSkipped;

    private final int maxQueryLength;
    private final long[] correlationIds;
    private final long[] readIndexes;
    private final long[] minAppliedIndexes;
    private final long[] deadlinesNs;
    private final long[] remoteReadIds;
    private final int[] policies;
    private final int[] states;
    private final int[] lengths;
    private final int[] requesters;
    private final int[] answerStatuses;
    private final UnsafeBuffer arena;
    private final UnsafeBuffer queryView = new UnsafeBuffer(0, 0);
    private final int[] freeSlots;
    private int freeCount;
    private final int[] active;
    private int activeCount;
    private int waitingCount;

    private boolean isRoundActive;
    private long roundReadIndex;
    private long roundStartNs;
    private long[] roundSequences;
    private long[] leaseScratch;

    private boolean isRequestInFlight;
    private long requestReadId;
    private long requestSentNs;
    private int requestLeaderId = -1;

    private long leaseBlockedTerm = -1;

    private long roundsStarted;
    private long readsServed;
    private long leaseReads;

    /**
     * @param core      the Raft state (role, term, commit and applied indexes).
     * @param followers the leader's trackers, one per other voting member.
     * @param majority  members in a quorum.
     * @param publisher sends ReadIndex requests and responses.
     * @param egress    answers go here.
     * @param stateMachine answers queries if it is {@link Queryable}.
     * @param errorHandler told about queries that threw.
     * @param settings  the agent's context.
     */
    public ReadService(
        final RaftCore core,
        final FollowerTracker[] followers,
        final int majority,
        final ConsensusPublisher publisher,
        final EgressPublisher egress,
        final Object stateMachine,
        final ErrorHandler errorHandler,
        final io.octopii.engine.ConsensusAgent.Context settings)
    {
        this.core = core;
        this.followers = followers;
        this.majority = majority;
        this.publisher = publisher;
        this.egress = egress;
        this.queryable = stateMachine instanceof Queryable ? (Queryable)stateMachine : null;
        this.errorHandler = errorHandler;
        this.response = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            org.agrona.BitUtil.findNextPositivePowerOfTwo(Math.max(64, settings.maxResultLength())), 64), 0,
            settings.maxResultLength());
        this.readTimeoutNs = settings.readTimeoutNs();
        this.roundTimeoutNs = settings.responseTimeoutNs();
        this.requestTimeoutNs = settings.electionTimeoutNs();
        this.leaseNs = settings.electionTimeoutNs() - settings.leaseClockDriftNs();
        this.isConfirmationSkipped = settings.skipReadConfirmationForTesting();

        final int capacity = settings.maxPendingReads();
        this.maxQueryLength = settings.maxQueryLength();
        correlationIds = new long[capacity];
        readIndexes = new long[capacity];
        minAppliedIndexes = new long[capacity];
        deadlinesNs = new long[capacity];
        remoteReadIds = new long[capacity];
        policies = new int[capacity];
        states = new int[capacity];
        lengths = new int[capacity];
        requesters = new int[capacity];
        answerStatuses = new int[capacity];
        arena = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            org.agrona.BitUtil.findNextPositivePowerOfTwo(Math.max(64, capacity * Math.max(1, maxQueryLength))), 64));
        freeSlots = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            freeSlots[i] = capacity - 1 - i;
        }
        freeCount = capacity;
        active = new int[capacity];
        roundSequences = new long[followers.length];
        leaseScratch = new long[followers.length + 1];
    }

    /** @return confirmation rounds started as leader. */
    public long roundsStarted()
    {
        return roundsStarted;
    }

    /** @return reads answered OK. */
    public long readsServed()
    {
        return readsServed;
    }

    /** @return LEASE reads served under the lease (without a round). */
    public long leaseReads()
    {
        return leaseReads;
    }

    /** @return reads waiting (any state). */
    public int pendingCount()
    {
        return activeCount;
    }

    /**
     * A query from the ingress ring.
     *
     * @param policy one of {@link #LINEARIZABLE}, {@link #LEASE}, {@link #LOCAL}; anything else fails.
     */
    void onQuery(
        final long correlationId, final int policy, final long minAppliedIndex,
        final DirectBuffer query, final int offset, final int length, final long nowNs)
    {
        if (policy < LINEARIZABLE || policy > LOCAL)
        {
            answerNow(correlationId, OctopiiException.FAILED);
            return;
        }
        if (length > maxQueryLength)
        {
            answerNow(correlationId, ProposalStatus.MAX_LENGTH_EXCEEDED);
            return;
        }
        if (0 == freeCount)
        {
            answerNow(correlationId, ProposalStatus.BACK_PRESSURED);
            return;
        }
        final int slot = allocate(correlationId, policy, nowNs);
        minAppliedIndexes[slot] = minAppliedIndex;
        lengths[slot] = length;
        arena.putBytes(slot * maxQueryLength, query, offset, length);
        if (LOCAL == policy)
        {
            ready(slot, 0);
        }
        else if (LEASE == policy && isLeaseValid(nowNs))
        {
            leaseReads++;
            ready(slot, core.commitIndex());
        }
        else
        {
            toWaiting(slot);
        }
    }

    /** A follower asks this node, as leader, for a read index. */
    void onReadIndexRequest(final int requesterId, final long term, final long readId, final long nowNs)
    {
        if (core.role() != Role.LEADER || term > core.term())
        {
            publisher.readIndexResponse(requesterId, core.term(), core.memberId(), readId, 0, ProposalStatus.NOT_LEADER);
            return;
        }
        if (0 == freeCount)
        {
            publisher.readIndexResponse(requesterId, core.term(), core.memberId(), readId, 0, ProposalStatus.BACK_PRESSURED);
            return;
        }
        final int slot = allocate(0, REMOTE, nowNs);
        requesters[slot] = requesterId;
        remoteReadIds[slot] = readId;
        toWaiting(slot);
    }

    /** The leader's answer to this follower's ReadIndexRequest. */
    void onReadIndexResponse(final int leaderId, final long readId, final long readIndex, final int status)
    {
        if (!isRequestInFlight || readId != requestReadId || leaderId != requestLeaderId)
        {
            return;
        }
        isRequestInFlight = false;
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (IN_ROUND == states[slot])
            {
                if (ProposalStatus.OK == status)
                {
                    ready(slot, readIndex);
                }
                else
                {
                    toWaiting(slot);
                }
            }
        }
    }

    /** The node became leader or stopped leading: rounds and requests in flight are void. */
    void onRoleChange(final boolean isLeader)
    {
        isRoundActive = false;
        isRequestInFlight = false;
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (REMOTE == policies[slot])
            {
                if (!isLeader)
                {
                    if (WAITING == states[slot])
                    {
                        waitingCount--;
                    }
                    publisher.readIndexResponse(
                        requesters[slot], core.term(), core.memberId(), remoteReadIds[slot], 0, ProposalStatus.NOT_LEADER);
                    states[slot] = FREE;
                }
            }
            else if (IN_ROUND == states[slot])
            {
                toWaiting(slot);
            }
        }
        compact();
    }

    /**
     * A new configuration took effect: count these followers (voters among them) and this node (if it votes)
     * from now on. A round in flight is abandoned; its reads wait for the next one. Slow path: allocates.
     */
    void configure(final FollowerTracker[] followers, final int majority, final boolean isSelfVoter)
    {
        this.followers = followers;
        this.majority = majority;
        this.isSelfVoter = isSelfVoter;
        this.roundSequences = new long[followers.length];
        this.leaseScratch = new long[followers.length + 1];
        if (isRoundActive)
        {
            abandonRound();
        }
    }

    /** A leadership transfer started: until the next term, voters may ignore stickiness, so no lease. */
    void onTransferStarted()
    {
        leaseBlockedTerm = core.term();
    }

    /**
     * Leader duty before replication: start a confirmation round for the reads waiting, if none is running.
     *
     * @return 1 if a round started.
     */
    int startRound(final long nowNs)
    {
        if (isRoundActive)
        {
            if (isRoundConfirmed())
            {
                confirmRound();
            }
            else if (nowNs - roundStartNs > roundTimeoutNs)
            {
                abandonRound();
            }
        }
        if (isRoundActive || 0 == waitingCount || !core.hasCommittedInTerm())
        {
            return 0;
        }
        isRoundActive = true;
        roundsStarted++;
        roundStartNs = nowNs;
        roundReadIndex = core.commitIndex();
        for (int i = 0; i < followers.length; i++)
        {
            roundSequences[i] = followers[i].nextSequence();
        }
        moveWaitingTo(IN_ROUND);
        if (isConfirmationSkipped || isRoundConfirmed())
        {
            confirmRound();
        }
        return 1;
    }

    /**
     * @param followerIndex position in the followers array.
     * @param nextSequence  the follower's next sequence.
     * @return whether the follower must get a request now because a round waits for it.
     */
    boolean needsHeartbeat(final int followerIndex, final long nextSequence)
    {
        return isRoundActive && nextSequence == roundSequences[followerIndex];
    }

    /**
     * Follower duty: ask the leader for a read index for the reads waiting.
     *
     * @return 1 if a request went out.
     */
    int requestReadIndex(final long nowNs)
    {
        final int leaderId = core.leaderId();
        if (isRequestInFlight && (leaderId != requestLeaderId || nowNs - requestSentNs > requestTimeoutNs))
        {
            isRequestInFlight = false;
            moveInRoundToWaiting();
        }
        if (isRequestInFlight || 0 == waitingCount || leaderId < 0 || core.role() != Role.FOLLOWER)
        {
            return 0;
        }
        isRequestInFlight = true;
        requestReadId++;
        requestSentNs = nowNs;
        requestLeaderId = leaderId;
        moveWaitingTo(IN_ROUND);
        publisher.readIndexRequest(leaderId, core.term(), core.memberId(), requestReadId);
        return 1;
    }

    /**
     * Confirm the leader's round if a quorum answered, serve reads whose index is applied, send answers that
     * waited for room, time out the expired ones.
     *
     * @return work done.
     */
    int serve(final long nowNs)
    {
        if (0 == activeCount)
        {
            return 0;
        }
        if (isRoundActive && isRoundConfirmed())
        {
            confirmRound();
        }
        final long appliedIndex = core.appliedIndex();
        int work = 0;
        int kept = 0;
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            int state = states[slot];
            if (READY == state)
            {
                if (REMOTE == policies[slot])
                {
                    publisher.readIndexResponse(
                        requesters[slot], core.term(), core.memberId(), remoteReadIds[slot], readIndexes[slot],
                        ProposalStatus.OK);
                    state = FREE;
                }
                else if (appliedIndex >= readIndexes[slot] && appliedIndex >= minAppliedIndexes[slot] &&
                    egress.hasRoomForResult())
                {
                    execute(slot, appliedIndex);
                    state = FREE;
                }
            }
            if (FREE != state && ANSWER != state && nowNs - deadlinesNs[slot] >= 0)
            {
                if (WAITING == state)
                {
                    waitingCount--;
                }
                answerStatuses[slot] = OctopiiException.TIMED_OUT;
                state = REMOTE == policies[slot] ? FREE : ANSWER;
            }
            if (ANSWER == state && egress.queryResult(
                correlationIds[slot], answerStatuses[slot], appliedIndex, core.leaderId(), response, 0))
            {
                state = FREE;
            }
            states[slot] = state;
            if (FREE == state)
            {
                freeSlots[freeCount++] = slot;
                work++;
            }
            else
            {
                active[kept++] = slot;
            }
        }
        activeCount = kept;
        return work;
    }

    /** Answer every read {@code status} (close, fail-stop); best effort when the egress ring is full. */
    void failAll(final int status)
    {
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (REMOTE != policies[slot])
            {
                egress.queryResult(correlationIds[slot], status, core.appliedIndex(), core.leaderId(), response, 0);
            }
            states[slot] = FREE;
            freeSlots[freeCount++] = active[i];
        }
        activeCount = 0;
        waitingCount = 0;
        isRoundActive = false;
        isRequestInFlight = false;
    }

    private boolean isLeaseValid(final long nowNs)
    {
        if (core.role() != Role.LEADER || !core.hasCommittedInTerm() || leaseBlockedTerm == core.term() ||
            core.isTransferringLeadership())
        {
            return false;
        }
        if (isConfirmationSkipped)
        {
            return true;
        }
        // the majority-th newest of: now (this node, if it votes) and each voter's newest answered send time
        leaseScratch[0] = isSelfVoter ? nowNs : Long.MIN_VALUE / 2;
        for (int i = 0; i < followers.length; i++)
        {
            leaseScratch[i + 1] = followers[i].isVoter() ? followers[i].ackedSendNs() : Long.MIN_VALUE / 2;
        }
        for (int i = 1; i < leaseScratch.length; i++)
        {
            final long v = leaseScratch[i];
            int j = i - 1;
            while (j >= 0 && leaseScratch[j] < v)
            {
                leaseScratch[j + 1] = leaseScratch[j];
                j--;
            }
            leaseScratch[j + 1] = v;
        }
        return nowNs - leaseScratch[majority - 1] < leaseNs;
    }

    private boolean isRoundConfirmed()
    {
        int confirmed = isSelfVoter ? 1 : 0;
        for (int i = 0; i < followers.length; i++)
        {
            if (followers[i].isVoter() && followers[i].confirmedSequence() >= roundSequences[i])
            {
                confirmed++;
            }
        }
        return confirmed >= majority;
    }

    private void confirmRound()
    {
        isRoundActive = false;
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (IN_ROUND == states[slot])
            {
                ready(slot, roundReadIndex);
            }
        }
    }

    private void abandonRound()
    {
        isRoundActive = false;
        moveInRoundToWaiting();
    }

    private void moveInRoundToWaiting()
    {
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (IN_ROUND == states[slot])
            {
                toWaiting(slot);
            }
        }
    }

    private void moveWaitingTo(final int state)
    {
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (WAITING == states[slot])
            {
                states[slot] = state;
            }
        }
        waitingCount = 0;
    }

    private void execute(final int slot, final long appliedIndex)
    {
        int status = ProposalStatus.OK;
        int length = 0;
        if (null != queryable)
        {
            queryView.wrap(arena, slot * maxQueryLength, lengths[slot]);
            try
            {
                length = queryable.onQuery(queryView, 0, lengths[slot], response);
                if (length < 0 || length > response.capacity())
                {
                    throw new IllegalStateException("query returned result length " + length + " (maxResultLength " +
                        response.capacity() + ")");
                }
            }
            catch (final Throwable ex)
            {
                status = OctopiiException.FAILED;
                length = 0;
                errorHandler.onError(ex);
            }
        }
        if (ProposalStatus.OK == status)
        {
            readsServed++;
        }
        egress.queryResult(correlationIds[slot], status, appliedIndex, core.leaderId(), response, length);
    }

    private int allocate(final long correlationId, final int policy, final long nowNs)
    {
        final int slot = freeSlots[--freeCount];
        correlationIds[slot] = correlationId;
        policies[slot] = policy;
        deadlinesNs[slot] = nowNs + readTimeoutNs;
        readIndexes[slot] = 0;
        minAppliedIndexes[slot] = 0;
        lengths[slot] = 0;
        active[activeCount++] = slot;
        return slot;
    }

    private void ready(final int slot, final long readIndex)
    {
        if (WAITING == states[slot])
        {
            waitingCount--;
        }
        states[slot] = READY;
        readIndexes[slot] = readIndex;
    }

    private void toWaiting(final int slot)
    {
        if (WAITING != states[slot])
        {
            waitingCount++;
        }
        states[slot] = WAITING;
    }

    /** Refuse a query at once (node closed or failed). */
    void reject(final long correlationId, final int status)
    {
        answerNow(correlationId, status);
    }

    private void answerNow(final long correlationId, final int status)
    {
        egress.queryResult(correlationId, status, core.appliedIndex(), core.leaderId(), response, 0);
    }

    private void compact()
    {
        int kept = 0;
        for (int i = 0; i < activeCount; i++)
        {
            final int slot = active[i];
            if (FREE == states[slot])
            {
                freeSlots[freeCount++] = slot;
            }
            else
            {
                active[kept++] = slot;
            }
        }
        activeCount = kept;
    }
}

package io.octopii.engine.internal;

import io.octopii.codec.sbe.AppendEntriesDecoder;
import io.octopii.codec.sbe.SnapshotInstallStatus;
import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Role;
import io.octopii.engine.SnapshotTransport;
import io.octopii.engine.StateMachine;
import io.octopii.log.EntryType;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import io.octopii.log.TermVoteFile;
import io.octopii.transport.Transport;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * All Raft state of one node and its duty cycle: inbound messages, election timers, proposals, replication,
 * commit and apply. The public face is {@link ConsensusAgent}; this class is internal.
 *
 * <p><b>Thread.</b> One thread, the consensus agent's. <b>Allocation.</b> None in steady state; elections and
 * failures may allocate (messages, error reports).
 *
 * <p><b>Failure.</b> Fail-stop on what breaks safety: an exception from the state machine, an attempt to
 * truncate a committed entry, an unreadable committed entry, a log append refused on a leader for a reason
 * other than back pressure. The node's role becomes {@link Role#FAILED}, {@link #failure()} says why and the
 * error handler receives it once; every pending proposal is answered {@link ProposalStatus#INDETERMINATE}.
 */
public final class RaftCore implements Election.Actions
{
    private static final UnsafeBuffer EMPTY = new UnsafeBuffer(new byte[0]);

    private final ConsensusAgent.Context ctx;
    private final RaftLog log;
    private final TermVoteFile termVoteFile;
    private final Transport transport;
    private final StateMachine stateMachine;
    private final int selfId;
    private int selfIndex;
    private FollowerTracker[] followers;
    private final Membership membership;
    private volatile io.octopii.engine.ClusterConfiguration publishedConfiguration;
    private final Election election;
    private final LogRepair repair;
    private CommitTracker commitTracker;
    private final ConsensusPublisher publisher;
    private final ConsensusAdapter adapter;
    private final IngressAdapter ingressAdapter;
    private final EgressPublisher egressPublisher;
    private final PendingProposals pending;
    private final ReadService reads;
    private final LogRecordView view = new LogRecordView();
    private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer responseBuffer;
    private final ClientSessions sessions;
    private final int maxMessageLength;
    private final int batchLength;
    private final SnapshotKeeper snapshots;
    private final SnapshotTransport snapshotTransport;

    private long nowNs;
    private long commitIndex;
    private long appliedIndex;
    private long followerVerifiedTerm = -1;
    private long followerVerifiedIndex;
    private long followerAckedIndex;
    private long lastReceivedSequence;
    private long lastCheckQuorumNs;
    private long termStartIndex = Long.MAX_VALUE;
    private int transferTargetId = Election.NULL_MEMBER;
    private long transferDeadlineNs;
    private long timeoutNowSentNs;
    private boolean isTimeoutNowSent;
    private boolean isNoOpPending;
    private long lastStorageFullHandOffNs = Long.MIN_VALUE / 2;
    private long storageFullHandOffs;
    private long transfersStarted;
    private long transfersFailed;
    private Throwable failure;
    private boolean isClosed;

    private long proposalsAccepted;
    private long proposalsRejected;
    private long leaderElectedCount;
    private long malformedEntries;

    private int installLeaderId = Election.NULL_MEMBER;
    private long installShipmentId;
    private long installIndex;
    private String installName;
    private long publishedSnapshotIndex = -1;
    private long publishedShipmentId;
    private long installsSent;
    private long installsReceived;
    private boolean isSnapshotRequested;
    private int notifiedRole = -1;
    private long notifiedTerm = -1;
    private int notifiedLeaderId = Election.NULL_MEMBER;

    /**
     * @param ctx a concluded context.
     */
    public RaftCore(final ConsensusAgent.Context ctx)
    {
        this.ctx = ctx;
        this.log = ctx.log();
        this.termVoteFile = ctx.termVoteFile();
        this.transport = ctx.transport();
        this.stateMachine = ctx.stateMachine();
        this.selfId = ctx.memberId();
        this.maxMessageLength = Math.min(ctx.maxMessageLength(), transport.maxMessageLength());
        this.batchLength = Math.min(maxMessageLength, transport.consensusBatchLength());

        final int[] memberIds = ctx.memberIds();
        this.membership = new Membership(ctx.initialConfiguration());
        this.followers = new FollowerTracker[0];
        this.commitTracker = new CommitTracker(memberIds.length);
        this.election = new Election(memberIds, selfId, ctx.electionTimeoutNs(), ctx.random(), this);
        this.repair = new LogRepair(log, election);
        this.publisher = new ConsensusPublisher(transport, maxMessageLength);
        this.adapter = new ConsensusAdapter(this);
        this.ingressAdapter = new IngressAdapter(this, ctx.ingressRingBuffer());
        this.egressPublisher = new EgressPublisher(ctx.egressRingBuffer(), ctx.maxResultLength());
        this.pending = new PendingProposals(ctx.maxPendingProposals());
        this.reads = new ReadService(this, followers, commitTracker.majority(), publisher, egressPublisher,
            stateMachine, ctx.errorHandler(), ctx);
        configure(membership.current());
        this.responseBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            org.agrona.BitUtil.findNextPositivePowerOfTwo(Math.max(64, ctx.maxResultLength())), 64));
        this.sessions = new ClientSessions(ctx.maxClientSessions(), ctx.clientSessionWindow(), ctx.clientSessionResultLength());
        this.snapshots = new SnapshotKeeper(
            ctx.snapshotStore(), stateMachine, log, ctx.errorHandler(), ctx.snapshotIntervalEntries(),
            ctx.snapshotLogBytes(), ctx.snapshotRetain(), sessions);
        this.snapshotTransport = ctx.snapshotTransport();
    }

    /**
     * Start as a follower with the persisted term and vote.
     *
     * @param nowNs now.
     */
    public void start(final long nowNs)
    {
        this.nowNs = nowNs;
        appliedIndex = snapshots.loadAtStart();
        commitIndex = appliedIndex;
        onSnapshotLoaded(appliedIndex);
        if (log.lastIndex() < appliedIndex || log.firstIndex() - 1 > appliedIndex)
        {
            throw new IllegalStateException("log [" + log.firstIndex() + ", " + log.lastIndex() +
                "] does not join the state at index " + appliedIndex);
        }
        try
        {
            stateMachine.onStart(appliedIndex);
        }
        catch (final Throwable t)
        {
            ctx.errorHandler().onError(new IllegalStateException("state machine onStart(" + appliedIndex + ") threw", t));
        }
        election.start(termVoteFile.currentTerm(), termVoteFile.votedFor(), nowNs);
        repair.start();
        lastCheckQuorumNs = nowNs;
    }

    /**
     * Start a (pre-)election round now rather than at the election timeout.
     *
     * @return 1 if a round started.
     */
    public int campaign()
    {
        if (isClosed)
        {
            return 0;
        }
        return election.campaign(nowNs);
    }

    /**
     * One duty cycle.
     *
     * @param nowNs now, from the injected clock.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        if (isClosed || election.role() == Role.FAILED)
        {
            return 0;
        }
        this.nowNs = nowNs;
        if (log.isFailed())
        {
            fail(new IllegalStateException("log failed (fsync or storage error): " + log.failure(), log.failure()));
            return 0;
        }
        int work = egressPublisher.drainOverflow();

        work += transport.poll(adapter, ctx.inboundPollLimit());
        work += election.onTimer(nowNs);
        if (!egressPublisher.hasOverflow())
        {
            work += ingressAdapter.poll(ctx.ingressPollLimit(), egressPublisher);
        }

        final int role = election.role();
        if (role == Role.LEADER)
        {
            if (isNoOpPending)
            {
                appendNoOp();
            }
            work += handOffIfStorageFull(nowNs);
            if (selfIndex >= 0)
            {
                commitTracker.onDurable(selfIndex, Math.min(log.durableIndex(), log.lastIndex()));
            }
            updateCommitIndex();
            if (stepDownIfRemoved(nowNs))
            {
                return work + 1;
            }
            work += reads.startRound(nowNs);
            work += replicate(nowNs);
            work += transferProgress(nowNs);
            checkQuorum(nowNs);
        }
        else if (role == Role.FOLLOWER)
        {
            work += acknowledgeDurableProgress();
            work += repair.onAcked(followerVerifiedTerm, followerAckedIndex);
            work += reads.requestReadIndex(nowNs);
        }
        work += pollInstall(role);

        work += apply();
        membership.onApplied(appliedIndex);
        work += reads.serve(nowNs);
        work += snapshotIfDue();
        notifyRoleChange();
        return work;
    }

    /** @return whether the log is being rebuilt after an operator repair (the node does not vote until it is). */
    public boolean isRepairing()
    {
        return repair.isRepairing();
    }

    /** @return the role, a {@link Role} constant. */
    public int role()
    {
        return election.role();
    }

    /** @return current term. */
    public long term()
    {
        return election.term();
    }

    /** @return known leader, or {@link Election#NULL_MEMBER}. */
    public int leaderId()
    {
        return election.leaderId();
    }

    /** @return this node's member id. */
    public int memberId()
    {
        return selfId;
    }

    /** @return commit index known to this node. */
    public long commitIndex()
    {
        return commitIndex;
    }

    /** @return highest index applied to the state machine. */
    public long appliedIndex()
    {
        return appliedIndex;
    }

    /** @return elections started by this node. */
    public long electionCount()
    {
        return election.electionCount();
    }

    /** @return times this node became leader. */
    public long leaderElectedCount()
    {
        return leaderElectedCount;
    }

    /** @return the exactly-once client session table (replicated state; read it on the agent thread). */
    public ClientSessions sessions()
    {
        return sessions;
    }

    /** @return proposals appended to the log by this node as leader. */
    public long proposalsAccepted()
    {
        return proposalsAccepted;
    }

    /** @return proposals refused (not leader, back pressure, too long). */
    public long proposalsRejected()
    {
        return proposalsRejected;
    }

    /** @return inbound messages dropped as malformed or forged. */
    public long rejectedMessages()
    {
        return adapter.rejectedCount() + malformedEntries;
    }

    /** @return how many other voters this node tracks as a leader (its peers). */
    public int followerCount()
    {
        return followers.length;
    }

    /**
     * The leader-side replication state of one peer; current while this node leads, frozen at its last
     * value otherwise. For monitoring on the agent thread.
     *
     * @param i from 0 to {@link #followerCount()} - 1.
     * @return the tracker.
     */
    public FollowerTracker follower(final int i)
    {
        return followers[i];
    }

    /** @return why the node stopped, or null. */
    public Throwable failure()
    {
        return failure;
    }

    /** @return the log this node appends to. */
    public RaftLog log()
    {
        return log;
    }

    /** @return the read service (counters for tests and status). */
    public ReadService reads()
    {
        return reads;
    }

    /** Stop: answer pending proposals and reads, and refuse everything after. Idempotent. */
    public void close()
    {
        if (!isClosed)
        {
            if (election.role() == Role.LEADER)
            {
                pending.resolveAll(egressPublisher, ProposalStatus.INDETERMINATE, selfId, election.term());
            }
            reads.failAll(ProposalStatus.CLOSED);
            isClosed = true;
        }
    }

    /** @return whether closed. */
    public boolean isClosed()
    {
        return isClosed;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Proposals

    /**
     * A proposal from the ingress ring.
     *
     * @param correlationId   the proposer's id.
     * @param sessionId       its exactly-once session, or {@link io.octopii.engine.ProposalPublisher#NO_SESSION}.
     * @param sequence        its sequence in the session (not positive: no session).
     * @param lowestUnsettled the session's lowest unsettled sequence.
     * @param command         the command (a view into the ring, valid during the call).
     * @param offset          where it starts.
     * @param length          its length.
     */
    void onProposal(
        final long correlationId,
        final long sessionId,
        final long sequence,
        final long lowestUnsettled,
        final UnsafeBuffer command,
        final int offset,
        final int length)
    {
        final long term = election.term();
        if (isClosed || election.role() == Role.FAILED)
        {
            reject(correlationId, ProposalStatus.CLOSED);
            return;
        }
        if (election.role() != Role.LEADER)
        {
            reject(correlationId, ProposalStatus.NOT_LEADER);
            return;
        }
        if (transferTargetId != Election.NULL_MEMBER)
        {
            reject(correlationId, ProposalStatus.LEADERSHIP_TRANSFER);
            return;
        }
        if (length > ctx.maxCommandLength())
        {
            reject(correlationId, ProposalStatus.MAX_LENGTH_EXCEEDED);
            return;
        }
        final long index = log.lastIndex() + 1;
        if (!pending.hasCapacity(index, appliedIndex))
        {
            reject(correlationId, ProposalStatus.BACK_PRESSURED);
            return;
        }
        final long result = isNoOpPending ? RaftLog.LOG_FULL :
            sessionId != ProposalPublisher.NO_SESSION && sequence > 0 ?
            appendInSession(term, sessionId, sequence, lowestUnsettled, command, offset, length) :
            log.append(term, index, EntryType.ENTRY, 0, command, offset, length);
        if (result != index)
        {
            if (result == RaftLog.LOG_FAILED)
            {
                reject(correlationId, ProposalStatus.CLOSED);
                fail(new IllegalStateException("log failed: " + log.failure(), log.failure()));
                return;
            }
            reject(correlationId, result == RaftLog.LOG_FULL ? ProposalStatus.STORAGE_FULL : ProposalStatus.BACK_PRESSURED);
            return;
        }
        pending.add(index, correlationId);
        proposalsAccepted++;
    }

    private long appendInSession(
        final long term,
        final long sessionId,
        final long sequence,
        final long lowestUnsettled,
        final UnsafeBuffer command,
        final int offset,
        final int length)
    {
        final long claimed = log.tryClaim(term, EntryType.ENTRY, ClientSessions.ENTRY_FLAG_SESSION,
            ClientSessions.HEADER_LENGTH + length);
        if (claimed < 0)
        {
            return claimed;
        }
        final MutableDirectBuffer buffer = log.claimBuffer();
        final int commandOffset = ClientSessions.putHeader(buffer, log.claimOffset(), sessionId, sequence, lowestUnsettled);
        buffer.putBytes(commandOffset, command, offset, length);
        return log.commitClaim();
    }

    /**
     * A query from the ingress ring.
     *
     * @param policy a wire {@code QueryPolicy} code.
     */
    void onQuery(
        final long correlationId, final int policy, final long minAppliedIndex,
        final UnsafeBuffer query, final int offset, final int length)
    {
        if (isClosed || election.role() == Role.FAILED)
        {
            reads.reject(correlationId, ProposalStatus.CLOSED);
            return;
        }
        reads.onQuery(correlationId, policy, minAppliedIndex, query, offset, length, nowNs);
    }

    void onReadIndexRequest(final long term, final int requesterId, final long readId)
    {
        reads.onReadIndexRequest(requesterId, term, readId, nowNs);
    }

    void onReadIndexResponse(final long term, final int leaderId, final long readId, final long readIndex, final int status)
    {
        reads.onReadIndexResponse(leaderId, readId, readIndex, status);
    }

    /** @return whether this node leads and has committed an entry of its term (its no-op). */
    boolean hasCommittedInTerm()
    {
        return election.role() == Role.LEADER && commitIndex >= termStartIndex;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Leadership transfer

    /**
     * Hand leadership to {@code targetId}: refuse proposals ({@link ProposalStatus#LEADERSHIP_TRANSFER}), let
     * replication bring the target up to date, then send it TimeoutNow; it campaigns at once, without a pre-vote
     * and past the voters' stickiness. If no leader change happened within an election timeout the transfer
     * fails and this node accepts proposals again.
     *
     * @param targetId the member to lead next.
     * @return {@link ProposalStatus#OK} when started (or when {@code targetId} is this node, which leads
     * already), {@link ProposalStatus#NOT_LEADER}, {@link ProposalStatus#LEADERSHIP_TRANSFER} (one is running),
     * {@link ProposalStatus#CLOSED}, or {@link io.octopii.engine.OctopiiException#FAILED} (not a voting member).
     */
    public int transferLeadership(final int targetId)
    {
        if (isClosed || election.role() == Role.FAILED)
        {
            return ProposalStatus.CLOSED;
        }
        if (election.role() != Role.LEADER)
        {
            return ProposalStatus.NOT_LEADER;
        }
        if (targetId == selfId)
        {
            return ProposalStatus.OK;
        }
        final FollowerTracker target = tracker(targetId);
        if (null == target || !target.isVoter())
        {
            return io.octopii.engine.OctopiiException.FAILED;
        }
        if (transferTargetId != Election.NULL_MEMBER)
        {
            return ProposalStatus.LEADERSHIP_TRANSFER;
        }
        transferTargetId = targetId;
        transferDeadlineNs = nowNs + ctx.electionTimeoutNs();
        isTimeoutNowSent = false;
        transfersStarted++;
        reads.onTransferStarted();
        return ProposalStatus.OK;
    }

    /** @return whether a leadership transfer is running. */
    boolean isTransferringLeadership()
    {
        return transferTargetId != Election.NULL_MEMBER;
    }

    /** @return the member leadership is being handed to, or {@link Election#NULL_MEMBER}. */
    public int transferTargetId()
    {
        return transferTargetId;
    }

    /** @return transfers started as leader. */
    public long transfersStarted()
    {
        return transfersStarted;
    }

    /** @return transfers that timed out with this node still leading. */
    public long transfersFailed()
    {
        return transfersFailed;
    }

    private int transferProgress(final long nowNs)
    {
        if (transferTargetId == Election.NULL_MEMBER)
        {
            return 0;
        }
        if (nowNs - transferDeadlineNs >= 0)
        {
            transferTargetId = Election.NULL_MEMBER;
            transfersFailed++;
            return 1;
        }
        final FollowerTracker target = tracker(transferTargetId);
        if (target.matchIndex() >= log.lastIndex() &&
            (!isTimeoutNowSent || nowNs - timeoutNowSentNs >= ctx.heartbeatIntervalNs()))
        {
            // resent while the transfer runs: a lost TimeoutNow would otherwise fail it; a late duplicate is
            // ignored by a target that already moved to the next term
            publisher.timeoutNow(transferTargetId, election.term(), selfId);
            isTimeoutNowSent = true;
            timeoutNowSentNs = nowNs;
            return 1;
        }
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Membership

    /** @return the configuration in effect (the newest appended); safe from any thread (published). */
    public io.octopii.engine.ClusterConfiguration configuration()
    {
        return publishedConfiguration;
    }

    /** @return the log index of the configuration in effect (0 for the bootstrap voters). */
    public long configurationIndex()
    {
        return membership.currentIndex();
    }

    /**
     * Change the membership by one member: append a configuration entry, in effect at once on the leader (and on
     * each follower when it appends it). Refused while the previous change is uncommitted, before the leader
     * committed an entry of its term, and during a leadership transfer. Slow path: allocates.
     *
     * @param kind      {@link io.octopii.engine.MembershipStatus#ADD_LEARNER}, {@code PROMOTE} or {@code REMOVE}.
     * @param memberId  the member.
     * @param address   its {@code host:port} (ADD_LEARNER), else ignored.
     * @param maxLagEntries PROMOTE only: how far behind the leader's log the learner may be.
     * @return a {@link io.octopii.engine.MembershipStatus}.
     */
    public int changeMembership(final int kind, final int memberId, final String address, final long maxLagEntries)
    {
        final int refusal = membershipRefusal();
        if (io.octopii.engine.MembershipStatus.OK != refusal)
        {
            return refusal;
        }
        final io.octopii.engine.ClusterConfiguration current = membership.current();
        final io.octopii.engine.ClusterConfiguration next;
        switch (kind)
        {
            case io.octopii.engine.MembershipStatus.ADD_LEARNER:
                if (current.isMember(memberId))
                {
                    return io.octopii.engine.MembershipStatus.ALREADY_MEMBER;
                }
                next = current.withLearner(memberId, address);
                break;
            case io.octopii.engine.MembershipStatus.PROMOTE:
            {
                if (!current.isLearner(memberId))
                {
                    return io.octopii.engine.MembershipStatus.NOT_A_LEARNER;
                }
                final FollowerTracker f = tracker(memberId);
                if (null == f || log.lastIndex() - f.matchIndex() > maxLagEntries)
                {
                    return io.octopii.engine.MembershipStatus.NOT_CAUGHT_UP;
                }
                next = current.withPromoted(memberId);
                break;
            }
            case io.octopii.engine.MembershipStatus.REMOVE:
                if (!current.isMember(memberId))
                {
                    return io.octopii.engine.MembershipStatus.NOT_A_MEMBER;
                }
                next = current.without(memberId);
                if (0 == next.voterCount())
                {
                    return io.octopii.engine.MembershipStatus.LAST_VOTER;
                }
                break;
            default:
                throw new IllegalArgumentException("unknown membership change " + kind);
        }
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[next.encodedLength()]);
        next.encode(payload, 0);
        final long index = log.lastIndex() + 1;
        final long result = log.append(election.term(), index, EntryType.CONFIGURATION, 0, payload, 0, payload.capacity());
        if (result != index)
        {
            if (result == RaftLog.LOG_FAILED)
            {
                fail(new IllegalStateException("log failed: " + log.failure(), log.failure()));
                return ProposalStatus.CLOSED;
            }
            return ProposalStatus.BACK_PRESSURED;
        }
        configure(membership.onAppended(index, payload, 0, payload.capacity()));
        return io.octopii.engine.MembershipStatus.OK;
    }

    private int membershipRefusal()
    {
        if (isClosed || election.role() == Role.FAILED)
        {
            return ProposalStatus.CLOSED;
        }
        if (election.role() != Role.LEADER)
        {
            return ProposalStatus.NOT_LEADER;
        }
        if (transferTargetId != Election.NULL_MEMBER)
        {
            return ProposalStatus.LEADERSHIP_TRANSFER;
        }
        if (!hasCommittedInTerm() || membership.currentIndex() > commitIndex)
        {
            return io.octopii.engine.MembershipStatus.CHANGE_IN_PROGRESS;
        }
        return io.octopii.engine.MembershipStatus.OK;
    }

    /**
     * Put a configuration into effect: trackers for every other member (kept for those who stay), the commit
     * quorum, the election's voters and the read quorum. Slow path: allocates.
     */
    private void configure(final io.octopii.engine.ClusterConfiguration configuration)
    {
        final int[] members = configuration.memberIds();
        final int[] voters = configuration.voterIds();
        final FollowerTracker[] next = new FollowerTracker[members.length - (configuration.isMember(selfId) ? 1 : 0)];
        final boolean isLeader = election.role() == Role.LEADER;
        for (int i = 0, n = 0; i < members.length; i++)
        {
            if (members[i] == selfId)
            {
                continue;
            }
            FollowerTracker f = tracker(members[i]);
            if (null == f)
            {
                f = new FollowerTracker(members[i], -1);
                f.reset(log.lastIndex(), nowNs); // a new member: probe back from the leader's end
            }
            f.configure(indexOf(voters, members[i]));
            next[n++] = f;
        }
        followers = next;
        selfIndex = indexOf(voters, selfId);
        commitTracker = new CommitTracker(voters.length);
        if (isLeader)
        {
            for (final FollowerTracker f : followers)
            {
                if (f.isVoter())
                {
                    commitTracker.onDurable(f.memberIndex(), f.matchIndex());
                }
            }
        }
        election.configure(voters);
        reads.configure(followers, commitTracker.majority(), selfIndex >= 0);
        publishedConfiguration = configuration;
    }

    /**
     * A leader that is no longer a voter steps down once its configuration is committed; first it asks the most
     * up-to-date voter to campaign at once, so the cluster does not wait an election timeout.
     *
     * @return whether it stepped down.
     */
    private boolean stepDownIfRemoved(final long nowNs)
    {
        if (selfIndex >= 0 || commitIndex < membership.currentIndex())
        {
            return false;
        }
        FollowerTracker best = null;
        for (final FollowerTracker f : followers)
        {
            if (f.isVoter() && (null == best || f.matchIndex() > best.matchIndex()))
            {
                best = f;
            }
        }
        if (null != best && best.matchIndex() >= log.lastIndex())
        {
            publisher.timeoutNow(best.memberId(), election.term(), selfId);
        }
        election.stepDown(nowNs);
        return true;
    }

    private static int indexOf(final int[] ids, final int id)
    {
        for (int i = 0; i < ids.length; i++)
        {
            if (ids[i] == id)
            {
                return i;
            }
        }
        return -1;
    }

    private void reject(final long correlationId, final int status)
    {
        proposalsRejected++;
        egressPublisher.result(correlationId, status, -1, election.term(), election.leaderId(), EMPTY, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Election actions

    /** {@inheritDoc} */
    public void persist(final long term, final int votedFor)
    {
        termVoteFile.update(term, votedFor);
    }

    /** {@inheritDoc} */
    public void broadcastRequestVote(final long term, final boolean preVote, final boolean transfer)
    {
        final long lastIndex = log.lastIndex();
        final long lastTerm = log.lastTerm();
        for (final FollowerTracker f : followers)
        {
            if (f.isVoter())
            {
                publisher.requestVote(f.memberId(), term, selfId, lastIndex, lastTerm, preVote, transfer);
            }
        }
    }

    /** {@inheritDoc} */
    public void sendVote(
        final int candidateId, final long term, final long candidateTerm, final boolean preVote, final boolean granted)
    {
        publisher.vote(candidateId, term, selfId, candidateTerm, preVote, granted);
    }

    /** {@inheritDoc} */
    public void onElected()
    {
        leaderElectedCount++;
        final long lastIndex = log.lastIndex();
        for (final FollowerTracker f : followers)
        {
            f.reset(lastIndex, nowNs);
        }
        commitTracker.reset();
        lastCheckQuorumNs = nowNs;
        final long index = lastIndex + 1;
        termStartIndex = index;
        transferTargetId = Election.NULL_MEMBER;
        reads.onRoleChange(true);
        appendNoOp();
    }

    /**
     * The term's first entry. On a full disk it is retried every duty cycle (nothing commits in the term until it
     * is appended) while {@link #handOffIfStorageFull} looks for a member that can lead.
     */
    private void appendNoOp()
    {
        final long index = termStartIndex;
        final long result = log.append(election.term(), index, EntryType.NO_OP, 0, EMPTY, 0, 0);
        isNoOpPending = result == RaftLog.LOG_FULL;
        if (result != index && !isNoOpPending)
        {
            fail(new IllegalStateException("leader could not append its no-op at index " + index + ": status " + result));
        }
    }

    /**
     * A leader whose log cannot allocate space hands leadership to the most up-to-date voter that answered within
     * an election timeout (at most one attempt per election timeout); with none, it keeps leading and answers
     * proposals {@link ProposalStatus#STORAGE_FULL} until space returns.
     *
     * @return 1 if a transfer started.
     */
    private int handOffIfStorageFull(final long nowNs)
    {
        if ((!isNoOpPending && !log.isStorageFull()) || transferTargetId != Election.NULL_MEMBER ||
            nowNs - lastStorageFullHandOffNs < ctx.electionTimeoutNs())
        {
            return 0;
        }
        lastStorageFullHandOffNs = nowNs;
        FollowerTracker best = null;
        for (final FollowerTracker f : followers)
        {
            if (f.isVoter() && nowNs - f.lastResponseNs() < ctx.electionTimeoutNs() &&
                (null == best || f.matchIndex() > best.matchIndex()))
            {
                best = f;
            }
        }
        if (null == best || ProposalStatus.OK != transferLeadership(best.memberId()))
        {
            return 0;
        }
        storageFullHandOffs++;
        return 1;
    }

    /** @return leadership transfers started because this leader's log could not allocate space. */
    public long storageFullHandOffs()
    {
        return storageFullHandOffs;
    }

    /** {@inheritDoc} */
    public void onLeadershipLost()
    {
        termStartIndex = Long.MAX_VALUE;
        transferTargetId = Election.NULL_MEMBER;
        reads.onRoleChange(false);
        pending.resolveAll(egressPublisher, ProposalStatus.INDETERMINATE, election.leaderId(), election.term());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inbound Raft messages

    void onRequestVote(
        final long term,
        final int candidateId,
        final long lastLogIndex,
        final long lastLogTerm,
        final boolean preVote,
        final boolean transfer)
    {
        election.onRequestVote(
            nowNs, candidateId, term, lastLogIndex, lastLogTerm, preVote, transfer, log.lastIndex(), log.lastTerm());
    }

    void onVote(final long term, final int voterId, final long candidateTerm, final boolean preVote, final boolean granted)
    {
        election.onVote(nowNs, voterId, term, candidateTerm, preVote, granted);
    }

    void onTimeoutNow(final long term, final int leaderId, final int targetId)
    {
        if (targetId == selfId && term == election.term() && leaderId == election.leaderId())
        {
            election.onTimeoutNow(nowNs);
        }
    }

    void onAppendEntries(
        final long term,
        final int leaderId,
        final long prevLogIndex,
        final long prevLogTerm,
        final long leaderCommit,
        final long sequence,
        final long leaderLastIndex,
        final AppendEntriesDecoder.EntriesDecoder entries)
    {
        if (!election.onLeaderMessage(nowNs, term, leaderId))
        {
            publisher.appendEntriesResponse(leaderId, election.term(), selfId, false, 0, 0, 0, 0, sequence);
            return;
        }
        repair.onLeaderContact(term, leaderLastIndex);
        if (term != followerVerifiedTerm)
        {
            // what matched an earlier leader says nothing about this one's log
            followerVerifiedTerm = term;
            followerVerifiedIndex = 0;
            followerAckedIndex = 0;
            lastReceivedSequence = 0;
        }
        lastReceivedSequence = Math.max(lastReceivedSequence, sequence);

        final long lastIndex = log.lastIndex();
        if (prevLogIndex > lastIndex)
        {
            publisher.appendEntriesResponse(
                leaderId, term, selfId, false, followerAckedIndex, followerVerifiedIndex, lastIndex + 1, 0, sequence);
            return;
        }
        if (prevLogIndex > 0 && prevLogIndex >= log.firstIndex())
        {
            final long localTerm = log.term(prevLogIndex);
            if (localTerm != prevLogTerm)
            {
                final long conflictIndex = firstIndexOfTerm(prevLogIndex, localTerm);
                publisher.appendEntriesResponse(
                    leaderId, term, selfId, false, followerAckedIndex, followerVerifiedIndex, conflictIndex, localTerm,
                    sequence);
                return;
            }
        }

        long verified = prevLogIndex;
        long expectedIndex = prevLogIndex + 1;
        while (entries.hasNext())
        {
            final AppendEntriesDecoder.EntriesDecoder entry = entries.next();
            final long index = entry.index();
            final long entryTerm = entry.entryTerm();
            final int entryType = entry.entryTypeRaw();
            final int entryFlags = entry.entryFlags();
            entry.wrapPayload(payloadView);
            if (index != expectedIndex)
            {
                malformedEntries++;
                break;
            }
            expectedIndex++;

            if (index < log.firstIndex())
            {
                verified = index; // covered by this node's snapshot: committed, so the leader's entry is the same
                continue;
            }
            if (index <= log.lastIndex())
            {
                if (log.term(index) == entryTerm)
                {
                    verified = index;
                    continue;
                }
                if (index <= commitIndex)
                {
                    fail(new IllegalStateException("leader " + leaderId + " term " + term +
                        " sent a conflicting entry at committed index " + index + " (commitIndex " + commitIndex + ")"));
                    return;
                }
                if (!log.truncateFrom(index))
                {
                    break; // no space for the segment a truncation starts (reported by the log): the leader retries
                }
                if (membership.onTruncated(index, log))
                {
                    configure(membership.current());
                }
            }
            final long result = log.append(entryTerm, index, entryType, entryFlags, payloadView, 0, payloadView.capacity());
            if (result != index)
            {
                if (result == RaftLog.LOG_FAILED)
                {
                    fail(new IllegalStateException("log failed: " + log.failure(), log.failure()));
                    return;
                }
                break;
            }
            if (entryType == EntryType.CONFIGURATION)
            {
                configure(membership.onAppended(index, payloadView, 0, payloadView.capacity()));
            }
            verified = index;
        }

        if (verified > followerVerifiedIndex)
        {
            followerVerifiedIndex = verified;
        }
        final long newCommit = Math.min(leaderCommit, followerVerifiedIndex);
        if (newCommit > commitIndex)
        {
            commitIndex = newCommit;
        }
        final long acked = Math.min(followerVerifiedIndex, log.durableIndex());
        if (acked > followerAckedIndex)
        {
            followerAckedIndex = acked;
        }
        publisher.appendEntriesResponse(
            leaderId, term, selfId, true, followerAckedIndex, followerVerifiedIndex, 0, 0, sequence);
    }

    void onAppendEntriesResponse(
        final long term,
        final int followerId,
        final boolean success,
        final long matchIndex,
        final long verifiedIndex,
        final long conflictIndex,
        final long conflictTerm,
        final long sequence)
    {
        if (election.onHigherTerm(nowNs, term) || election.role() != Role.LEADER || term != election.term())
        {
            return;
        }
        final FollowerTracker f = tracker(followerId);
        if (null == f)
        {
            return;
        }
        f.onAnswerInTerm(sequence);
        final long lastIndex = log.lastIndex();
        if (success)
        {
            if (f.onSuccess(sequence, Math.min(matchIndex, lastIndex), Math.min(verifiedIndex, lastIndex), nowNs) &&
                f.isVoter())
            {
                commitTracker.onDurable(f.memberIndex(), f.matchIndex());
            }
        }
        else
        {
            f.onFailure(sequence, conflictIndex, conflictTerm, lastIndex, nowNs);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Leader duties

    private void updateCommitIndex()
    {
        final long quorumIndex = commitTracker.quorumIndex();
        if (quorumIndex > commitIndex && log.term(quorumIndex) == election.term())
        {
            commitIndex = quorumIndex;
        }
    }

    private int replicate(final long nowNs)
    {
        int work = 0;
        final long lastIndex = log.lastIndex();
        for (int fi = 0; fi < followers.length; fi++)
        {
            final FollowerTracker f = followers[fi];
            f.checkTimeout(nowNs, ctx.responseTimeoutNs());
            boolean sent = false;
            while (f.nextIndex() <= lastIndex && f.canSendEntries(ctx.maxInFlightAppends()))
            {
                if (!sendEntries(f, lastIndex, nowNs))
                {
                    break;
                }
                sent = true;
                work++;
            }
            if (!sent && (nowNs - f.lastSendNs() >= ctx.heartbeatIntervalNs() || reads.needsHeartbeat(fi, f.nextSequence())))
            {
                // the heartbeat checks the follower holds everything sent so far (the transport delivers in
                // order, so it arrives after the appends in flight): a lost append shows up as a conflict. It
                // must not claim less: an answer to the newest request says what the follower matches, and
                // one checking only the verified prefix (0 at the start of a term) would send the leader back
                // to index 1 and resend the whole log.
                final long prevIndex = Math.min(f.nextIndex() - 1, lastIndex);
                final long sequence = f.nextSequence();
                publisher.beginAppendEntries(
                    election.term(), selfId, prevIndex, termAt(prevIndex), commitIndex, sequence, log.lastIndex(), 0);
                if (publisher.sendAppendEntries(f.memberId()) > 0)
                {
                    f.countSent(publisher.lastMessageLength());
                    f.onSent(nowNs, 0);
                }
                else
                {
                    f.onSendFailed(nowNs); // not in flight: counting it would stall the window until a timeout
                }
                work++;
            }
        }
        return work;
    }

    private boolean sendEntries(final FollowerTracker f, final long lastIndex, final long nowNs)
    {
        final long fromIndex = f.nextIndex();
        final long prevIndex = fromIndex - 1;
        if (fromIndex < log.firstIndex())
        {
            offerSnapshot(f, nowNs);
            return false;
        }
        // one pass: declare the most entries that may go, append while they fit, then fix the count
        final int maxEntries = (int)Math.min(ctx.maxBatchEntries(), lastIndex - fromIndex + 1);
        final long sequence = f.nextSequence();
        publisher.beginAppendEntries(
            election.term(), selfId, prevIndex, termAt(prevIndex), commitIndex, sequence, log.lastIndex(), maxEntries);
        int count = 0;
        int length = ConsensusPublisher.APPEND_ENTRIES_HEADER_LENGTH;
        for (long i = fromIndex; count < maxEntries; i++)
        {
            if (!log.read(i, view))
            {
                fail(new IllegalStateException("leader cannot read its own entry " + i));
                return false;
            }
            final int entryLength = ConsensusPublisher.ENTRY_OVERHEAD + view.payloadLength();
            if (count > 0 && length + entryLength > batchLength)
            {
                break;
            }
            length += entryLength;
            publisher.appendEntry(
                i, view.term(), view.entryType(), view.flags(), view.buffer(), view.payloadOffset(), view.payloadLength());
            count++;
        }
        publisher.endAppendEntries();
        if (publisher.sendAppendEntries(f.memberId()) < 0)
        {
            return false;
        }
        f.countSent(publisher.lastMessageLength());
        f.onSent(nowNs, count);
        return true;
    }

    private void checkQuorum(final long nowNs)
    {
        final long timeoutNs = ctx.electionTimeoutNs();
        if (nowNs - lastCheckQuorumNs < timeoutNs)
        {
            return;
        }
        lastCheckQuorumNs = nowNs;
        int live = selfIndex >= 0 ? 1 : 0;
        for (final FollowerTracker f : followers)
        {
            if (f.isVoter() && nowNs - f.lastResponseNs() < timeoutNs)
            {
                live++;
            }
        }
        if (live < commitTracker.majority())
        {
            election.stepDown(nowNs);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Follower duties

    private int acknowledgeDurableProgress()
    {
        final int leaderId = election.leaderId();
        if (leaderId == Election.NULL_MEMBER || followerVerifiedTerm != election.term())
        {
            return 0;
        }
        final long acked = Math.min(followerVerifiedIndex, log.durableIndex());
        if (acked > followerAckedIndex)
        {
            followerAckedIndex = acked;
            publisher.appendEntriesResponse(
                leaderId, election.term(), selfId, true, followerAckedIndex, followerVerifiedIndex, 0, 0,
                lastReceivedSequence);
            return 1;
        }
        return 0;
    }

    private long firstIndexOfTerm(final long fromIndex, final long term)
    {
        long index = fromIndex;
        final long floor = Math.max(log.firstIndex(), commitIndex + 1);
        while (index > floor && log.term(index - 1) == term)
        {
            index--;
        }
        return index;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Apply

    private int apply()
    {
        final long upTo = Math.min(commitIndex, appliedIndex + ctx.applyBatchLimit());
        int work = 0;
        while (appliedIndex < upTo)
        {
            final long index = appliedIndex + 1;
            final boolean isOwned = pending.isPending(index);
            if (isOwned && !egressPublisher.hasRoomForResult())
            {
                break;
            }
            if (!log.read(index, view))
            {
                fail(new IllegalStateException("committed entry " + index + " cannot be read (firstIndex " +
                    log.firstIndex() + ", lastIndex " + log.lastIndex() + ")"));
                return work;
            }
            int resultLength = 0;
            int status = ProposalStatus.OK;
            final long entryTerm = view.term();
            if (view.entryType() == EntryType.ENTRY)
            {
                int payloadOffset = view.payloadOffset();
                int payloadLength = view.payloadLength();
                int decision = ClientSessions.APPLY;
                final boolean isSession = ClientSessions.isSessionEntry(view.flags(), payloadLength);
                if (isSession)
                {
                    decision = sessions.onEntry(index, view.buffer(), payloadOffset, responseBuffer);
                    resultLength = ClientSessions.REPLAY == decision ? sessions.replayLength() : 0;
                    status = ClientSessions.DUPLICATE == decision ? ProposalStatus.DUPLICATE : ProposalStatus.OK;
                    payloadOffset += ClientSessions.HEADER_LENGTH;
                    payloadLength -= ClientSessions.HEADER_LENGTH;
                }
                if (ClientSessions.APPLY == decision)
                {
                    resultLength = applyCommand(index, entryTerm, payloadOffset, payloadLength, index == upTo);
                    if (resultLength < 0)
                    {
                        return work;
                    }
                    if (isSession)
                    {
                        sessions.onApplied(responseBuffer, resultLength);
                    }
                }
            }
            appliedIndex = index;
            snapshots.onApplied(view.payloadLength());
            work++;
            if (isOwned)
            {
                final long correlationId = pending.remove(index);
                egressPublisher.result(correlationId, status, index, entryTerm, election.leaderId(), responseBuffer, resultLength);
            }
        }
        return work;
    }

    /** @return the state machine's result length, or -1 when it failed (the node is failing). */
    private int applyCommand(
        final long index, final long entryTerm, final int payloadOffset, final int payloadLength, final boolean isEndOfBatch)
    {
        final int resultLength;
        try
        {
            resultLength = stateMachine.onCommit(
                index, entryTerm, view.buffer(), payloadOffset, payloadLength, isEndOfBatch, responseBuffer);
        }
        catch (final Throwable t)
        {
            fail(new IllegalStateException("state machine failed applying index " + index + " term " +
                entryTerm + ": node stopped (fail-stop)", t));
            return -1;
        }
        if (resultLength < 0 || resultLength > ctx.maxResultLength())
        {
            fail(new IllegalStateException("state machine returned result length " + resultLength +
                " at index " + index + " (maxResultLength " + ctx.maxResultLength() + ")"));
            return -1;
        }
        return resultLength;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Snapshots: taking (policy and on demand), offering to a follower behind the first log index, installing

    /**
     * Take a snapshot at the applied index now, on this (the agent) thread. Slow path.
     *
     * @return the snapshot's index, {@link SnapshotKeeper#NO_STORE} or {@link SnapshotKeeper#FAILED}.
     */
    public long takeSnapshot()
    {
        if (isClosed || election.role() == Role.FAILED)
        {
            return SnapshotKeeper.FAILED;
        }
        final io.octopii.engine.ClusterConfiguration configuration = membership.at(appliedIndex);
        final UnsafeBuffer encoded = new UnsafeBuffer(new byte[configuration.encodedLength()]);
        configuration.encode(encoded, 0);
        return snapshots.take(appliedIndex, termAt(appliedIndex), encoded, encoded.capacity());
    }

    /**
     * A snapshot replaced the state up to {@code index}: the configuration it carries is the base, and any
     * configuration entry above it in the log still takes effect. Slow path.
     */
    private void onSnapshotLoaded(final long index)
    {
        final org.agrona.DirectBuffer encoded = snapshots.loadedMembership();
        if (encoded.capacity() > 0)
        {
            membership.reset(index, io.octopii.engine.ClusterConfiguration.decode(encoded, 0, encoded.capacity()));
        }
        membership.recover(log);
        configure(membership.current());
    }

    /** Ask for a snapshot at the end of the next duty cycle. Agent thread. */
    public void requestSnapshot()
    {
        isSnapshotRequested = true;
    }

    /** @return the snapshot bookkeeping (counters, newest snapshot). */
    public SnapshotKeeper snapshots()
    {
        return snapshots;
    }

    /** @return snapshots this leader shipped that a follower installed. */
    public long installsSent()
    {
        return installsSent;
    }

    /** @return snapshots a leader shipped that this node installed. */
    public long installsReceived()
    {
        return installsReceived;
    }

    private int snapshotIfDue()
    {
        if (!isSnapshotRequested && !snapshots.isDue(appliedIndex))
        {
            return 0;
        }
        isSnapshotRequested = false;
        return takeSnapshot() > 0 ? 1 : 0;
    }

    private void offerSnapshot(final FollowerTracker f, final long nowNs)
    {
        if (nowNs - f.lastSnapshotOfferNs() < ctx.responseTimeoutNs())
        {
            return;
        }
        final long index = snapshots.latestIndex();
        if (null == snapshots.latestName() || index < log.firstIndex() - 1)
        {
            fail(new IllegalStateException("follower " + f.memberId() + " needs index " + f.nextIndex() +
                " below the first log index " + log.firstIndex() + " but no snapshot joins the log (newest " + index + ")"));
            return;
        }
        if (publishedSnapshotIndex != index)
        {
            publishedShipmentId = snapshotTransport.publish(snapshots.store(), snapshots.latestName(), index, snapshots.latestTerm());
            publishedSnapshotIndex = index;
        }
        publisher.installSnapshotOffer(f.memberId(), election.term(), selfId, index, snapshots.latestTerm(),
            snapshots.latestLength(), publishedShipmentId);
        f.onSnapshotOffered(nowNs);
    }

    void onInstallSnapshotOffer(
        final long term,
        final int leaderId,
        final long snapshotIndex,
        final long snapshotTerm,
        final long snapshotLength,
        final long shipmentId)
    {
        if (!election.onLeaderMessage(nowNs, term, leaderId) || !snapshots.isEnabled())
        {
            publisher.installSnapshotAck(leaderId, election.term(), selfId, snapshotIndex, SnapshotInstallStatus.FAILED, 0);
            return;
        }
        if (snapshotIndex <= commitIndex)
        {
            // this node's committed prefix already covers it: continue above the commit index
            publisher.installSnapshotAck(leaderId, term, selfId, commitIndex, SnapshotInstallStatus.INSTALLED, 0);
            return;
        }
        if (installLeaderId == leaderId && installShipmentId == shipmentId && installIndex == snapshotIndex)
        {
            publisher.installSnapshotAck(leaderId, term, selfId, snapshotIndex, SnapshotInstallStatus.RECEIVING,
                snapshotTransport.fetchedBytes());
            return;
        }
        cancelInstall();
        installLeaderId = leaderId;
        installShipmentId = shipmentId;
        installIndex = snapshotIndex;
        installName = SnapshotStore.fileName(snapshotIndex, snapshotTerm);
        if (!snapshots.store().storage().exists(installName))
        {
            snapshotTransport.fetch(leaderId, shipmentId, installName, snapshotLength);
        }
        publisher.installSnapshotAck(leaderId, term, selfId, snapshotIndex, SnapshotInstallStatus.RECEIVING, 0);
    }

    void onInstallSnapshotAck(
        final long term, final int followerId, final long snapshotIndex, final short status, final long bytesReceived)
    {
        if (election.onHigherTerm(nowNs, term) || election.role() != Role.LEADER || term != election.term())
        {
            return;
        }
        final FollowerTracker f = tracker(followerId);
        if (null == f)
        {
            return;
        }
        if (status == SnapshotInstallStatus.INSTALLED.value())
        {
            f.onSnapshotInstalled(Math.min(snapshotIndex, log.lastIndex()), nowNs);
            if (bytesReceived > 0)
            {
                installsSent++;
            }
        }
        else
        {
            f.onSnapshotResponse(nowNs);
        }
    }

    private int pollInstall(final int role)
    {
        if (Election.NULL_MEMBER == installLeaderId)
        {
            return 0;
        }
        if (role != Role.FOLLOWER || installLeaderId != election.leaderId())
        {
            cancelInstall(); // the offer came from a leader this node no longer follows
            return 1;
        }
        final boolean isLocal = snapshots.store().storage().exists(installName);
        final int status = isLocal ? SnapshotTransport.FETCHED : snapshotTransport.fetchStatus();
        if (status == SnapshotTransport.FETCHING || status == SnapshotTransport.IDLE)
        {
            return 0;
        }
        final String name = installName;
        final long index = installIndex;
        final int leaderId = installLeaderId;
        installLeaderId = Election.NULL_MEMBER;
        installName = null;
        if (status == SnapshotTransport.FAILED)
        {
            return 1; // the leader offers again
        }
        if (index <= commitIndex)
        {
            return 1;
        }
        final long installed;
        try
        {
            installed = snapshots.install(name);
        }
        catch (final RuntimeException ex)
        {
            fail(ex);
            return 1;
        }
        if (installed <= 0)
        {
            return 1; // damaged in transit: reported and deleted; the leader offers again
        }
        appliedIndex = installed;
        commitIndex = Math.max(commitIndex, installed);
        onSnapshotLoaded(installed);
        if (followerVerifiedTerm == election.term())
        {
            followerVerifiedIndex = Math.max(followerVerifiedIndex, installed);
            followerAckedIndex = Math.max(followerAckedIndex, installed);
        }
        installsReceived++;
        publisher.installSnapshotAck(leaderId, election.term(), selfId, installed, SnapshotInstallStatus.INSTALLED,
            snapshots.latestLength());
        return 1;
    }

    private void cancelInstall()
    {
        if (Election.NULL_MEMBER != installLeaderId)
        {
            snapshotTransport.cancelFetch();
            installLeaderId = Election.NULL_MEMBER;
            installName = null;
        }
    }

    private void notifyRoleChange()
    {
        final int role = election.role();
        final long term = election.term();
        final int leaderId = election.leaderId();
        if (role != notifiedRole || term != notifiedTerm || leaderId != notifiedLeaderId)
        {
            notifiedRole = role;
            notifiedTerm = term;
            notifiedLeaderId = leaderId;
            try
            {
                stateMachine.onRoleChange(role, term, leaderId);
            }
            catch (final Throwable t)
            {
                ctx.errorHandler().onError(new IllegalStateException("state machine onRoleChange threw", t));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void fail(final Throwable t)
    {
        if (null == failure)
        {
            failure = t;
            final boolean wasLeader = election.role() == Role.LEADER;
            election.fail();
            if (wasLeader)
            {
                pending.resolveAll(egressPublisher, ProposalStatus.INDETERMINATE, Election.NULL_MEMBER, election.term());
            }
            reads.failAll(ProposalStatus.CLOSED);
            ctx.errorHandler().onError(t);
        }
    }

    private long termAt(final long index)
    {
        return index <= 0 ? 0 : log.term(index);
    }

    private FollowerTracker tracker(final int memberId)
    {
        for (final FollowerTracker f : followers)
        {
            if (f.memberId() == memberId)
            {
                return f;
            }
        }
        return null;
    }
}

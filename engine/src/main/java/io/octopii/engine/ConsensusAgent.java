package io.octopii.engine;

import io.octopii.engine.internal.ConsensusPublisher;
import io.octopii.engine.internal.RaftCore;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import io.octopii.log.TermVoteFile;
import io.octopii.transport.Transport;
import org.agrona.BitUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * One node's Raft: an Agrona {@link Agent} whose duty cycle drains proposals from the ingress ring, polls peer
 * messages from the {@link Transport}, checks election and heartbeat deadlines, appends to the {@link RaftLog},
 * replicates, advances the commit index over durable positions and applies committed commands to the
 * {@link StateMachine}, answering proposers through the egress ring.
 *
 * <p><b>Thread.</b> {@link #doWork} and {@link #onClose} on one thread (the agent's, or the embedder's in
 * {@link ThreadingMode#INVOKER} mode). {@link #newProposalPublisher()} publishers are used on any thread, one
 * per thread; the {@link #proposalResultAdapter()} by one consumer thread. Accessors such as {@link #role()}
 * are plain reads meant for the agent's thread and tests.
 *
 * <p><b>Lifecycle.</b> Construct with a {@link Context} (concluded here), then run {@link #doWork()} in a
 * duty cycle. The clock, transport, log, term/vote file, random source, state machine and rings are all
 * injected, so the same agent runs under a real clock and network or inside the deterministic simulator.
 * {@link #onClose()} answers pending proposals {@link ProposalStatus#INDETERMINATE}; the log, transport and
 * term/vote file belong to the caller, who closes them.
 *
 * <p><b>Failure.</b> Expected outcomes are {@link ProposalStatus} codes. A safety-critical error (the state
 * machine threw, a committed entry conflicts or cannot be read) is fail-stop: {@link #role()} becomes
 * {@link Role#FAILED}, {@link #failure()} says why, the error handler is told once, and the agent does
 * nothing more.
 */
public final class ConsensusAgent implements Agent
{
    private final Context ctx;
    private final RaftCore core;
    private final ProposalResultAdapter proposalResultAdapter;
    private final AtomicLong sessionIds = new AtomicLong();

    /**
     * @param ctx configuration; concluded by this constructor.
     */
    public ConsensusAgent(final Context ctx)
    {
        ctx.conclude();
        this.ctx = ctx;
        this.core = new RaftCore(ctx);
        this.proposalResultAdapter = new ProposalResultAdapter(ctx.egressRingBuffer());
        core.start(ctx.nanoClock().nanoTime());
    }

    /**
     * A duty cycle at the injected clock's time.
     *
     * @return work done (0 lets the idle strategy back off).
     */
    public int doWork()
    {
        return core.doWork(ctx.nanoClock().nanoTime());
    }

    /**
     * A duty cycle at an explicit time: used by the simulator and by embedders that read the clock themselves.
     *
     * @param nowNs monotonic time in nanoseconds.
     * @return work done.
     */
    public int doWork(final long nowNs)
    {
        return core.doWork(nowNs);
    }

    /**
     * Campaign now instead of waiting for the election timeout: a pre-vote round that voters refuse while
     * they still hear from a live leader. Agent thread only.
     *
     * @return 1 if a round started, 0 if this node leads already or has failed.
     */
    public int campaign()
    {
        return core.campaign();
    }

    /**
     * Hand leadership to another voting member (agent thread only). Proposals are refused with
     * {@link ProposalStatus#LEADERSHIP_TRANSFER} meanwhile; the target is brought up to date, then told to
     * campaign at once (TimeoutNow). Success shows as {@link #leaderId()} becoming the target; if no leader
     * change happens within an election timeout the transfer is abandoned ({@link #transferTargetId()} back
     * to -1 with this node still leading) and proposals are accepted again.
     *
     * @param targetId the member to lead next.
     * @return {@link ProposalStatus#OK} when started (or when the target is this node), else
     * {@link ProposalStatus#NOT_LEADER}, {@link ProposalStatus#LEADERSHIP_TRANSFER} (one is already running),
     * {@link ProposalStatus#CLOSED}, or {@link OctopiiException#FAILED} (not a voting member).
     */
    public int transferLeadership(final int targetId)
    {
        return core.transferLeadership(targetId);
    }

    /** @return the member leadership is being handed to, or {@code -1} when no transfer runs. */
    public int transferTargetId()
    {
        return core.transferTargetId();
    }

    /** @return transfers this node started as leader. */
    public long transfersStarted()
    {
        return core.transfersStarted();
    }

    /** @return transfers abandoned after an election timeout with this node still leading. */
    public long transfersFailed()
    {
        return core.transfersFailed();
    }

    /**
     * Add a learner: a non-voting member that receives the log (by replication, or a snapshot when it is behind
     * the compaction point). Leader only, agent thread; one change at a time.
     *
     * @param memberId the new member.
     * @param address  its {@code host:port}, carried in the configuration so every leader can reach it.
     * @return a {@link MembershipStatus} (or a {@link ProposalStatus} refusal).
     */
    public int addLearner(final int memberId, final String address)
    {
        return core.changeMembership(MembershipStatus.ADD_LEARNER, memberId, address, 0);
    }

    /**
     * Make a learner a voter, once it is at most {@link Context#maxPromotionLagEntries()} behind the leader's log.
     * Leader only, agent thread; one change at a time.
     *
     * @return a {@link MembershipStatus} (NOT_CAUGHT_UP: try again later).
     */
    public int promote(final int memberId)
    {
        return core.changeMembership(MembershipStatus.PROMOTE, memberId, null, ctx.maxPromotionLagEntries());
    }

    /**
     * Remove a voter or a learner, the leader itself included (it leads until the change commits, then hands
     * over and steps down). Leader only, agent thread; one change at a time.
     *
     * @return a {@link MembershipStatus}.
     */
    public int remove(final int memberId)
    {
        return core.changeMembership(MembershipStatus.REMOVE, memberId, null, 0);
    }

    /**
     * @return the configuration in effect on this node (the newest it appended, committed or not); any thread
     * (an immutable value published by the agent).
     */
    public ClusterConfiguration membership()
    {
        return core.configuration();
    }

    /** @return the log index of the configuration in effect (0 for the bootstrap members). */
    public long membershipIndex()
    {
        return core.configurationIndex();
    }

    /** @return ReadIndex confirmation rounds this node started as leader. */
    public long readRoundsStarted()
    {
        return core.reads().roundsStarted();
    }

    /** @return queries answered OK. */
    public long readsServed()
    {
        return core.reads().readsServed();
    }

    /** @return LEASE queries served under the leader lease, without a confirmation round. */
    public long leaseReads()
    {
        return core.reads().leaseReads();
    }

    /** @return queries waiting for a confirmation, an index or room to answer. */
    public int pendingReads()
    {
        return core.reads().pendingCount();
    }

    /**
     * Take a snapshot of the state machine at the applied index now: a synchronous pause of this agent while
     * {@link StateMachine#onTakeSnapshot} writes and the file is forced, then the log is compacted below the
     * oldest kept snapshot. Agent thread only (from another thread use {@link OctopiiNode#takeSnapshot()}).
     *
     * @return the snapshot's index (the newest existing one if nothing was applied since it), or -1 if no
     * snapshot store is configured, -2 if it failed (the error handler says why; the node keeps running).
     */
    public long takeSnapshot()
    {
        return core.takeSnapshot();
    }

    /**
     * @return whether this node's log is being rebuilt after {@code octopii wal repair}: it follows leaders but
     * neither votes nor campaigns until it holds the log up to a leader's last index (docs/OPERATIONS.md).
     */
    public boolean isRepairing()
    {
        return core.isRepairing();
    }

    /** @return leadership transfers this node started because its log could not allocate space (disk full). */
    public long storageFullHandOffs()
    {
        return core.storageFullHandOffs();
    }

    /** @return snapshots taken by this process. */
    public long snapshotsTaken()
    {
        return core.snapshots().snapshotsTaken();
    }

    /** @return bytes of the snapshots taken by this process. */
    public long snapshotBytes()
    {
        return core.snapshots().snapshotBytes();
    }

    /** @return index of the newest snapshot taken, loaded or installed (0 if none). */
    public long lastSnapshotIndex()
    {
        return core.snapshots().latestIndex();
    }

    /** @return how long the last snapshot paused this agent, in nanoseconds. */
    public long lastSnapshotPauseNs()
    {
        return core.snapshots().lastPauseNs();
    }

    /** @return the longest snapshot pause of this process, in nanoseconds. */
    public long maxSnapshotPauseNs()
    {
        return core.snapshots().maxPauseNs();
    }

    /** @return snapshots this node, as leader, shipped and a follower installed. */
    public long snapshotInstallsSent()
    {
        return core.installsSent();
    }

    /** @return exactly-once client sessions held (replicated state; read on the agent thread for an exact figure). */
    public int clientSessions()
    {
        return core.sessions().size();
    }

    /** @return retried exactly-once proposals answered from a kept result instead of being applied again. */
    public long sessionReplays()
    {
        return core.sessions().replays();
    }

    /** @return exactly-once proposals not applied because their session had applied (result not kept) or settled them. */
    public long sessionDuplicates()
    {
        return core.sessions().duplicates();
    }

    /** @return client sessions replaced by newer ones (a retry from a replaced session is applied again). */
    public long sessionsReplaced()
    {
        return core.sessions().replaced();
    }

    /** @return snapshots a leader shipped that this node installed. */
    public long snapshotInstallsReceived()
    {
        return core.installsReceived();
    }

    /** {@inheritDoc} */
    public String roleName()
    {
        return "octopii-consensus-" + ctx.memberId();
    }

    /** {@inheritDoc} */
    public void onClose()
    {
        core.close();
    }

    /**
     * A publisher of proposals into this node's ingress ring, for one producing thread.
     *
     * @return a new publisher (allocates: call at start-up).
     */
    public ProposalPublisher newProposalPublisher()
    {
        return new ProposalPublisher(ctx.ingressRingBuffer(), ctx.maxCommandLength(), sessionIds.incrementAndGet());
    }

    /** @return the reader of proposal outcomes (one consumer thread). */
    public ProposalResultAdapter proposalResultAdapter()
    {
        return proposalResultAdapter;
    }

    /** @return this node's member id. */
    public int memberId()
    {
        return ctx.memberId();
    }

    /** @return the role, a {@link Role} constant. */
    public int role()
    {
        return core.role();
    }

    /** @return the current term. */
    public long term()
    {
        return core.term();
    }

    /** @return the leader known to this node, or {@code -1}. */
    public int leaderId()
    {
        return core.leaderId();
    }

    /** @return the commit index known to this node. */
    public long commitIndex()
    {
        return core.commitIndex();
    }

    /** @return the highest index applied to the state machine. */
    public long appliedIndex()
    {
        return core.appliedIndex();
    }

    /** @return elections this node started (pre-vote rounds included). */
    public long electionCount()
    {
        return core.electionCount();
    }

    /** @return proposals refused (not leader, back pressure, too long, closed). */
    public long proposalsRejected()
    {
        return core.proposalsRejected();
    }

    /** @return inbound messages dropped as malformed or forged. */
    public long rejectedMessages()
    {
        return core.rejectedMessages();
    }

    /** @return how many peers (other voters) this node replicates to when it leads. */
    public int peerCount()
    {
        return core.followerCount();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return the peer's member id.
     */
    public int peerId(final int i)
    {
        return core.follower(i).memberId();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return the highest index the peer acknowledged as durable, as known when this node last led.
     */
    public long peerMatchIndex(final int i)
    {
        return core.follower(i).matchIndex();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return the next index this node would send the peer, as known when it last led.
     */
    public long peerNextIndex(final int i)
    {
        return core.follower(i).nextIndex();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return AppendEntries requests in flight to the peer.
     */
    public long peerInFlight(final int i)
    {
        return core.follower(i).inFlight();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return bytes of AppendEntries (heartbeats included) sent to the peer while leading.
     */
    public long peerBytesSent(final int i)
    {
        return core.follower(i).bytesSent();
    }

    /**
     * @param i from 0 to {@link #peerCount()} - 1.
     * @return nanoTime of the peer's last response of any kind while this node led.
     */
    public long peerLastResponseNs(final int i)
    {
        return core.follower(i).lastResponseNs();
    }

    /** @return whether the node stopped on a fail-stop error. */
    public boolean isFailed()
    {
        return core.role() == Role.FAILED;
    }

    /** @return why the node stopped, or null. */
    public Throwable failure()
    {
        return core.failure();
    }

    /** @return the concluded context. */
    public Context context()
    {
        return ctx;
    }

    /**
     * Configuration of a {@link ConsensusAgent}. Fluent setters and getters share a name; defaults live in the
     * field initialisers; {@link #conclude()} validates and creates missing rings, once.
     */
    public static final class Context
    {
        /** {@link #leaseClockDriftNs} default: a tenth of the election timeout, resolved by {@link #conclude()}. */
        public static final long DEFAULT_LEASE_CLOCK_DRIFT = -1;

        private boolean isConcluded;
        private int memberId = -1;
        private int[] memberIds;
        private RaftLog log;
        private TermVoteFile termVoteFile;
        private Transport transport;
        private StateMachine stateMachine;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private RandomGenerator random;
        private ErrorHandler errorHandler = Throwable::printStackTrace;
        private ThreadingMode threadingMode = ThreadingMode.INVOKER;
        private long electionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(500);
        private long heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(50);
        private long responseTimeoutNs = TimeUnit.MILLISECONDS.toNanos(200);
        private int maxInFlightAppends = 16;
        private int maxBatchEntries = 1024;
        private int maxMessageLength = 64 * 1024;
        private int maxCommandLength = 8 * 1024;
        private int maxResultLength = 1024;
        private int maxPendingProposals = 16 * 1024;
        private int maxClientSessions = 256;
        private int clientSessionWindow = 1024;
        private int clientSessionResultLength = 64;
        private int applyBatchLimit = 4096;
        private int inboundPollLimit = 256;
        private int ingressPollLimit = 1024;
        private int ingressRingLength = 4 * 1024 * 1024;
        private int egressRingLength = 4 * 1024 * 1024;
        private int maxPendingReads = 1024;
        private int maxQueryLength = 1024;
        private long readTimeoutNs = TimeUnit.SECONDS.toNanos(5);
        private long leaseClockDriftNs = DEFAULT_LEASE_CLOCK_DRIFT;
        private boolean skipReadConfirmationForTesting;
        private long maxPromotionLagEntries = 1024;
        private boolean isJoining;
        private ClusterConfiguration initialConfiguration;
        private RingBuffer ingressRingBuffer;
        private RingBuffer egressRingBuffer;
        private SnapshotStore snapshotStore;
        private SnapshotTransport snapshotTransport = SnapshotTransport.NONE;
        private long snapshotIntervalEntries;
        private long snapshotLogBytes;
        private int snapshotRetain = 2;

        /**
         * Validate every setting and create the rings not supplied. Idempotent.
         *
         * @return this.
         * @throws IllegalStateException naming the properties and values that do not fit.
         */
        public Context conclude()
        {
            if (isConcluded)
            {
                return this;
            }
            if (null == memberIds || memberIds.length == 0)
            {
                throw new IllegalStateException("memberIds must be set");
            }
            if (Arrays.stream(memberIds).distinct().count() != memberIds.length)
            {
                throw new IllegalStateException("memberIds must be distinct: " + Arrays.toString(memberIds));
            }
            if (!isJoining && Arrays.stream(memberIds).noneMatch(id -> id == memberId))
            {
                throw new IllegalStateException("memberId (" + memberId + ") must be one of memberIds " +
                    Arrays.toString(memberIds));
            }
            if (null != initialConfiguration && !Arrays.equals(initialConfiguration.voterIds(), memberIds))
            {
                throw new IllegalStateException("initialConfiguration voters " +
                    Arrays.toString(initialConfiguration.voterIds()) + " differ from memberIds " + Arrays.toString(memberIds));
            }
            requireSet(log, "log");
            requireSet(termVoteFile, "termVoteFile");
            requireSet(transport, "transport");
            requireSet(stateMachine, "stateMachine");
            requireSet(nanoClock, "nanoClock");
            requireSet(errorHandler, "errorHandler");
            if (electionTimeoutNs < 3 * heartbeatIntervalNs)
            {
                throw new IllegalStateException("electionTimeoutNs (" + electionTimeoutNs +
                    ") must be at least 3 x heartbeatIntervalNs (" + heartbeatIntervalNs + ")");
            }
            if (heartbeatIntervalNs <= 0 || responseTimeoutNs <= 0)
            {
                throw new IllegalStateException("heartbeatIntervalNs (" + heartbeatIntervalNs +
                    ") and responseTimeoutNs (" + responseTimeoutNs + ") must be positive");
            }
            final int effectiveMaxMessageLength = Math.min(maxMessageLength, transport.maxMessageLength());
            if (ConsensusPublisher.APPEND_ENTRIES_HEADER_LENGTH + ConsensusPublisher.ENTRY_OVERHEAD + maxCommandLength >
                effectiveMaxMessageLength)
            {
                throw new IllegalStateException("maxCommandLength (" + maxCommandLength + ") plus AppendEntries overhead (" +
                    (ConsensusPublisher.APPEND_ENTRIES_HEADER_LENGTH + ConsensusPublisher.ENTRY_OVERHEAD) +
                    ") must fit in maxMessageLength (" + maxMessageLength + ") and the transport's (" +
                    transport.maxMessageLength() + ")");
            }
            if (DEFAULT_LEASE_CLOCK_DRIFT == leaseClockDriftNs)
            {
                leaseClockDriftNs = electionTimeoutNs / 10;
            }
            if (leaseClockDriftNs < 0 || leaseClockDriftNs >= electionTimeoutNs)
            {
                throw new IllegalStateException("leaseClockDriftNs (" + leaseClockDriftNs +
                    ") must be at least 0 and below electionTimeoutNs (" + electionTimeoutNs + ")");
            }
            if (maxPendingReads < 1 || maxQueryLength < 0 || readTimeoutNs <= 0)
            {
                throw new IllegalStateException("maxPendingReads (" + maxPendingReads + ") must be positive, " +
                    "maxQueryLength (" + maxQueryLength + ") at least 0 and readTimeoutNs (" + readTimeoutNs +
                    ") positive");
            }
            if (maxClientSessions < 1 || !org.agrona.BitUtil.isPowerOfTwo(clientSessionWindow) ||
                clientSessionResultLength < 0)
            {
                throw new IllegalStateException("maxClientSessions (" + maxClientSessions + ") must be positive, " +
                    "clientSessionWindow (" + clientSessionWindow + ") a power of two and clientSessionResultLength (" +
                    clientSessionResultLength + ") at least 0");
            }
            if (maxInFlightAppends < 1 || maxBatchEntries < 1 || maxPendingProposals < 1 || applyBatchLimit < 1 ||
                inboundPollLimit < 1 || ingressPollLimit < 1 || maxResultLength < 0)
            {
                throw new IllegalStateException("limits must be positive: " + this);
            }
            if (null == snapshotStore && (snapshotIntervalEntries > 0 || snapshotLogBytes > 0))
            {
                throw new IllegalStateException("snapshotIntervalEntries (" + snapshotIntervalEntries +
                    ") or snapshotLogBytes (" + snapshotLogBytes + ") is set but snapshotStore is not");
            }
            if (snapshotIntervalEntries < 0 || snapshotLogBytes < 0 || snapshotRetain < 1)
            {
                throw new IllegalStateException("snapshotIntervalEntries (" + snapshotIntervalEntries +
                    ") and snapshotLogBytes (" + snapshotLogBytes + ") must be >= 0 and snapshotRetain (" +
                    snapshotRetain + ") >= 1");
            }
            requireSet(snapshotTransport, "snapshotTransport");
            if (null == random)
            {
                random = new SplittableRandom(System.nanoTime() ^ ((long)memberId << 32));
            }
            if (null == ingressRingBuffer)
            {
                ingressRingBuffer = new ManyToOneRingBuffer(newRingBuffer(ingressRingLength, "ingressRingLength"));
            }
            if (null == egressRingBuffer)
            {
                egressRingBuffer = new OneToOneRingBuffer(newRingBuffer(egressRingLength, "egressRingLength"));
            }
            if (ingressRingBuffer.maxMsgLength() < maxCommandLength + 64)
            {
                throw new IllegalStateException("ingress ring max message (" + ingressRingBuffer.maxMsgLength() +
                    ") must hold maxCommandLength (" + maxCommandLength + ") plus 64 bytes of header");
            }
            if (egressRingBuffer.maxMsgLength() < maxResultLength + 64)
            {
                throw new IllegalStateException("egress ring max message (" + egressRingBuffer.maxMsgLength() +
                    ") must hold maxResultLength (" + maxResultLength + ") plus 64 bytes of header");
            }
            isConcluded = true;
            return this;
        }

        private static UnsafeBuffer newRingBuffer(final int length, final String name)
        {
            if (!BitUtil.isPowerOfTwo(length))
            {
                throw new IllegalStateException(name + " (" + length + ") must be a power of two");
            }
            return new UnsafeBuffer(ByteBuffer.allocateDirect(length + RingBufferDescriptor.TRAILER_LENGTH));
        }

        private static void requireSet(final Object value, final String name)
        {
            if (null == value)
            {
                throw new IllegalStateException(name + " must be set");
            }
        }

        /** @return this node's member id. */
        public int memberId()
        {
            return memberId;
        }

        /** @param memberId this node's member id. @return this. */
        public Context memberId(final int memberId)
        {
            this.memberId = memberId;
            return this;
        }

        /** @return the voting members, this node included. */
        public int[] memberIds()
        {
            return memberIds;
        }

        /** @param memberIds the voting members, this node included. @return this. */
        public Context memberIds(final int... memberIds)
        {
            this.memberIds = memberIds.clone();
            return this;
        }

        /** @return the Raft log (owned by the caller). */
        public RaftLog log()
        {
            return log;
        }

        /** @param log the Raft log; the agent is its only user on the agent thread. @return this. */
        public Context log(final RaftLog log)
        {
            this.log = log;
            return this;
        }

        /** @return where term and vote are persisted. */
        public TermVoteFile termVoteFile()
        {
            return termVoteFile;
        }

        /** @param termVoteFile where term and vote are persisted (forced). @return this. */
        public Context termVoteFile(final TermVoteFile termVoteFile)
        {
            this.termVoteFile = termVoteFile;
            return this;
        }

        /** @return the transport to peers. */
        public Transport transport()
        {
            return transport;
        }

        /** @param transport the transport to peers. @return this. */
        public Context transport(final Transport transport)
        {
            this.transport = transport;
            return this;
        }

        /** @return the replicated service. */
        public StateMachine stateMachine()
        {
            return stateMachine;
        }

        /** @param stateMachine the replicated service. @return this. */
        public Context stateMachine(final StateMachine stateMachine)
        {
            this.stateMachine = stateMachine;
            return this;
        }

        /** @return the clock read by {@link ConsensusAgent#doWork()}. */
        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /** @param nanoClock the clock read by {@link ConsensusAgent#doWork()}. @return this. */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        /** @return the source of election timeout randomization. */
        public RandomGenerator random()
        {
            return random;
        }

        /** @param random the source of election timeout randomization (seeded in simulation). @return this. */
        public Context random(final RandomGenerator random)
        {
            this.random = random;
            return this;
        }

        /** @return where fail-stop and unexpected errors go. */
        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /** @param errorHandler where fail-stop and unexpected errors go. @return this. */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        /** @return how the embedder runs the agent. */
        public ThreadingMode threadingMode()
        {
            return threadingMode;
        }

        /** @param threadingMode how the embedder runs the agent. @return this. */
        public Context threadingMode(final ThreadingMode threadingMode)
        {
            this.threadingMode = threadingMode;
            return this;
        }

        /** @return base election timeout; the actual one is random in [t, 2t). */
        public long electionTimeoutNs()
        {
            return electionTimeoutNs;
        }

        /** @param electionTimeoutNs base election timeout. @return this. */
        public Context electionTimeoutNs(final long electionTimeoutNs)
        {
            this.electionTimeoutNs = electionTimeoutNs;
            return this;
        }

        /** @return the interval of heartbeats to an idle follower. */
        public long heartbeatIntervalNs()
        {
            return heartbeatIntervalNs;
        }

        /** @param heartbeatIntervalNs the interval of heartbeats to an idle follower. @return this. */
        public Context heartbeatIntervalNs(final long heartbeatIntervalNs)
        {
            this.heartbeatIntervalNs = heartbeatIntervalNs;
            return this;
        }

        /** @return how long AppendEntries may stay unanswered before the leader re-probes the follower. */
        public long responseTimeoutNs()
        {
            return responseTimeoutNs;
        }

        /** @param responseTimeoutNs unanswered-AppendEntries timeout. @return this. */
        public Context responseTimeoutNs(final long responseTimeoutNs)
        {
            this.responseTimeoutNs = responseTimeoutNs;
            return this;
        }

        /** @return the most AppendEntries with entries in flight per follower. */
        public int maxInFlightAppends()
        {
            return maxInFlightAppends;
        }

        /** @param maxInFlightAppends the pipelining window per follower. @return this. */
        public Context maxInFlightAppends(final int maxInFlightAppends)
        {
            this.maxInFlightAppends = maxInFlightAppends;
            return this;
        }

        /** @return the most entries in one AppendEntries. */
        public int maxBatchEntries()
        {
            return maxBatchEntries;
        }

        /** @param maxBatchEntries the most entries in one AppendEntries. @return this. */
        public Context maxBatchEntries(final int maxBatchEntries)
        {
            this.maxBatchEntries = maxBatchEntries;
            return this;
        }

        /** @return the largest message sent (capped by the transport's). */
        public int maxMessageLength()
        {
            return maxMessageLength;
        }

        /** @param maxMessageLength the largest message sent. @return this. */
        public Context maxMessageLength(final int maxMessageLength)
        {
            this.maxMessageLength = maxMessageLength;
            return this;
        }

        /** @return the longest command accepted. */
        public int maxCommandLength()
        {
            return maxCommandLength;
        }

        /** @param maxCommandLength the longest command accepted. @return this. */
        public Context maxCommandLength(final int maxCommandLength)
        {
            this.maxCommandLength = maxCommandLength;
            return this;
        }

        /** @return the longest answer a state machine may write. */
        public int maxResultLength()
        {
            return maxResultLength;
        }

        /** @param maxResultLength the longest answer a state machine may write. @return this. */
        public Context maxResultLength(final int maxResultLength)
        {
            this.maxResultLength = maxResultLength;
            return this;
        }

        /** @return the most proposals appended and not yet applied (beyond: BACK_PRESSURED). */
        public int maxPendingProposals()
        {
            return maxPendingProposals;
        }

        /** @param maxPendingProposals the most proposals appended and not yet applied. @return this. */
        public Context maxPendingProposals(final int maxPendingProposals)
        {
            this.maxPendingProposals = maxPendingProposals;
            return this;
        }

        /** @return the most exactly-once client sessions held; a new one replaces the least recently used. */
        public int maxClientSessions()
        {
            return maxClientSessions;
        }

        /**
         * @param maxClientSessions the most exactly-once client sessions held (each costs about
         *                          {@code clientSessionWindow * (12 + clientSessionResultLength)} bytes of heap).
         * @return this.
         */
        public Context maxClientSessions(final int maxClientSessions)
        {
            this.maxClientSessions = maxClientSessions;
            return this;
        }

        /** @return how many sequences an exactly-once session may have unsettled at once. */
        public int clientSessionWindow()
        {
            return clientSessionWindow;
        }

        /**
         * @param clientSessionWindow how many sequences an exactly-once session may have unsettled at once (a power
         *                            of two; the same on every node, and at least the clients' windows).
         * @return this.
         */
        public Context clientSessionWindow(final int clientSessionWindow)
        {
            this.clientSessionWindow = clientSessionWindow;
            return this;
        }

        /** @return the longest result kept to answer a retried exactly-once proposal. */
        public int clientSessionResultLength()
        {
            return clientSessionResultLength;
        }

        /**
         * @param clientSessionResultLength the longest result kept to answer a retried exactly-once proposal; a
         *                                  retry of one with a longer result is answered DUPLICATE.
         * @return this.
         */
        public Context clientSessionResultLength(final int clientSessionResultLength)
        {
            this.clientSessionResultLength = clientSessionResultLength;
            return this;
        }

        /** @return the most entries applied per duty cycle. */
        public int applyBatchLimit()
        {
            return applyBatchLimit;
        }

        /** @param applyBatchLimit the most entries applied per duty cycle. @return this. */
        public Context applyBatchLimit(final int applyBatchLimit)
        {
            this.applyBatchLimit = applyBatchLimit;
            return this;
        }

        /** @return the most peer messages handled per duty cycle. */
        public int inboundPollLimit()
        {
            return inboundPollLimit;
        }

        /** @param inboundPollLimit the most peer messages per duty cycle. @return this. */
        public Context inboundPollLimit(final int inboundPollLimit)
        {
            this.inboundPollLimit = inboundPollLimit;
            return this;
        }

        /** @return the most proposals read from ingress per duty cycle. */
        public int ingressPollLimit()
        {
            return ingressPollLimit;
        }

        /** @param ingressPollLimit the most proposals per duty cycle. @return this. */
        public Context ingressPollLimit(final int ingressPollLimit)
        {
            this.ingressPollLimit = ingressPollLimit;
            return this;
        }

        /** @return capacity of the ingress ring created by {@link #conclude()} (power of two). */
        public int ingressRingLength()
        {
            return ingressRingLength;
        }

        /** @param ingressRingLength capacity of the ingress ring (power of two). @return this. */
        public Context ingressRingLength(final int ingressRingLength)
        {
            this.ingressRingLength = ingressRingLength;
            return this;
        }

        /** @return capacity of the egress ring created by {@link #conclude()} (power of two). */
        public int egressRingLength()
        {
            return egressRingLength;
        }

        /** @param egressRingLength capacity of the egress ring (power of two). @return this. */
        public Context egressRingLength(final int egressRingLength)
        {
            this.egressRingLength = egressRingLength;
            return this;
        }

        /** @return the most queries waiting at once (beyond: BACK_PRESSURED). */
        public int maxPendingReads()
        {
            return maxPendingReads;
        }

        /** @param maxPendingReads the most queries waiting at once. @return this. */
        public Context maxPendingReads(final int maxPendingReads)
        {
            this.maxPendingReads = maxPendingReads;
            return this;
        }

        /** @return the longest query accepted (the read arena holds maxPendingReads of this size). */
        public int maxQueryLength()
        {
            return maxQueryLength;
        }

        /** @param maxQueryLength the longest query accepted. @return this. */
        public Context maxQueryLength(final int maxQueryLength)
        {
            this.maxQueryLength = maxQueryLength;
            return this;
        }

        /** @return how long a query may wait to be served before it is answered TIMED_OUT. */
        public long readTimeoutNs()
        {
            return readTimeoutNs;
        }

        /** @param readTimeoutNs how long a query may wait to be served. @return this. */
        public Context readTimeoutNs(final long readTimeoutNs)
        {
            this.readTimeoutNs = readTimeoutNs;
            return this;
        }

        /**
         * @return the clock-drift margin of the leader lease: the lease lasts {@code electionTimeoutNs} minus this
         * from the send time of the newest heartbeat a majority answered. It must cover how much faster a
         * follower's clock may run than the leader's over an election timeout, plus scheduling pauses.
         * Default ({@link #DEFAULT_LEASE_CLOCK_DRIFT}): a tenth of the election timeout.
         */
        public long leaseClockDriftNs()
        {
            return leaseClockDriftNs;
        }

        /** @param leaseClockDriftNs the lease's clock-drift margin. @return this. */
        public Context leaseClockDriftNs(final long leaseClockDriftNs)
        {
            this.leaseClockDriftNs = leaseClockDriftNs;
            return this;
        }

        /** @return whether ReadIndex confirmation and the lease check are skipped (tests only). */
        public boolean skipReadConfirmationForTesting()
        {
            return skipReadConfirmationForTesting;
        }

        /**
         * TEST HOOK, never in production: serve LINEARIZABLE and LEASE reads without confirming leadership, which
         * breaks linearizability when a deposed leader still believes it leads. The simulator uses it to prove
         * its checker catches the stale reads that confirmation prevents.
         *
         * @param skip whether to skip confirmation. @return this.
         */
        public Context skipReadConfirmationForTesting(final boolean skip)
        {
            this.skipReadConfirmationForTesting = skip;
            return this;
        }

        /** @return how far behind the leader's log a learner may be to be promoted. */
        public long maxPromotionLagEntries()
        {
            return maxPromotionLagEntries;
        }

        /** @param maxPromotionLagEntries how far behind a learner may be to be promoted. @return this. */
        public Context maxPromotionLagEntries(final long maxPromotionLagEntries)
        {
            this.maxPromotionLagEntries = maxPromotionLagEntries;
            return this;
        }

        /** @return the configuration before any configuration entry: {@link #memberIds()} as voters, with addresses. */
        public ClusterConfiguration initialConfiguration()
        {
            return null != initialConfiguration ? initialConfiguration : ClusterConfiguration.ofVoters(memberIds);
        }

        /**
         * @param initialConfiguration the bootstrap voters with their addresses (its voters must equal
         *                             {@link #memberIds()}). @return this.
         */
        public Context initialConfiguration(final ClusterConfiguration initialConfiguration)
        {
            this.initialConfiguration = initialConfiguration;
            return this;
        }

        /** @return whether this node starts outside {@link #memberIds()}, waiting to be added as a learner. */
        public boolean isJoining()
        {
            return isJoining;
        }

        /**
         * @param isJoining this node starts outside the bootstrap members (which are then the cluster it joins):
         *                  it never campaigns until a configuration makes it a voter. @return this.
         */
        public Context isJoining(final boolean isJoining)
        {
            this.isJoining = isJoining;
            return this;
        }

        /** @return the many-to-one ring proposals arrive on. */
        public RingBuffer ingressRingBuffer()
        {
            return ingressRingBuffer;
        }

        /** @param ingressRingBuffer a many-to-one ring for proposals (else one is created). @return this. */
        public Context ingressRingBuffer(final RingBuffer ingressRingBuffer)
        {
            this.ingressRingBuffer = ingressRingBuffer;
            return this;
        }

        /** @return the one-to-one ring outcomes leave on. */
        public RingBuffer egressRingBuffer()
        {
            return egressRingBuffer;
        }

        /** @param egressRingBuffer a one-to-one ring for outcomes (else one is created). @return this. */
        public Context egressRingBuffer(final RingBuffer egressRingBuffer)
        {
            this.egressRingBuffer = egressRingBuffer;
            return this;
        }

        /** @return where snapshots live, or null (snapshots disabled). */
        public SnapshotStore snapshotStore()
        {
            return snapshotStore;
        }

        /**
         * @param snapshotStore where snapshots are written, loaded at start and received (owned by the caller);
         *                      null disables snapshots, and then the log is never compacted.
         * @return this.
         */
        public Context snapshotStore(final SnapshotStore snapshotStore)
        {
            this.snapshotStore = snapshotStore;
            return this;
        }

        /** @return how snapshot files travel to followers behind the first log index. */
        public SnapshotTransport snapshotTransport()
        {
            return snapshotTransport;
        }

        /** @param snapshotTransport how snapshot files travel (default {@link SnapshotTransport#NONE}). @return this. */
        public Context snapshotTransport(final SnapshotTransport snapshotTransport)
        {
            this.snapshotTransport = snapshotTransport;
            return this;
        }

        /** @return take a snapshot after this many applied entries since the last one (0: never). */
        public long snapshotIntervalEntries()
        {
            return snapshotIntervalEntries;
        }

        /** @param snapshotIntervalEntries entries between snapshots (0: never). @return this. */
        public Context snapshotIntervalEntries(final long snapshotIntervalEntries)
        {
            this.snapshotIntervalEntries = snapshotIntervalEntries;
            return this;
        }

        /** @return take a snapshot after this many bytes of applied entries since the last one (0: never). */
        public long snapshotLogBytes()
        {
            return snapshotLogBytes;
        }

        /** @param snapshotLogBytes bytes of log above the snapshot that trigger one (0: never). @return this. */
        public Context snapshotLogBytes(final long snapshotLogBytes)
        {
            this.snapshotLogBytes = snapshotLogBytes;
            return this;
        }

        /** @return snapshots kept; the log is compacted below the oldest kept once this many exist. */
        public int snapshotRetain()
        {
            return snapshotRetain;
        }

        /** @param snapshotRetain snapshots kept (at least 1; default 2). @return this. */
        public Context snapshotRetain(final int snapshotRetain)
        {
            this.snapshotRetain = snapshotRetain;
            return this;
        }

        /** {@inheritDoc} */
        public String toString()
        {
            return "ConsensusAgent.Context{" +
                "memberId=" + memberId +
                ", memberIds=" + Arrays.toString(memberIds) +
                ", threadingMode=" + threadingMode +
                ", electionTimeoutNs=" + electionTimeoutNs +
                ", heartbeatIntervalNs=" + heartbeatIntervalNs +
                ", responseTimeoutNs=" + responseTimeoutNs +
                ", maxInFlightAppends=" + maxInFlightAppends +
                ", maxBatchEntries=" + maxBatchEntries +
                ", maxMessageLength=" + maxMessageLength +
                ", maxCommandLength=" + maxCommandLength +
                ", maxResultLength=" + maxResultLength +
                ", maxPendingProposals=" + maxPendingProposals +
                ", maxClientSessions=" + maxClientSessions +
                ", clientSessionWindow=" + clientSessionWindow +
                ", clientSessionResultLength=" + clientSessionResultLength +
                ", applyBatchLimit=" + applyBatchLimit +
                ", inboundPollLimit=" + inboundPollLimit +
                ", ingressPollLimit=" + ingressPollLimit +
                ", ingressRingLength=" + ingressRingLength +
                ", egressRingLength=" + egressRingLength +
                ", maxPendingReads=" + maxPendingReads +
                ", maxQueryLength=" + maxQueryLength +
                ", readTimeoutNs=" + readTimeoutNs +
                ", leaseClockDriftNs=" + leaseClockDriftNs +
                (skipReadConfirmationForTesting ? ", skipReadConfirmationForTesting=true" : "") +
                ", snapshotStore=" + (null == snapshotStore ? null : snapshotStore.storage().describe()) +
                ", snapshotIntervalEntries=" + snapshotIntervalEntries +
                ", snapshotLogBytes=" + snapshotLogBytes +
                ", snapshotRetain=" + snapshotRetain +
                ", log=" + log +
                ", transport=" + transport +
                ", nanoClock=" + nanoClock +
                '}';
        }
    }
}

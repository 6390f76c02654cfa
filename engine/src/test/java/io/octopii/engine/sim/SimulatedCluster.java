package io.octopii.engine.sim;

import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalResultAdapter;
import io.octopii.engine.Role;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.InMemoryStorage;
import io.octopii.log.LogFlusher;
import io.octopii.log.LogStorage;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import io.octopii.log.TermVoteFile;
import io.octopii.transport.sim.SimulatedNetwork;
import io.octopii.transport.sim.SimulatedTransport;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A deterministic in-JVM cluster: N {@link ConsensusAgent}s driven round-robin on the calling thread with a
 * simulated clock, a {@link SimulatedNetwork} and, per node, an {@link InMemoryStorage} disk whose crash loses
 * every unforced write (and may tear the last page). Fsync latency is modelled by running each node's
 * {@link LogFlusher} only on some steps. Everything random derives from one seed, so a seed replays a run
 * exactly; every failure message carries it.
 *
 * <p>After every {@link #step()} the {@link InvariantChecker} verifies Raft's safety properties (unless
 * disabled with {@link Options#checkInvariants}, as allocation gates and benchmarks do).
 *
 * <p><b>Thread.</b> One thread. <b>Lifecycle.</b> Construct, step, {@link #close()}.
 * <b>Failure.</b> An invariant violation or a node's fail-stop throws {@link AssertionError} naming the seed.
 */
public final class SimulatedCluster implements AutoCloseable
{
    /** The first correlation id {@link #commit(int, int)} gives its proposals; ids below it are other proposals'. */
    public static final long COMMIT_CORRELATION_BASE = 1L << 40;

    /** Settings of a simulated cluster; public fields, set before construction. */
    public static final class Options
    {
        /** Members, ids 0 .. nodeCount - 1. */
        public int nodeCount = 3;
        /** The only source of randomness. */
        public long seed = 1;
        /** Simulated time per step. */
        public long tickNs = TimeUnit.MILLISECONDS.toNanos(1);
        /** Base election timeout. */
        public long electionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(150);
        /** Heartbeat interval. */
        public long heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(30);
        /** Unanswered AppendEntries timeout. */
        public long responseTimeoutNs = TimeUnit.MILLISECONDS.toNanos(60);
        /** Probability a node's flusher runs in a step (fsync latency). */
        public double flushProbability = 0.5;
        /** fsync policy of the logs. */
        public FsyncPolicy fsyncPolicy = FsyncPolicy.DURABLE;
        /** Segment length of the logs. */
        public int segmentLength = 1024 * 1024;
        /** Initial position capacity of the logs. */
        public int logIndexCapacity = 64 * 1024;
        /** Largest message on the network. */
        public int maxMessageLength = 64 * 1024;
        /** Pipelining window per follower. */
        public int maxInFlightAppends = 8;
        /** Most entries per AppendEntries. */
        public int maxBatchEntries = 256;
        /** Most proposals pending on a leader. */
        public int maxPendingProposals = 4096;
        /** Ring capacities. */
        public int ringLength = 1024 * 1024;
        /** Check invariants after every step. */
        public boolean checkInvariants = true;
        /**
         * Creates each node's disk. The default is an {@link InMemoryStorage} (crashable); benchmarks may pass
         * mapped files (then {@link SimulatedCluster#crash} is refused).
         */
        public IntFunction<LogStorage> storageFactory = i -> new InMemoryStorage("node-" + i);
        /** Print log recovery events (torn tails cut) as they happen. */
        public boolean printStorageEvents = Boolean.getBoolean("octopii.sim.printStorageEvents");
        /** Run the full log matching check every this many steps. */
        public int fullCheckInterval = 64;
        /** How long a query may wait before it is answered TIMED_OUT. */
        public long readTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        /** Clock-drift margin of the leader lease (the simulated clocks do not drift). */
        public long leaseClockDriftNs = TimeUnit.MILLISECONDS.toNanos(30);
        /**
         * Members 0 .. initialVoters - 1 form the cluster; the others start outside it, waiting to be added
         * (0 or less: every node is a voter).
         */
        public int initialVoters;
        /** How far behind the leader's log a learner may be to be promoted. */
        public long maxPromotionLagEntries = 64;
        /** Test hook: serve LINEARIZABLE and LEASE reads without confirming leadership. */
        public boolean skipReadConfirmation;
        /** Take a snapshot after this many applied entries (0: only on demand). */
        public long snapshotIntervalEntries = 0;
        /** Snapshots kept per node; the log is compacted below the oldest kept. */
        public int snapshotRetain = 2;
        /** Bytes the simulated snapshot lane moves per step per fetch. */
        public int snapshotChunkLength = 512;
        /** A snapshot fetch without progress this long fails (the leader offers again). */
        public long snapshotStallTimeoutNs = TimeUnit.MILLISECONDS.toNanos(500);

        /** @return a copy with another seed. */
        public Options seed(final long seed)
        {
            this.seed = seed;
            return this;
        }
    }

    private final Options options;
    private final SplittableRandom random;
    private final SplittableRandom crashRandom;
    private final SplittableRandom flushRandom;
    private final SimulatedNetwork network;
    private final InvariantChecker invariants;
    private final LogStorage[] storages;
    private final RaftLog[] logs;
    private final LogFlusher[] flushers;
    private final TermVoteFile[] termVoteFiles;
    private final SnapshotStore[] snapshotStores;
    private final SimulatedSnapshotLane snapshotLane;
    private final ConsensusAgent[] agents;
    private final KvStateMachine[] stateMachines;
    private final ProposalPublisher[] publishers;
    private final SplittableRandom[] nodeRandoms;
    private final int[] memberIds;
    private final ManualClock clock = new ManualClock();
    private long steps;
    private long crashes;
    private long storageEvents;
    private KvStateMachine.PutObserver putObserver;
    private long snapshotInstalls;
    private long snapshotsTaken;

    /**
     * @param options settings; read at construction.
     */
    public SimulatedCluster(final Options options)
    {
        this.options = options;
        this.random = new SplittableRandom(options.seed);
        this.network = new SimulatedNetwork(options.nodeCount, random.nextLong(), options.maxMessageLength);
        this.crashRandom = random.split();
        this.flushRandom = random.split();
        final int n = options.nodeCount;
        this.invariants = new InvariantChecker(n);
        this.storages = new LogStorage[n];
        this.logs = new RaftLog[n];
        this.flushers = new LogFlusher[n];
        this.termVoteFiles = new TermVoteFile[n];
        this.snapshotStores = new SnapshotStore[n];
        this.snapshotLane = new SimulatedSnapshotLane(
            network, n, options.snapshotChunkLength, options.snapshotStallTimeoutNs);
        this.agents = new ConsensusAgent[n];
        this.stateMachines = new KvStateMachine[n];
        this.publishers = new ProposalPublisher[n];
        this.nodeRandoms = new SplittableRandom[n];
        clock.nowNs = TimeUnit.SECONDS.toNanos(1);
        network.nowNs(clock.nowNs);
        final int voters = options.initialVoters > 0 ? Math.min(options.initialVoters, n) : n;
        this.memberIds = new int[voters];
        for (int i = 0; i < voters; i++)
        {
            memberIds[i] = i;
        }
        for (int i = 0; i < n; i++)
        {
            nodeRandoms[i] = random.split();
            storages[i] = options.storageFactory.apply(i);
        }
        for (int i = 0; i < n; i++)
        {
            startNode(i);
        }
    }

    /** @return the options. */
    public Options options()
    {
        return options;
    }

    /** @return the seed. */
    public long seed()
    {
        return options.seed;
    }

    /** @return the simulated network (faults, partitions). */
    public SimulatedNetwork network()
    {
        return network;
    }

    /** @return the safety checker. */
    public InvariantChecker invariants()
    {
        return invariants;
    }

    /** @return simulated time now. */
    public long nowNs()
    {
        return clock.nowNs;
    }

    /** @return steps run. */
    public long steps()
    {
        return steps;
    }

    /** @return crashes injected. */
    public long crashes()
    {
        return crashes;
    }

    /** @return the voters the cluster started with (members 0 .. this - 1). */
    public int initialVoterCount()
    {
        return memberIds.length;
    }

    /** @return nodes. */
    public int nodeCount()
    {
        return options.nodeCount;
    }

    /** @return whether a node runs (not crashed). */
    public boolean isUp(final int memberId)
    {
        return null != agents[memberId];
    }

    /** @return a node's agent, or null while it is down. */
    public ConsensusAgent agent(final int memberId)
    {
        return agents[memberId];
    }

    /** @return a node's log, or null while it is down. */
    public RaftLog log(final int memberId)
    {
        return logs[memberId];
    }

    /** @return a node's disk (also while it is down). */
    public LogStorage storage(final int memberId)
    {
        return storages[memberId];
    }

    /** @return a node's state machine, or null while it is down. */
    public KvStateMachine stateMachine(final int memberId)
    {
        return stateMachines[memberId];
    }

    /**
     * @param putObserver told about every put applied on any node from now on (also after restarts).
     */
    public void putObserver(final KvStateMachine.PutObserver putObserver)
    {
        this.putObserver = putObserver;
        for (final KvStateMachine sm : stateMachines)
        {
            if (null != sm)
            {
                sm.putObserver(putObserver);
            }
        }
    }

    /** @return the publisher into a node's ingress (replaced on restart), or null while it is down. */
    public ProposalPublisher publisher(final int memberId)
    {
        return publishers[memberId];
    }

    /** @return the reader of a node's egress (replaced on restart), or null while it is down. */
    public ProposalResultAdapter results(final int memberId)
    {
        return null == agents[memberId] ? null : agents[memberId].proposalResultAdapter();
    }

    /**
     * @return the leader with the highest term among running nodes, or -1.
     */
    public int leaderId()
    {
        int leader = -1;
        long term = -1;
        for (int i = 0; i < agents.length; i++)
        {
            final ConsensusAgent agent = agents[i];
            if (null != agent && agent.role() == Role.LEADER && agent.term() > term)
            {
                leader = i;
                term = agent.term();
            }
        }
        return leader;
    }

    /**
     * One step: advance the clock by a tick, run every running node's agent (and, with the configured
     * probability, its flusher), then check invariants.
     */
    public void step()
    {
        steps++;
        clock.nowNs += options.tickNs;
        network.nowNs(clock.nowNs);
        final long nowNs = clock.nowNs;
        for (int i = 0; i < agents.length; i++)
        {
            final ConsensusAgent agent = agents[i];
            if (null == agent)
            {
                continue;
            }
            if (flushRandom.nextDouble() < options.flushProbability)
            {
                flushers[i].doWork();
            }
            agent.doWork(nowNs);
            if (agent.isFailed())
            {
                throw new AssertionError(describe() + ": member " + i + " failed: " + agent.failure(), agent.failure());
            }
        }
        snapshotLane.step(nowNs);
        if (options.checkInvariants)
        {
            checkInvariants();
        }
    }

    /**
     * Run steps for a span of simulated time.
     *
     * @param durationNs how long.
     */
    public void run(final long durationNs)
    {
        final long end = clock.nowNs + durationNs;
        while (clock.nowNs < end)
        {
            step();
        }
    }

    /**
     * Crash a node: its disk loses every unforced write (perhaps tearing a page), its queued messages and
     * its rings are lost.
     */
    public void crash(final int memberId)
    {
        if (null == agents[memberId])
        {
            return;
        }
        if (!(storages[memberId] instanceof InMemoryStorage))
        {
            throw new IllegalStateException("crash needs an InMemoryStorage, member " + memberId + " has " +
                storages[memberId].describe());
        }
        crashes++;
        snapshotInstalls += agents[memberId].snapshotInstallsReceived();
        snapshotsTaken += agents[memberId].snapshotsTaken();
        agents[memberId] = null;
        publishers[memberId] = null;
        stateMachines[memberId] = null;
        logs[memberId] = null;
        flushers[memberId] = null;
        termVoteFiles[memberId] = null;
        snapshotStores[memberId] = null;
        snapshotLane.close(memberId);
        network.memberDown(memberId, true);
        network.transport(memberId).close();
        ((InMemoryStorage)storages[memberId]).crash(crashRandom);
    }

    /**
     * An operator's repair of a crashed node's disk: every file but the term/vote file (log segments, snapshots) is
     * removed; with {@code repairMarker} the log's repair marker is left too, as {@code octopii wal repair} does.
     *
     * @param memberId     a crashed node.
     * @param repairMarker whether to leave the repair marker (without it the node rejoins as plain Raft would).
     */
    public void wipe(final int memberId, final boolean repairMarker)
    {
        if (null != agents[memberId])
        {
            throw new IllegalStateException("wipe needs a crashed node; member " + memberId + " is up");
        }
        final LogStorage storage = storages[memberId];
        for (final String name : storage.list())
        {
            if (!TermVoteFile.FILE_NAME.equals(name))
            {
                storage.delete(name);
            }
        }
        if (repairMarker)
        {
            RaftLog.markRepairing(storage);
        }
    }

    /**
     * Step until a member other than {@code notThis} leads, for at most 3 simulated seconds.
     *
     * @param notThis a member that does not count (-1: any).
     * @return the leader.
     * @throws AssertionError if none leads in time.
     */
    public int awaitLeader(final int notThis)
    {
        final long deadline = nowNs() + TimeUnit.SECONDS.toNanos(3);
        while (leaderId() < 0 || leaderId() == notThis)
        {
            if (nowNs() >= deadline)
            {
                throw new AssertionError("no leader other than " + notThis + " within 3 s: " + describe());
            }
            step();
        }
        return leaderId();
    }

    /**
     * Propose {@code count} puts at {@code leader} (up to 512 outstanding) and step until every one is answered
     * OK, for at most 10 simulated seconds. Its proposals' correlation ids start at {@link #COMMIT_CORRELATION_BASE};
     * answers below it, still in the leader's result ring for proposals a test made before (say, INDETERMINATE for
     * those a crash left pending), are not its own and are skipped.
     *
     * @param leader the member to propose to.
     * @param count  puts.
     * @throws AssertionError if one is answered otherwise or not all are answered in time.
     */
    public void commit(final int leader, final int count)
    {
        commit(leader, count, COMMIT_CORRELATION_BASE);
    }

    /**
     * {@link #commit(int, int)} at whichever member leads, for a cluster that may still change leader (just after
     * restarts, say): when a proposal is answered as the leader losing its office (not leader, indeterminate,
     * leadership transfer), the puts are proposed again, all of them, at the leader found next, up to five times.
     * Plain puts: a put applied twice changes no node's state relative to the others.
     *
     * @param count puts.
     * @return the member that answered them all.
     */
    public int commitAtAnyLeader(final int count)
    {
        for (int attempt = 0; ; attempt++)
        {
            final int leader = awaitLeader(-1);
            try
            {
                commit(leader, count, COMMIT_CORRELATION_BASE + attempt * (1L << 20));
                return leader;
            }
            catch (final LeaderChanged ex)
            {
                if (attempt == 4)
                {
                    throw new AssertionError("the leader changed during each of 5 attempts: " + describe(), ex);
                }
            }
        }
    }

    /** A {@link #commit} proposal was answered as its leader losing office. */
    static final class LeaderChanged extends AssertionError
    {
        LeaderChanged(final String message)
        {
            super(message);
        }
    }

    private void commit(final int leader, final int count, final long correlationBase)
    {
        final org.agrona.concurrent.UnsafeBuffer command =
            new org.agrona.concurrent.UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
        final long[] answered = new long[1];
        final long deadline = nowNs() + TimeUnit.SECONDS.toNanos(10);
        int offered = 0;
        while (answered[0] < count)
        {
            if (nowNs() >= deadline)
            {
                throw new AssertionError("only " + answered[0] + " of " + count + " proposals answered: " + describe());
            }
            while (offered < count && offered - answered[0] < 512)
            {
                KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, offered % 101, offered);
                if (io.octopii.engine.ProposalStatus.OK !=
                    publisher(leader).offer(correlationBase + offered, command, 0, command.capacity()))
                {
                    break;
                }
                offered++;
            }
            step();
            results(leader).poll(
                (correlationId, status, logIndex, term, leaderId, buffer, offset, length) ->
                {
                    if (correlationId < correlationBase)
                    {
                        return; // an earlier proposal's answer (an ExactlyOnceSessionTest run met one: seed 5397463530333)
                    }
                    final String what = "proposal " + (correlationId - correlationBase) + " of commit() at member " +
                        leader + " answered status " + status;
                    if (io.octopii.engine.ProposalStatus.NOT_LEADER == status ||
                        io.octopii.engine.ProposalStatus.INDETERMINATE == status ||
                        io.octopii.engine.ProposalStatus.LEADERSHIP_TRANSFER == status)
                    {
                        throw new LeaderChanged(what);
                    }
                    if (io.octopii.engine.ProposalStatus.OK != status)
                    {
                        throw new AssertionError(what);
                    }
                    answered[0]++;
                },
                1024);
        }
    }

    /** Restart a crashed node from what its disk kept. */
    public void restart(final int memberId)
    {
        if (null != agents[memberId])
        {
            return;
        }
        network.memberDown(memberId, false);
        network.transport(memberId).reopen();
        invariants.onRestart(memberId);
        startNode(memberId);
    }

    /**
     * Checks every invariant now (the per-step checks, and the full log matching check every
     * {@link Options#fullCheckInterval} steps).
     */
    public void checkInvariants()
    {
        try
        {
            for (int i = 0; i < agents.length; i++)
            {
                if (null != agents[i])
                {
                    invariants.checkNode(i, agents[i], logs[i]);
                }
            }
            for (int i = 0; i < agents.length; i++)
            {
                if (null != agents[i])
                {
                    invariants.checkLeader(i, agents[i], logs[i]);
                }
            }
            if (steps % options.fullCheckInterval == 0)
            {
                invariants.checkLogMatching(logs);
            }
        }
        catch (final AssertionError e)
        {
            throw new AssertionError(describe() + ": " + e.getMessage(), e);
        }
    }

    /** Full log matching check now. */
    public void checkLogMatching()
    {
        try
        {
            invariants.checkLogMatching(logs);
        }
        catch (final AssertionError e)
        {
            throw new AssertionError(describe() + ": " + e.getMessage(), e);
        }
    }

    /** @return the seed, step, time and every node's state, for failure messages. */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder()
            .append("seed=").append(options.seed)
            .append(" step=").append(steps)
            .append(" timeMs=").append(TimeUnit.NANOSECONDS.toMillis(clock.nowNs))
            .append(" (replay with -Doctopii.sim.seed=").append(options.seed).append(')');
        for (int i = 0; i < agents.length; i++)
        {
            final ConsensusAgent a = agents[i];
            sb.append("\n  member ").append(i).append(": ");
            if (null == a)
            {
                sb.append("DOWN");
            }
            else
            {
                sb.append(Role.name(a.role()))
                    .append(" term=").append(a.term())
                    .append(" leader=").append(a.leaderId())
                    .append(" commit=").append(a.commitIndex())
                    .append(" applied=").append(a.appliedIndex())
                    .append(" first=").append(logs[i].firstIndex())
                    .append(" last=").append(logs[i].lastIndex())
                    .append(" snapshot=").append(a.lastSnapshotIndex())
                    .append(" durable=").append(logs[i].durableIndex());
            }
        }
        return sb.toString();
    }

    /** {@inheritDoc} */
    public void close()
    {
        for (int i = 0; i < agents.length; i++)
        {
            if (null != agents[i])
            {
                agents[i].onClose();
                logs[i].close();
                termVoteFiles[i].close();
            }
            storages[i].close();
        }
    }

    private void startNode(final int i)
    {
        final LogStorage storage = storages[i];
        logs[i] = RaftLog.open(new RaftLog.Context()
            .storage(storage)
            .segmentLength(options.segmentLength)
            .fsyncPolicy(options.fsyncPolicy)
            .indexCapacity(options.logIndexCapacity)
            .eventHandler(this::onStorageEvent));
        flushers[i] = new LogFlusher(logs[i], clock);
        termVoteFiles[i] = TermVoteFile.open(storage, this::onStorageEvent);
        stateMachines[i] = new KvStateMachine(i, options.checkInvariants ? invariants : null);
        stateMachines[i].putObserver(putObserver);
        snapshotStores[i] = new SnapshotStore(storage, this::onStorageEvent);
        final SimulatedTransport transport = network.transport(i);
        agents[i] = new ConsensusAgent(new ConsensusAgent.Context()
            .memberId(i)
            .memberIds(memberIds)
            .isJoining(i >= memberIds.length)
            .maxPromotionLagEntries(options.maxPromotionLagEntries)
            .log(logs[i])
            .termVoteFile(termVoteFiles[i])
            .transport(transport)
            .stateMachine(stateMachines[i])
            .nanoClock(clock)
            .random(nodeRandoms[i])
            .errorHandler(t -> { })
            .electionTimeoutNs(options.electionTimeoutNs)
            .heartbeatIntervalNs(options.heartbeatIntervalNs)
            .responseTimeoutNs(options.responseTimeoutNs)
            .maxInFlightAppends(options.maxInFlightAppends)
            .maxBatchEntries(options.maxBatchEntries)
            .maxMessageLength(options.maxMessageLength)
            .maxCommandLength(1024)
            .maxResultLength(64)
            .maxPendingProposals(options.maxPendingProposals)
            .maxPendingReads(256)
            .maxQueryLength(64)
            .readTimeoutNs(options.readTimeoutNs)
            .leaseClockDriftNs(options.leaseClockDriftNs)
            .skipReadConfirmationForTesting(options.skipReadConfirmation)
            .ingressRingLength(options.ringLength)
            .egressRingLength(options.ringLength)
            .snapshotStore(snapshotStores[i])
            .snapshotTransport(snapshotLane.open(i, snapshotStores[i]))
            .snapshotIntervalEntries(options.snapshotIntervalEntries)
            .snapshotRetain(options.snapshotRetain));
        publishers[i] = agents[i].newProposalPublisher();
    }

    /** @return the simulated snapshot lane (fetch counters). */
    SimulatedSnapshotLane snapshotLane()
    {
        return snapshotLane;
    }

    /** @return snapshots installed on followers so far, over every node's current process. */
    public long snapshotInstalls()
    {
        return snapshotInstalls + sumOverAgents(ConsensusAgent::snapshotInstallsReceived);
    }

    /** @return snapshots taken so far, over every node's current process. */
    public long snapshotsTaken()
    {
        return snapshotsTaken + sumOverAgents(ConsensusAgent::snapshotsTaken);
    }

    private long sumOverAgents(final java.util.function.ToLongFunction<ConsensusAgent> counter)
    {
        long sum = 0;
        for (final ConsensusAgent agent : agents)
        {
            if (null != agent)
            {
                sum += counter.applyAsLong(agent);
            }
        }
        return sum;
    }

    /** @return recovery events reported by the logs (torn tails cut...), for diagnostics. */
    public long storageEvents()
    {
        return storageEvents;
    }

    private void onStorageEvent(final String event)
    {
        storageEvents++;
        if (options.printStorageEvents)
        {
            System.out.println("seed=" + options.seed + " step=" + steps + ": " + event);
        }
    }

    /** The simulated clock, shared by agents and flushers. */
    static final class ManualClock implements org.agrona.concurrent.NanoClock
    {
        long nowNs;

        public long nanoTime()
        {
            return nowNs;
        }
    }
}

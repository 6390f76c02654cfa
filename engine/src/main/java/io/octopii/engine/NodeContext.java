package io.octopii.engine;

import io.octopii.log.FsyncPolicy;
import io.octopii.log.RaftLog;
import io.octopii.rpc.RpcEndpoint;
import io.octopii.shipping.ShippingLane;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Everything an {@link OctopiiNode} needs: who it is, who its peers are, where its data lives, how fast
 * it elects and heartbeats, how durable its log is, how it is threaded, which transport carries it and
 * the {@link StateMachine} it replicates.
 *
 * <p>Fluent setters and getters share a name; every default is a constant of this class.
 * {@link #conclude()} runs once (from {@link OctopiiNode#launch}), checks every cross-field rule with a
 * message naming the properties and values, and creates the data directory. {@link #toString()} prints
 * every effective value; the node logs it at start.
 *
 * <p><b>Thread:</b> configure on one thread, then hand to {@link OctopiiNode#launch}; do not change it
 * afterwards.
 */
public final class NodeContext
{
    /** Default election timeout: 500 ms. */
    public static final long DEFAULT_ELECTION_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Default heartbeat interval: 50 ms. */
    public static final long DEFAULT_HEARTBEAT_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Default largest command: 8 KiB. */
    public static final int DEFAULT_MAX_COMMAND_LENGTH = 8 * 1024;
    /** Default largest state-machine answer: 8 KiB. */
    public static final int DEFAULT_MAX_RESULT_LENGTH = 8 * 1024;
    /** Default ingress ring (proposals into the agent): 4 MiB. */
    public static final int DEFAULT_INGRESS_RING_LENGTH = 4 * 1024 * 1024;
    /** Default egress ring (outcomes out of the agent): 4 MiB. */
    public static final int DEFAULT_EGRESS_RING_LENGTH = 4 * 1024 * 1024;
    /** Default WAL segment length: 64 MiB. */
    public static final int DEFAULT_SEGMENT_LENGTH = RaftLog.Context.SEGMENT_LENGTH_DEFAULT;
    /** Default for proposals sent to a follower: fail fast with NOT_LEADER. */
    public static final ProposalForwarding DEFAULT_PROPOSAL_FORWARDING = ProposalForwarding.REJECT;

    /** Which network implementation carries the node's traffic. */
    public enum TransportKind
    {
        /** QUIC over Kwik: encrypted, peers authenticated. The default. */
        QUIC,
        /** Aeron UDP: lowest latency, no encryption; for trusted networks only. */
        AERON
    }

    private boolean isConcluded;
    private int nodeId = -1;
    private final List<MemberAddress> members = new ArrayList<>();
    private final List<MemberAddress> clients = new ArrayList<>();
    private File dataDir;
    private int initialLeader = -1;
    private long electionTimeoutNs = DEFAULT_ELECTION_TIMEOUT_NS;
    private long heartbeatIntervalNs = DEFAULT_HEARTBEAT_INTERVAL_NS;
    private long leaseClockDriftNs = ConsensusAgent.Context.DEFAULT_LEASE_CLOCK_DRIFT;
    private FsyncPolicy fsyncPolicy = FsyncPolicy.DURABLE;
    private int segmentLength = DEFAULT_SEGMENT_LENGTH;
    private int logIndexCapacity = io.octopii.log.RaftLog.Context.INDEX_CAPACITY_DEFAULT;
    private io.octopii.transport.aeron.AeronTransport.Context aeronContext;
    private int ingressRingLength = DEFAULT_INGRESS_RING_LENGTH;
    private int egressRingLength = DEFAULT_EGRESS_RING_LENGTH;
    private int maxCommandLength = DEFAULT_MAX_COMMAND_LENGTH;
    private int maxResultLength = DEFAULT_MAX_RESULT_LENGTH;
    private ThreadingMode threadingMode = ThreadingMode.DEDICATED;
    private Supplier<IdleStrategy> idleStrategySupplier = NodeContext::defaultIdleStrategy;
    private TransportKind transportKind = TransportKind.QUIC;
    private TransportContext transportContext = new TransportContext();
    private Transport transport;
    private io.octopii.transport.FaultInjectionTransport.Rules faultInjection;
    private StateMachine stateMachine;
    private ProposalListener proposalListener;
    private ProposalForwarding proposalForwarding = DEFAULT_PROPOSAL_FORWARDING;
    private ShippingLane.Context shippingContext = new ShippingLane.Context();
    private RpcEndpoint.Context rpcContext = new RpcEndpoint.Context();
    private long snapshotIntervalEntries;
    private long snapshotLogBytes;
    private int snapshotRetain = 2;
    private int maxPendingReads = 1024;
    private int maxClientSessions = 256;
    private int clientSessionWindow = 1024;
    private int maxQueryLength = 1024;
    private long readTimeoutNs = TimeUnit.SECONDS.toNanos(5);

    /**
     * The default idle strategy: spin briefly, then yield, then park up to 1 ms. Low latency when busy,
     * little CPU when idle; suits machines with few cores.
     *
     * @return a new idle strategy.
     */
    public static IdleStrategy defaultIdleStrategy()
    {
        return backoffIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * The default's spin and yield phases, then parks that double from 1 µs up to {@code maxParkNs}. A thread
     * that went idle notices new work within about {@code maxParkNs}: the bound trades latency for idle CPU.
     *
     * @param maxParkNs longest park, at least 1 µs.
     * @return a new idle strategy.
     */
    public static IdleStrategy backoffIdleStrategy(final long maxParkNs)
    {
        return new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), maxParkNs);
    }

    /**
     * Parse an idle strategy specification, as the launcher's {@code idle.strategy} key and the rig's
     * {@code --idle} option take it: {@code backoff} (the default, parks up to 1 ms), {@code backoff:<max park µs>},
     * {@code yielding} or {@code busy-spin} (each burns a core per thread: only with a core per agent thread).
     *
     * @param spec the specification.
     * @return a supplier of new strategies of that kind, one per thread.
     * @throws IllegalArgumentException naming the specification when it is not one of those.
     */
    public static Supplier<IdleStrategy> idleStrategy(final String spec)
    {
        final String s = spec.strip();
        switch (s)
        {
            case "backoff":
                return NodeContext::defaultIdleStrategy;
            case "yielding":
                return YieldingIdleStrategy::new;
            case "busy-spin":
                return BusySpinIdleStrategy::new;
            default:
                if (s.startsWith("backoff:"))
                {
                    try
                    {
                        final long maxParkUs = Long.parseLong(s.substring("backoff:".length()));
                        if (maxParkUs >= 1 && maxParkUs <= 1_000_000)
                        {
                            final long maxParkNs = TimeUnit.MICROSECONDS.toNanos(maxParkUs);
                            return () -> backoffIdleStrategy(maxParkNs);
                        }
                    }
                    catch (final NumberFormatException ignore)
                    {
                        // reported below
                    }
                }
                throw new IllegalArgumentException("idle strategy must be backoff, backoff:<max park µs 1..1000000>, " +
                    "yielding or busy-spin, got '" + spec + "'");
        }
    }

    /**
     * Validate every setting. Once only (later calls return at once).
     *
     * @return this.
     * @throws IllegalStateException naming each property and value that is wrong.
     */
    public NodeContext conclude()
    {
        if (isConcluded)
        {
            return this;
        }
        final List<String> problems = new ArrayList<>();
        if (nodeId < 0)
        {
            problems.add("nodeId (" + nodeId + ") must be set to a non-negative id");
        }
        if (members.isEmpty())
        {
            problems.add("members must list every voting node as id@host:port, this node included");
        }
        final Set<Integer> ids = new HashSet<>();
        final Set<String> endpoints = new HashSet<>();
        for (final MemberAddress member : allTransportMembers())
        {
            if (!ids.add(member.id()))
            {
                problems.add("duplicate member id " + member.id() + " in members/clients " + allTransportMembers());
            }
            if (!endpoints.add(member.host() + ":" + member.port()))
            {
                problems.add("duplicate address " + member.host() + ":" + member.port() + " in members/clients");
            }
        }
        if (logIndexCapacity < 16 || logIndexCapacity > (1 << 30))
        {
            problems.add("logIndexCapacity (" + logIndexCapacity + ") must be between 16 and 2^30 entries");
        }
        if (nodeId >= 0 && members.stream().noneMatch(m -> m.id() == nodeId))
        {
            problems.add("nodeId (" + nodeId + ") is missing from members " + members);
        }
        if (initialLeader != -1 && members.stream().noneMatch(m -> m.id() == initialLeader))
        {
            problems.add("initialLeader (" + initialLeader + ") is not one of members " + members);
        }
        if (heartbeatIntervalNs <= 0)
        {
            problems.add("heartbeatIntervalNs (" + heartbeatIntervalNs + ") must be positive");
        }
        else if (electionTimeoutNs < 3 * heartbeatIntervalNs)
        {
            problems.add("electionTimeoutNs (" + TimeUnit.NANOSECONDS.toMillis(electionTimeoutNs) +
                "ms) must be at least 3 x heartbeatIntervalNs (" + TimeUnit.NANOSECONDS.toMillis(heartbeatIntervalNs) + "ms)");
        }
        if (leaseClockDriftNs != ConsensusAgent.Context.DEFAULT_LEASE_CLOCK_DRIFT &&
            (leaseClockDriftNs < 0 || leaseClockDriftNs >= electionTimeoutNs))
        {
            problems.add("leaseClockDriftNs (" + TimeUnit.NANOSECONDS.toMillis(leaseClockDriftNs) +
                "ms) must be at least 0 and below electionTimeoutNs (" + TimeUnit.NANOSECONDS.toMillis(electionTimeoutNs) +
                "ms)");
        }
        if (snapshotIntervalEntries < 0 || snapshotLogBytes < 0 || snapshotRetain < 1)
        {
            problems.add("snapshotIntervalEntries (" + snapshotIntervalEntries + ") and snapshotLogBytes (" +
                snapshotLogBytes + ") must be >= 0 (0: off) and snapshotRetain (" + snapshotRetain + ") >= 1");
        }
        if (maxClientSessions < 1 || !org.agrona.BitUtil.isPowerOfTwo(clientSessionWindow))
        {
            problems.add("maxClientSessions (" + maxClientSessions + ") must be positive and clientSessionWindow (" +
                clientSessionWindow + ") a power of two");
        }
        if (maxPendingReads < 1 || maxQueryLength < 0 || readTimeoutNs <= 0)
        {
            problems.add("maxPendingReads (" + maxPendingReads + ") must be positive, maxQueryLength (" + maxQueryLength +
                ") at least 0 and readTimeoutNs (" + readTimeoutNs + ") positive");
        }
        if (maxCommandLength <= 0 || maxResultLength < 0)
        {
            problems.add("maxCommandLength (" + maxCommandLength + ") must be positive and maxResultLength (" +
                maxResultLength + ") non-negative");
        }
        if (null == stateMachine)
        {
            problems.add("stateMachine must be set");
        }
        if (null == rpcContext)
        {
            problems.add("rpcContext must not be null");
        }
        if (null == dataDir)
        {
            problems.add("dataDir must be set");
        }
        else
        {
            checkWritable(problems);
        }
        if (!problems.isEmpty())
        {
            throw new IllegalStateException("invalid node configuration: " + String.join("; ", problems));
        }
        isConcluded = true;
        return this;
    }

    private void checkWritable(final List<String> problems)
    {
        try
        {
            Files.createDirectories(dataDir.toPath());
            final File probe = new File(dataDir, ".write-probe");
            Files.write(probe.toPath(), new byte[]{ 1 });
            Files.delete(probe.toPath());
        }
        catch (final IOException | SecurityException ex)
        {
            problems.add("dataDir (" + dataDir + ") is not a writable directory: " + ex);
        }
    }

    /** Voting members followed by clients: everyone the transport accepts. */
    List<MemberAddress> allTransportMembers()
    {
        final List<MemberAddress> all = new ArrayList<>(members);
        all.addAll(clients);
        return all;
    }

    /** This node's id. */
    public int nodeId()
    {
        return nodeId;
    }

    /** @param nodeId this node's id; must appear in {@link #members}. @return this. */
    public NodeContext nodeId(final int nodeId)
    {
        this.nodeId = nodeId;
        return this;
    }

    /** Voting members, this node included. */
    public List<MemberAddress> members()
    {
        return members;
    }

    /** @param idAtHostPortList e.g. {@code 1@10.0.0.1:7001,2@10.0.0.2:7001,3@10.0.0.3:7001}. @return this. */
    public NodeContext members(final String idAtHostPortList)
    {
        return members(MemberAddress.parseList(idAtHostPortList));
    }

    /** @param members voting members, this node included. @return this. */
    public NodeContext members(final List<MemberAddress> members)
    {
        this.members.clear();
        this.members.addAll(members);
        return this;
    }

    /**
     * Client endpoints ({@link OctopiiClient}s, tools) the node accepts connections from. They propose and
     * query but never vote.
     */
    public List<MemberAddress> clients()
    {
        return clients;
    }

    /** @param idAtHostPortList client endpoints as {@code id@host:port,...}; empty for none. @return this. */
    public NodeContext clients(final String idAtHostPortList)
    {
        return clients(idAtHostPortList.isBlank() ? List.of() : MemberAddress.parseList(idAtHostPortList));
    }

    /** @param clients client endpoints. @return this. */
    public NodeContext clients(final List<MemberAddress> clients)
    {
        this.clients.clear();
        this.clients.addAll(clients);
        return this;
    }

    /** The node's data directory: log, term/vote file, snapshots, status file. */
    public File dataDir()
    {
        return dataDir;
    }

    /** @param dataDir created if missing; must be writable. @return this. */
    public NodeContext dataDir(final File dataDir)
    {
        this.dataDir = dataDir;
        return this;
    }

    /** The member that campaigns at once when a brand-new cluster starts, or -1. */
    public int initialLeader()
    {
        return initialLeader;
    }

    /**
     * @param initialLeader a member id that starts an election immediately when its log and term are
     *                      empty (first start only: idempotent across restarts), or -1 to wait for the
     *                      election timeout.
     * @return this.
     */
    public NodeContext initialLeader(final int initialLeader)
    {
        this.initialLeader = initialLeader;
        return this;
    }

    /** Election timeout (randomised between 1x and 2x at run time). */
    public long electionTimeoutNs()
    {
        return electionTimeoutNs;
    }

    /** @param electionTimeoutNs at least 3 x the heartbeat interval. @return this. */
    public NodeContext electionTimeoutNs(final long electionTimeoutNs)
    {
        this.electionTimeoutNs = electionTimeoutNs;
        return this;
    }

    /** Heartbeat interval of an idle leader. */
    public long heartbeatIntervalNs()
    {
        return heartbeatIntervalNs;
    }

    /** @param heartbeatIntervalNs positive. @return this. */
    public NodeContext heartbeatIntervalNs(final long heartbeatIntervalNs)
    {
        this.heartbeatIntervalNs = heartbeatIntervalNs;
        return this;
    }

    /**
     * Clock-drift margin of the leader lease behind {@link QueryPolicy#LEASE} reads: the lease lasts the election
     * timeout minus this. Default: a tenth of the election timeout.
     */
    public long leaseClockDriftNs()
    {
        return leaseClockDriftNs;
    }

    /** @param leaseClockDriftNs at least 0, below the election timeout. @return this. */
    public NodeContext leaseClockDriftNs(final long leaseClockDriftNs)
    {
        this.leaseClockDriftNs = leaseClockDriftNs;
        return this;
    }

    /** How the log reaches the disk. */
    public FsyncPolicy fsyncPolicy()
    {
        return fsyncPolicy;
    }

    /** @param fsyncPolicy DURABLE (default), INTERVAL_MS or NONE. @return this. */
    public NodeContext fsyncPolicy(final FsyncPolicy fsyncPolicy)
    {
        this.fsyncPolicy = fsyncPolicy;
        return this;
    }

    /** WAL segment length in bytes. */
    public int segmentLength()
    {
        return segmentLength;
    }

    /** @param segmentLength a multiple of 4096. @return this. */
    public NodeContext segmentLength(final int segmentLength)
    {
        this.segmentLength = segmentLength;
        return this;
    }

    /** Log entries the in-memory index holds before it grows (it grows by doubling, an allocation). */
    public int logIndexCapacity()
    {
        return logIndexCapacity;
    }

    /**
     * @param logIndexCapacity entries above the last compaction the log's index holds without growing; size it
     *                         for the entries kept between snapshots to keep appends allocation-free. @return this.
     */
    public NodeContext logIndexCapacity(final int logIndexCapacity)
    {
        this.logIndexCapacity = logIndexCapacity;
        return this;
    }

    /** Ingress ring length (a power of two). */
    public int ingressRingLength()
    {
        return ingressRingLength;
    }

    /** @param ingressRingLength a power of two. @return this. */
    public NodeContext ingressRingLength(final int ingressRingLength)
    {
        this.ingressRingLength = ingressRingLength;
        return this;
    }

    /** Egress ring length (a power of two). */
    public int egressRingLength()
    {
        return egressRingLength;
    }

    /** @param egressRingLength a power of two. @return this. */
    public NodeContext egressRingLength(final int egressRingLength)
    {
        this.egressRingLength = egressRingLength;
        return this;
    }

    /** Largest command accepted by {@code propose}. */
    public int maxCommandLength()
    {
        return maxCommandLength;
    }

    /** @param maxCommandLength bytes; must fit the transport's max message with AppendEntries overhead. @return this. */
    public NodeContext maxCommandLength(final int maxCommandLength)
    {
        this.maxCommandLength = maxCommandLength;
        return this;
    }

    /** Largest state-machine answer returned to a proposer or querier. */
    public int maxResultLength()
    {
        return maxResultLength;
    }

    /** @param maxResultLength bytes. @return this. */
    public NodeContext maxResultLength(final int maxResultLength)
    {
        this.maxResultLength = maxResultLength;
        return this;
    }

    /** How the node's agents get their threads. */
    public ThreadingMode threadingMode()
    {
        return threadingMode;
    }

    /** @param threadingMode DEDICATED (default), SHARED or INVOKER. @return this. */
    public NodeContext threadingMode(final ThreadingMode threadingMode)
    {
        this.threadingMode = threadingMode;
        return this;
    }

    /** Creates the idle strategy of each agent thread the node starts. */
    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }

    /** @param idleStrategySupplier one new strategy per thread. @return this. */
    public NodeContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    /** Which transport the node launches (ignored when {@link #transport(Transport)} is given). */
    public TransportKind transportKind()
    {
        return transportKind;
    }

    /** The Aeron transport's settings template (driver mode, idle strategies, term length); null for defaults. */
    public io.octopii.transport.aeron.AeronTransport.Context aeronContext()
    {
        return aeronContext;
    }

    /**
     * @param aeronContext settings for the {@link TransportKind#AERON} transport: media driver embedded (SHARED
     *                     thread by default, DEDICATED, or INVOKER run by the node's own polling thread with
     *                     {@code driverInvokedByPoll}) or external ({@code launchEmbeddedDriver(false)} and its
     *                     directory), idle strategies, term length. Members, ids, cluster id and secret come from
     *                     this context's transport settings and replace whatever the template holds.
     * @return this.
     */
    public NodeContext aeronContext(final io.octopii.transport.aeron.AeronTransport.Context aeronContext)
    {
        this.aeronContext = aeronContext;
        return this;
    }

    /** @param transportKind QUIC (default) or AERON. @return this. */
    public NodeContext transportKind(final TransportKind transportKind)
    {
        this.transportKind = transportKind;
        return this;
    }

    /**
     * Transport settings shared by every transport kind: cluster id, cluster secret, key and trust stores,
     * ring sizes, max message length. The node fills in members and local id from this context.
     */
    public TransportContext transportContext()
    {
        return transportContext;
    }

    /** @param transportContext held by reference. @return this. */
    public NodeContext transportContext(final TransportContext transportContext)
    {
        this.transportContext = transportContext;
        return this;
    }

    /** A transport supplied by the embedder (e.g. a simulated one), or null to launch {@link #transportKind}. */
    public Transport transport()
    {
        return transport;
    }

    /** @param transport owned by the caller, who closes it after the node. @return this. */
    public NodeContext transport(final Transport transport)
    {
        this.transport = transport;
        return this;
    }

    /** FAULT INJECTION (tests only): the drop rules the node's transport obeys, or null (default) for none. */
    public io.octopii.transport.FaultInjectionTransport.Rules faultInjection()
    {
        return faultInjection;
    }

    /**
     * FAULT INJECTION, for testing only: wrap the node's transport in a
     * {@link io.octopii.transport.FaultInjectionTransport} that drops frames to and from the members the rules
     * name, so a harness can partition nodes without network namespaces. Null (the default) adds nothing.
     *
     * @param faultInjection drop rules changed by the harness while the node runs, or null.
     * @return this.
     */
    public NodeContext faultInjection(final io.octopii.transport.FaultInjectionTransport.Rules faultInjection)
    {
        this.faultInjection = faultInjection;
        return this;
    }

    /** The replicated state machine. */
    public StateMachine stateMachine()
    {
        return stateMachine;
    }

    /** @param stateMachine called on the node's consensus thread only. @return this. */
    public NodeContext stateMachine(final StateMachine stateMachine)
    {
        this.stateMachine = stateMachine;
        return this;
    }

    /** Receives the outcome of every proposal made with {@link OctopiiNode#propose(org.agrona.DirectBuffer, int, int)}. */
    public ProposalListener proposalListener()
    {
        return proposalListener;
    }

    /**
     * @param proposalListener called on the node's consensus thread (keep it short, never block); null for
     *                         none.
     * @return this.
     */
    public NodeContext proposalListener(final ProposalListener proposalListener)
    {
        this.proposalListener = proposalListener;
        return this;
    }

    /** What a follower does with a proposal made to it. */
    public ProposalForwarding proposalForwarding()
    {
        return proposalForwarding;
    }

    /** @param proposalForwarding REJECT (default: NOT_LEADER with the leader's id and address) or FORWARD. @return this. */
    public NodeContext proposalForwarding(final ProposalForwarding proposalForwarding)
    {
        this.proposalForwarding = proposalForwarding;
        return this;
    }

    /**
     * Settings of the node's Shipping Lane (bulk transfers over the node's own transport). The node sets
     * the transport; the receive directory defaults to {@code <dataDir>/shipments}.
     */
    public ShippingLane.Context shippingContext()
    {
        return shippingContext;
    }

    /** @param shippingContext held by reference. @return this. */
    public NodeContext shippingContext(final ShippingLane.Context shippingContext)
    {
        this.shippingContext = shippingContext;
        return this;
    }

    /**
     * Settings of the node's RPC endpoint ({@link OctopiiNode#rpc()}): handler worker threads, pending and queued
     * requests, inbound ring. The node sets the transport (its own) and, when none is set, the error handler (its
     * status file's error log); the endpoint concludes them when it starts, at the first {@code rpc()} call.
     */
    public RpcEndpoint.Context rpcContext()
    {
        return rpcContext;
    }

    /** @param rpcContext held by reference; one per node (the node sets its transport). @return this. */
    public NodeContext rpcContext(final RpcEndpoint.Context rpcContext)
    {
        this.rpcContext = rpcContext;
        return this;
    }

    /** @return take a snapshot after this many applied entries since the last one (0, the default: never). */
    public long snapshotIntervalEntries()
    {
        return snapshotIntervalEntries;
    }

    /**
     * @param snapshotIntervalEntries entries between policy snapshots; each is a pause of the consensus thread
     *                                (see docs/OPERATIONS.md); 0 turns this trigger off.
     * @return this.
     */
    public NodeContext snapshotIntervalEntries(final long snapshotIntervalEntries)
    {
        this.snapshotIntervalEntries = snapshotIntervalEntries;
        return this;
    }

    /** @return take a snapshot after this many bytes of entries applied since the last one (0, the default: never). */
    public long snapshotLogBytes()
    {
        return snapshotLogBytes;
    }

    /** @param snapshotLogBytes bytes of log above the last snapshot that trigger one (0: off). @return this. */
    public NodeContext snapshotLogBytes(final long snapshotLogBytes)
    {
        this.snapshotLogBytes = snapshotLogBytes;
        return this;
    }

    /** @return snapshots kept in {@code <dataDir>/snapshots}; the log is compacted below the oldest kept. */
    public int snapshotRetain()
    {
        return snapshotRetain;
    }

    /** @param snapshotRetain snapshots kept (at least 1, default 2). @return this. */
    public NodeContext snapshotRetain(final int snapshotRetain)
    {
        this.snapshotRetain = snapshotRetain;
        return this;
    }

    /** @return the most queries (LINEARIZABLE, LEASE, LOCAL) waiting to be served at once; more are answered BACK_PRESSURED. */
    public int maxPendingReads()
    {
        return maxPendingReads;
    }

    /** @param maxPendingReads the most queries waiting at once (default 1024). @return this. */
    public NodeContext maxPendingReads(final int maxPendingReads)
    {
        this.maxPendingReads = maxPendingReads;
        return this;
    }

    /** @return the most exactly-once client sessions held; a new one replaces the least recently used. */
    public int maxClientSessions()
    {
        return maxClientSessions;
    }

    /**
     * @param maxClientSessions the most exactly-once client sessions ({@link OctopiiClient}s) held (default 256);
     *                          each costs about {@code clientSessionWindow * 76} bytes of heap on every node.
     * @return this.
     */
    public NodeContext maxClientSessions(final int maxClientSessions)
    {
        this.maxClientSessions = maxClientSessions;
        return this;
    }

    /** @return how many proposals an exactly-once client session may have unsettled at once. */
    public int clientSessionWindow()
    {
        return clientSessionWindow;
    }

    /**
     * @param clientSessionWindow how many proposals a client session may have unsettled at once (a power of two,
     *                            default 1024; the same on every node and at least the clients' session windows).
     * @return this.
     */
    public NodeContext clientSessionWindow(final int clientSessionWindow)
    {
        this.clientSessionWindow = clientSessionWindow;
        return this;
    }

    /** @return the longest query accepted; the read arena holds {@code maxPendingReads} of this size. */
    public int maxQueryLength()
    {
        return maxQueryLength;
    }

    /** @param maxQueryLength the longest query accepted, in bytes (default 1024). @return this. */
    public NodeContext maxQueryLength(final int maxQueryLength)
    {
        this.maxQueryLength = maxQueryLength;
        return this;
    }

    /** @return how long a query may wait to be served before it is answered TIMED_OUT. */
    public long readTimeoutNs()
    {
        return readTimeoutNs;
    }

    /** @param readTimeoutNs how long a query may wait to be served (default 5 s). @return this. */
    public NodeContext readTimeoutNs(final long readTimeoutNs)
    {
        this.readTimeoutNs = readTimeoutNs;
        return this;
    }

    /** Every effective value, one per line. */
    @Override
    public String toString()
    {
        return "NodeContext{" +
            "\n  nodeId=" + nodeId +
            "\n  members=" + members +
            "\n  clients=" + clients +
            "\n  dataDir=" + dataDir +
            "\n  initialLeader=" + initialLeader +
            "\n  electionTimeoutNs=" + electionTimeoutNs +
            "\n  heartbeatIntervalNs=" + heartbeatIntervalNs +
            "\n  leaseClockDriftNs=" + (leaseClockDriftNs == ConsensusAgent.Context.DEFAULT_LEASE_CLOCK_DRIFT ?
            electionTimeoutNs / 10 + " (default)" : String.valueOf(leaseClockDriftNs)) +
            "\n  fsyncPolicy=" + fsyncPolicy +
            "\n  segmentLength=" + segmentLength +
            "\n  logIndexCapacity=" + logIndexCapacity +
            "\n  ingressRingLength=" + ingressRingLength +
            "\n  egressRingLength=" + egressRingLength +
            "\n  maxCommandLength=" + maxCommandLength +
            "\n  maxResultLength=" + maxResultLength +
            "\n  threadingMode=" + threadingMode +
            "\n  idleStrategy=" + idleStrategySupplier.get() +
            "\n  transport=" + (null != transport ? transport.getClass().getSimpleName() + " (supplied)" : transportKind) +
            (null != faultInjection ? " WITH FAULT INJECTION (" + faultInjection + ")" : "") +
            "\n  clusterId=" + transportContext.clusterId() +
            "\n  maxMessageLength=" + transportContext.maxMessageLength() +
            "\n  stateMachine=" + (null == stateMachine ? null : stateMachine.getClass().getName()) +
            "\n  proposalForwarding=" + proposalForwarding +
            "\n  snapshotIntervalEntries=" + snapshotIntervalEntries +
            "\n  snapshotLogBytes=" + snapshotLogBytes +
            "\n  snapshotRetain=" + snapshotRetain +
            "\n  maxPendingReads=" + maxPendingReads +
            "\n  maxClientSessions=" + maxClientSessions +
            "\n  clientSessionWindow=" + clientSessionWindow +
            "\n  maxQueryLength=" + maxQueryLength +
            "\n  readTimeoutNs=" + readTimeoutNs +
            "\n  rpc=" + rpcContext +
            "\n}";
    }
}

package io.octopii.engine;

import io.octopii.engine.internal.ClientGateway;
import io.octopii.engine.internal.LaneSnapshotTransport;
import io.octopii.engine.internal.RoutingTransport;
import io.octopii.log.LogFlusher;
import io.octopii.log.MappedFileStorage;
import io.octopii.log.RaftLog;
import io.octopii.log.SnapshotStore;
import io.octopii.log.TermVoteFile;
import io.octopii.rpc.RpcEndpoint;
import io.octopii.rpc.RpcEvent;
import io.octopii.rpc.RpcStatus;
import io.octopii.shipping.ShippingLane;
import io.octopii.transport.FaultInjectionTransport;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import io.octopii.transport.aeron.AeronTransport;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member of an Octopii cluster, embedded in the caller's process: it runs Raft over its transport,
 * keeps its log on disk and applies committed commands to the caller's {@link StateMachine}.
 *
 * <pre>{@code
 * try (OctopiiNode node = OctopiiNode.launch(new NodeContext()
 *     .nodeId(1)
 *     .members("1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003")
 *     .dataDir(new File("data/node-1"))
 *     .stateMachine(new KvStateMachine())))
 * {
 *     byte[] result = node.propose(command).get();
 * }
 * }</pre>
 *
 * <p><b>Threads:</b> in {@link ThreadingMode#DEDICATED} (default) the consensus agent and the log flusher
 * run on their own threads; {@link ThreadingMode#SHARED} runs both on one; {@link ThreadingMode#INVOKER}
 * starts none and the embedder calls {@link #invoker()}{@code .invoke()} from its own loop. The transport
 * runs its own I/O threads, the Shipping Lane one, and the RPC endpoint ({@link #rpc()}) its own once asked
 * for. Every public method here is safe to call from any thread: state accessors read counters the agent
 * publishes each duty cycle.
 *
 * <p><b>Lifecycle:</b> {@link #launch} validates the context, opens (or recovers) the data directory,
 * starts the transport and the agents; {@link #close()} stops them, answers every pending future with
 * {@link ProposalStatus#CLOSED} (and every pending RPC request with {@link RpcStatus#CLOSED}) and closes
 * files and sockets. A node that failed (fail-stop) keeps its {@link #role()} at {@link Role#FAILED} and
 * its reason in {@link #failure()} and the status file.
 *
 * <p><b>Failure:</b> bad configuration fails {@link #launch} with a message naming the setting; a port in
 * use or an unusable data directory likewise. Expected outcomes of proposals are status codes (the
 * allocation-free API) or an {@link OctopiiException} carrying the status (the future API).
 */
public final class OctopiiNode implements AutoCloseable
{
    private static final int MAX_COUNTERS = 256;
    private static final int ERROR_LOG_BYTES = 1024 * 1024;
    /** Directory under the data directory holding the snapshot files. */
    public static final String SNAPSHOT_DIRECTORY = "snapshots";

    private final NodeContext ctx;
    private final StatusFile statusFile;
    private final AtomicCounter errors;
    private final RaftLog log;
    private final TermVoteFile termVoteFile;
    private final MappedFileStorage snapshotStorage;
    private final LogFlusher flusher;
    private final Transport transport;
    private final boolean ownsTransport;
    private final RoutingTransport routing;
    private final ConsensusAgent consensus;
    private final NodeAgent nodeAgent;
    private final ShippingLane shippingLane;
    private final ThreadLocal<ProposalPublisher> publishers;
    private final AtomicLong correlationIds = new AtomicLong();
    private final AgentRunner nodeRunner;
    private final AgentRunner flusherRunner;
    private final AgentInvoker invoker;
    /** Guards starting the RPC endpoint against a concurrent first call and against close. */
    private final Object rpcLock = new Object();
    private volatile RpcEndpoint rpc;
    private volatile boolean isClosed;

    private OctopiiNode(final NodeContext ctx)
    {
        this.ctx = ctx;
        statusFile = new StatusFile(ctx.dataDir(), ctx.nodeId(), MAX_COUNTERS, ERROR_LOG_BYTES, SystemEpochClock.INSTANCE);
        errors = statusFile.countersManager().newCounter("errors");
        final ErrorHandler errorHandler = this::onError;

        RaftLog openedLog = null;
        TermVoteFile openedTermVote = null;
        MappedFileStorage openedSnapshots = null;
        Transport launchedTransport = null;
        try
        {
            final RaftLog.Context logCtx = new RaftLog.Context()
                .directory(new File(ctx.dataDir(), "log"))
                .fsyncPolicy(ctx.fsyncPolicy())
                .segmentLength(ctx.segmentLength())
                .indexCapacity(ctx.logIndexCapacity())
                .eventHandler(message -> System.err.println("octopii node " + ctx.nodeId() + ": " + message));
            openedLog = RaftLog.open(logCtx);
            openedTermVote = TermVoteFile.open(logCtx.storage());
            openedSnapshots = new MappedFileStorage(new File(ctx.dataDir(), SNAPSHOT_DIRECTORY));
            launchedTransport = null != ctx.transport() ? ctx.transport() : launchTransport(ctx, errorHandler);
            if (null != ctx.faultInjection())
            {
                launchedTransport = new FaultInjectionTransport(launchedTransport, ctx.faultInjection());
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(launchedTransport, openedSnapshots, openedTermVote, openedLog, statusFile);
            throw ex;
        }
        log = openedLog;
        termVoteFile = openedTermVote;
        snapshotStorage = openedSnapshots;
        transport = launchedTransport;
        ownsTransport = null == ctx.transport();

        final int[] voterIds = ctx.members().stream().mapToInt(MemberAddress::id).toArray();
        routing = new RoutingTransport(transport, voterIds);
        final SnapshotStore snapshotStore = new SnapshotStore(
            snapshotStorage, message -> System.err.println("octopii node " + ctx.nodeId() + ": " + message));
        final LaneSnapshotTransport snapshotTransport =
            new LaneSnapshotTransport(snapshotStorage.directory().toPath(), ctx.nodeId());
        consensus = new ConsensusAgent(new ConsensusAgent.Context()
            .memberId(ctx.nodeId())
            .memberIds(voterIds)
            .initialConfiguration(initialConfiguration(ctx.members()))
            .log(log)
            .termVoteFile(termVoteFile)
            .transport(routing)
            .stateMachine(ctx.stateMachine())
            .errorHandler(errorHandler)
            .threadingMode(ctx.threadingMode())
            .electionTimeoutNs(ctx.electionTimeoutNs())
            .heartbeatIntervalNs(ctx.heartbeatIntervalNs())
            .leaseClockDriftNs(ctx.leaseClockDriftNs())
            .maxCommandLength(ctx.maxCommandLength())
            .maxResultLength(ctx.maxResultLength())
            .maxPendingReads(ctx.maxPendingReads())
            .maxClientSessions(ctx.maxClientSessions())
            .clientSessionWindow(ctx.clientSessionWindow())
            .maxQueryLength(ctx.maxQueryLength())
            .readTimeoutNs(ctx.readTimeoutNs())
            .maxMessageLength(transport.maxMessageLength())
            .ingressRingLength(ctx.ingressRingLength())
            .egressRingLength(ctx.egressRingLength())
            .snapshotStore(snapshotStore)
            .snapshotTransport(snapshotTransport)
            .snapshotIntervalEntries(ctx.snapshotIntervalEntries())
            .snapshotLogBytes(ctx.snapshotLogBytes())
            .snapshotRetain(ctx.snapshotRetain()));

        final ClientGateway gateway = new ClientGateway(
            routing, consensus, consensus.newProposalPublisher(), ctx.members(), 4096,
            ctx.maxCommandLength(), ctx.maxResultLength());
        routing.clientHandler(gateway);
        final ShippingLane.Context shippingCtx = ctx.shippingContext().transport(routing).pollTransport(false);
        if (null == shippingCtx.receiveDirectory())
        {
            shippingCtx.receiveDirectory(new File(ctx.dataDir(), "shipments").toPath());
        }
        if (null == shippingCtx.errorHandler())
        {
            shippingCtx.errorHandler(errorHandler);
        }
        shippingLane = ShippingLane.launch(shippingCtx);
        snapshotTransport.lane(shippingLane);
        routing.shippingHandler((from, channel, buffer, offset, length) -> shippingLane.onMessage(from, buffer, offset, length));
        nodeAgent = new NodeAgent(ctx, consensus, log, gateway, statusFile, SystemEpochClock.INSTANCE, routing);
        publishers = ThreadLocal.withInitial(consensus::newProposalPublisher);
        if (ctx.initialLeader() == ctx.nodeId() && 0 == log.lastIndex() && 0 == termVoteFile.currentTerm())
        {
            nodeAgent.startInitialLeaderCampaign(); // a brand-new cluster: no need to wait out an election timeout
        }
        flusher = new LogFlusher(log);

        switch (ctx.threadingMode())
        {
            case DEDICATED:
            {
                final WakingAgent appender = new WakingAgent(nodeAgent, log::lastIndex);
                final WakingAgent forcer = new WakingAgent(flusher, log::durableIndex);
                nodeRunner = new AgentRunner(ctx.idleStrategySupplier().get(), errorHandler, errors, appender);
                flusherRunner = new AgentRunner(ctx.idleStrategySupplier().get(), errorHandler, errors, forcer);
                invoker = null;
                final Thread flusherThread = AgentRunner.startOnThread(flusherRunner);
                final Thread nodeThread = AgentRunner.startOnThread(nodeRunner);
                appender.partner(flusherThread);
                forcer.partner(nodeThread);
                break;
            }
            case SHARED:
                nodeRunner = new AgentRunner(
                    ctx.idleStrategySupplier().get(), errorHandler, errors, new CompositeAgent(flusher, nodeAgent));
                flusherRunner = null;
                invoker = null;
                AgentRunner.startOnThread(nodeRunner);
                break;
            default:
                nodeRunner = null;
                flusherRunner = null;
                invoker = new AgentInvoker(errorHandler, errors, new CompositeAgent(flusher, nodeAgent));
                invoker.start();
                break;
        }
    }

    /**
     * Validate the context, open or recover the data directory, start the transport and the agents.
     *
     * @param ctx the node's configuration; concluded here.
     * @return the running node.
     * @throws IllegalStateException for invalid configuration, a port in use, or damaged state that needs
     *                               repair, with a message naming the problem.
     */
    public static OctopiiNode launch(final NodeContext ctx)
    {
        ctx.conclude();
        System.out.println("octopii node " + ctx.nodeId() + " starting with " + ctx);
        return new OctopiiNode(ctx);
    }

    private static ClusterConfiguration initialConfiguration(final List<MemberAddress> members)
    {
        final int[] ids = new int[members.size()];
        final boolean[] voters = new boolean[ids.length];
        final String[] addresses = new String[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = members.get(i).id();
            voters[i] = true;
            addresses[i] = members.get(i).host() + ":" + members.get(i).port();
        }
        return new ClusterConfiguration(ids, voters, addresses);
    }

    private static Transport launchTransport(final NodeContext ctx, final ErrorHandler errorHandler)
    {
        final TransportContext transportCtx = ctx.transportContext()
            .members(ctx.allTransportMembers())
            .localMemberId(ctx.nodeId());
        if (null == transportCtx.errorHandler())
        {
            transportCtx.errorHandler(errorHandler);
        }
        final MemberAddress self = transportCtx.members().stream()
            .filter(m -> m.id() == ctx.nodeId()).findFirst().orElseThrow();
        try
        {
            switch (ctx.transportKind())
            {
                case AERON:
                    return AeronTransport.launch((null != ctx.aeronContext() ? ctx.aeronContext() : new AeronTransport.Context())
                        .transportContext(transportCtx));
                case QUIC:
                default:
                    return QuicTransport.launch(transportCtx);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start the " + ctx.transportKind() + " transport on " +
                self.host() + ":" + self.port() + " (port in use?): " + ex.getMessage(), ex);
        }
    }

    /**
     * Propose a command without allocating. The outcome goes to the context's {@link ProposalListener}
     * on the node's consensus thread.
     *
     * @return the correlation id (positive) that the outcome will carry, or a negated {@link ProposalStatus}
     * when the command was refused at once (nothing was appended).
     */
    public long propose(final DirectBuffer buffer, final int offset, final int length)
    {
        if (isClosed)
        {
            return -ProposalStatus.CLOSED;
        }
        final long correlationId = correlationIds.incrementAndGet();
        final int status = publishers.get().offer(correlationId, buffer, offset, length);
        return ProposalStatus.OK == status ? correlationId : -status;
    }

    /**
     * Propose a command. The future completes with the state machine's answer once the command is
     * committed and applied, or exceptionally with an {@link OctopiiException} whose status says what to do
     * (NOT_LEADER carries the leader's id and address unless {@link ProposalForwarding#FORWARD} is set).
     */
    public CompletableFuture<byte[]> propose(final byte[] command)
    {
        final NodeAgent.PendingProposal pending = new NodeAgent.PendingProposal(command);
        if (isClosed)
        {
            pending.future.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "node closed"));
            return pending.future;
        }
        final long correlationId = correlationIds.incrementAndGet();
        nodeAgent.register(correlationId, pending);
        final int status = publishers.get().offer(correlationId, new UnsafeBuffer(command), 0, command.length);
        if (ProposalStatus.OK != status)
        {
            nodeAgent.unregister(correlationId);
            pending.future.completeExceptionally(
                new OctopiiException(status, leaderId(), null, "proposal " + ProposalStatus.name(status)));
        }
        return pending.future;
    }

    /**
     * Query the state machine ({@link Queryable}) under a policy, on this node: LINEARIZABLE on a follower asks
     * the leader for a read index, so any node serves it. See {@link QueryPolicy}.
     */
    public CompletableFuture<byte[]> query(final byte[] query, final QueryPolicy policy)
    {
        return query(query, policy, 0);
    }

    /**
     * Query the state machine once this node has applied at least {@code minAppliedIndex} (e.g. the index of
     * the caller's last write, for read-your-writes on a LOCAL read), or fail with
     * {@link OctopiiException#TIMED_OUT} when it cannot be served within the read timeout (5 s).
     */
    public CompletableFuture<byte[]> query(final byte[] query, final QueryPolicy policy, final long minAppliedIndex)
    {
        final NodeAgent.PendingQuery pending = new NodeAgent.PendingQuery(policy);
        if (isClosed)
        {
            pending.future.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "node closed"));
            return pending.future;
        }
        final long correlationId = correlationIds.incrementAndGet();
        nodeAgent.register(correlationId, pending);
        final int status = publishers.get().offerQuery(
            correlationId, policy, minAppliedIndex, new UnsafeBuffer(query), 0, query.length);
        if (ProposalStatus.OK != status)
        {
            nodeAgent.unregisterQuery(correlationId);
            pending.future.completeExceptionally(
                new OctopiiException(status, leaderId(), null, "query " + ProposalStatus.name(status)));
        }
        return pending.future;
    }

    /**
     * Hand leadership to another voting member. This node, which must lead, refuses proposals meanwhile
     * (status {@link ProposalStatus#LEADERSHIP_TRANSFER}), brings the target up to date and tells it to campaign
     * at once. The future completes when the target leads, or exceptionally with an {@link OctopiiException}:
     * NOT_LEADER (this node does not lead), LEADERSHIP_TRANSFER (one is running already), FAILED (not a voting
     * member) or TIMED_OUT (no leader change within an election timeout: this node still leads and accepts
     * proposals again). Any thread.
     */
    public CompletableFuture<Void> transferLeadership(final int targetId)
    {
        final NodeAgent.PendingTransfer pending = new NodeAgent.PendingTransfer(targetId);
        if (isClosed)
        {
            pending.future.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "node closed"));
        }
        else
        {
            nodeAgent.requestTransfer(pending);
        }
        return pending.future;
    }

    /**
     * Ask this node to campaign now instead of waiting for its election timeout. It runs a pre-vote round
     * on the consensus thread; voters that still hear from a live leader refuse, so a healthy leader is
     * not disrupted (use leadership transfer for that). Any thread.
     */
    public void campaign()
    {
        nodeAgent.requestCampaign();
    }

    /** True when this node leads the current term. */
    public boolean isLeader()
    {
        return Role.LEADER == role();
    }

    /** This node's id. */
    public int nodeId()
    {
        return ctx.nodeId();
    }

    /** The leader as this node knows it, or -1. */
    public int leaderId()
    {
        return (int)nodeAgent.leaderIdCounter().get();
    }

    /** The leader's {@code host:port}, or null when unknown. */
    public String leaderAddress()
    {
        final int leader = leaderId();
        return ctx.members().stream().filter(m -> m.id() == leader).map(m -> m.host() + ":" + m.port())
            .findFirst().orElse(null);
    }

    /** A {@link Role} constant. */
    public int role()
    {
        return (int)nodeAgent.roleCounter().get();
    }

    /** The current term. */
    public long term()
    {
        return nodeAgent.termCounter().get();
    }

    /** The highest index known committed. */
    public long commitIndex()
    {
        return nodeAgent.commitIndexCounter().get();
    }

    /**
     * Take a snapshot now (see {@link ConsensusAgent#takeSnapshot()}): the consensus thread pauses while the
     * state machine writes it and the file is forced, then the log is compacted below the oldest kept
     * snapshot. Any thread.
     *
     * @return completes with the snapshot's index, or exceptionally if snapshots failed (the error log says why).
     */
    public CompletableFuture<Long> takeSnapshot()
    {
        final CompletableFuture<Long> result = new CompletableFuture<>();
        if (isClosed)
        {
            result.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "node closed"));
        }
        else
        {
            nodeAgent.requestSnapshot(result);
        }
        return result;
    }

    /** The highest index applied to the state machine. */
    public long appliedIndex()
    {
        return nodeAgent.appliedIndexCounter().get();
    }

    /** Why the node failed, or null. */
    public Throwable failure()
    {
        return consensus.failure();
    }

    /** The members this node was started with (see {@link #membership()} for the configuration in effect). */
    public List<MemberAddress> members()
    {
        return ctx.members();
    }

    /**
     * The configuration in effect on this node: voters and learners with their addresses, as the newest
     * configuration entry in its log says (the started members until a change). Any thread.
     */
    public ClusterConfiguration membership()
    {
        return consensus.membership();
    }

    /** For {@link ThreadingMode#INVOKER}: call {@code invoke()} from your duty cycle. Null in other modes. */
    public AgentInvoker invoker()
    {
        return invoker;
    }

    /**
     * The transport the node runs on, for diagnostics. For RPC use {@link #rpc()}: an {@link RpcEndpoint} launched
     * on this transport by hand competes with the node for RPC messages (QUIC diverts them to one endpoint) and, on
     * a transport that does not divert (Aeron), never receives any.
     */
    public Transport transport()
    {
        return transport;
    }

    /**
     * The node's RPC endpoint: named handlers ({@link RpcEndpoint#registerHandler}, many per node, at any time) and
     * requests and one-way messages to other members or declared clients, over the node's own transport beside
     * consensus, remote clients and the Shipping Lane. Handler ids are the application's; the endpoint's
     * configuration is {@link NodeContext#rpcContext()}.
     *
     * <p>The first call starts the endpoint (its agent thread {@code octopii-rpc-<id>}; handler workers start as
     * requests arrive), so a node that never uses RPC runs no extra thread; later calls return the same endpoint.
     * Until then the node drops RPC messages sent to it, counting them in its status file, and their callers time
     * out: members that serve each other call {@code rpc()} when they start.
     *
     * <p>A transport that supports {@link Transport#divertRpc} (QUIC) hands RPC messages to the endpoint on its I/O
     * threads; with one that does not (Aeron) they arrive through the node's poll and the consensus thread copies
     * each into the endpoint's inbound ring, without allocating or waiting (a full ring drops and counts
     * {@link RpcEvent#INBOUND_DROPPED}). Client proposals and Raft traffic are routed as before.
     *
     * <p><b>Thread:</b> any. <b>Lifecycle:</b> closed by {@link #close()}, first, so pending requests fail with
     * {@link RpcStatus#CLOSED}; do not close it yourself (it would not be started again).
     *
     * @return the endpoint, the same one on every call.
     * @throws IllegalStateException when the node was closed before the endpoint started, or when
     *                               {@link NodeContext#rpcContext()} is invalid (the message names the setting).
     */
    public RpcEndpoint rpc()
    {
        final RpcEndpoint started = rpc;
        if (null != started)
        {
            return started;
        }
        synchronized (rpcLock)
        {
            if (null == rpc)
            {
                if (isClosed)
                {
                    throw new IllegalStateException("node " + ctx.nodeId() + " is closed: it has no RPC endpoint");
                }
                final RpcEndpoint.Context rpcCtx = ctx.rpcContext().transport(transport);
                if (null == rpcCtx.errorHandler())
                {
                    rpcCtx.errorHandler(this::onError);
                }
                final RpcEndpoint endpoint = RpcEndpoint.launch(rpcCtx);
                routing.rpcHandler(endpoint::onMessage); // for a transport that does not divert, or did not yet
                rpc = endpoint;
            }
            return rpc;
        }
    }

    /**
     * The node's Shipping Lane: send and receive large files and buffers over the node's own transport,
     * on its own thread, beside consensus and RPC.
     */
    public ShippingLane shippingLane()
    {
        return shippingLane;
    }

    /** The node's configuration. */
    public NodeContext context()
    {
        return ctx;
    }

    /** Stop agents, answer pending futures with CLOSED, close transport and files. Idempotent. */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        synchronized (rpcLock)
        {
            // first: its callers learn CLOSED at once, and its threads stop before the transport they send on
            CloseHelper.quietClose(rpc);
        }
        if (null != nodeRunner)
        {
            CloseHelper.quietClose(nodeRunner);
            CloseHelper.quietClose(flusherRunner);
        }
        else if (null != invoker)
        {
            CloseHelper.quietClose(invoker);
        }
        CloseHelper.quietClose(shippingLane);
        if (ownsTransport)
        {
            CloseHelper.quietClose(transport);
        }
        CloseHelper.quietCloseAll(termVoteFile, log, snapshotStorage, statusFile);
    }

    private void onError(final Throwable ex)
    {
        errors.increment();
        try
        {
            statusFile.errorLog().record(ex);
        }
        catch (final RuntimeException ignore)
        {
            // the error log is full; the counter still moved
        }
        System.err.println("octopii node " + ctx.nodeId() + " error: " + ex);
    }

}

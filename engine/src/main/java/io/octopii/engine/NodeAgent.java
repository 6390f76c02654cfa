package io.octopii.engine;

import io.octopii.engine.internal.ClientGateway;
import io.octopii.engine.internal.RoutingTransport;
import io.octopii.log.RaftLog;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A node's duty cycle: the {@link ConsensusAgent}, then the outcomes it produced (to local listeners and
 * futures, or back to remote proposers through the {@link ClientGateway}), query outcomes likewise, a
 * leadership transfer's progress, then the counters an operator reads with {@code octopii status}.
 *
 * <p><b>Thread:</b> one, the node's consensus thread (or the embedder's, in INVOKER mode).
 * <b>Allocation:</b> none on the allocation-free paths (proposals offered with a buffer, remote clients);
 * the future-based conveniences allocate their futures and copies.
 */
final class NodeAgent implements Agent, ProposalListener, QueryListener, ClientGateway.ForwardListener
{
    /** A local proposal made through the future API. */
    static final class PendingProposal
    {
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        final byte[] command;
        boolean forwarded;

        PendingProposal(final byte[] command)
        {
            this.command = command;
        }
    }

    /** A local query made through the future API. */
    static final class PendingQuery
    {
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        final QueryPolicy policy;

        PendingQuery(final QueryPolicy policy)
        {
            this.policy = policy;
        }
    }

    /** A leadership transfer requested through the future API. */
    static final class PendingTransfer
    {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final int targetId;
        boolean isStarted;
        long deadlineNs;

        PendingTransfer(final int targetId)
        {
            this.targetId = targetId;
        }
    }

    private final NodeContext ctx;
    private final ConsensusAgent consensus;
    private final RaftLog log;
    private final ProposalResultAdapter resultAdapter;
    private final ClientGateway gateway;
    private final EpochClock epochClock;
    private final StatusFile statusFile;
    private final Map<Long, PendingProposal> pendingProposals = new ConcurrentHashMap<>();
    private final Map<Long, PendingQuery> pendingQueries = new ConcurrentHashMap<>();
    private final Queue<PendingTransfer> requestedTransfers = new ConcurrentLinkedQueue<>();
    private PendingTransfer transfer;
    private final java.util.concurrent.atomic.AtomicBoolean campaignRequested = new java.util.concurrent.atomic.AtomicBoolean();

    private final AtomicCounter role;
    private final AtomicCounter term;
    private final AtomicCounter leaderId;
    private final AtomicCounter commitIndex;
    private final AtomicCounter appliedIndex;
    private final AtomicCounter durableIndex;
    private final AtomicCounter elections;
    private final AtomicCounter proposalsRejected;
    private final AtomicCounter rejectedMessages;
    private final AtomicCounter remoteProposals;
    private final AtomicCounter droppedAnswers;
    private final AtomicCounter heldAnswers;
    private final AtomicCounter droppedRpcMessages;
    private final RoutingTransport routing;
    private final Transport transport;
    private final AtomicCounter[] peerMatchIndex;
    private final AtomicCounter[] peerNextIndex;
    private final AtomicCounter[] peerInFlight;
    private final AtomicCounter[] peerBytesSent;
    private final AtomicCounter[] peerResponseAgeMs;
    private final AtomicCounter[] transportCounters;
    private final AtomicCounter snapshotsTaken;
    private final AtomicCounter snapshotBytes;
    private final AtomicCounter lastSnapshotIndex;
    private final AtomicCounter lastSnapshotPauseUs;
    private final AtomicCounter maxSnapshotPauseUs;
    private final AtomicCounter snapshotInstallsSent;
    private final AtomicCounter snapshotInstallsReceived;
    private final AtomicCounter repairing;
    private final AtomicCounter storageFull;
    private final AtomicCounter storageFullCount;
    private final AtomicCounter storageFullHandOffs;
    private boolean wasRepairing;
    private final Queue<CompletableFuture<Long>> snapshotRequests = new ConcurrentLinkedQueue<>();
    private long lastLivenessMs;
    private boolean isInitialLeaderCampaign;
    private long lastInitialCampaignNs = System.nanoTime() - INITIAL_CAMPAIGN_INTERVAL_NS;
    private static final long INITIAL_CAMPAIGN_INTERVAL_NS = 100_000_000L;

    NodeAgent(
        final NodeContext ctx,
        final ConsensusAgent consensus,
        final RaftLog log,
        final ClientGateway gateway,
        final StatusFile statusFile,
        final EpochClock epochClock,
        final RoutingTransport routing)
    {
        this.ctx = ctx;
        this.routing = routing;
        this.transport = routing.delegate();
        this.consensus = consensus;
        this.log = log;
        this.resultAdapter = consensus.proposalResultAdapter();
        this.gateway = gateway;
        this.statusFile = statusFile;
        this.epochClock = epochClock;
        gateway.forwardListener(this);

        final CountersManager counters = statusFile.countersManager();
        role = counters.newCounter("role (0 follower, 1 pre-candidate, 2 candidate, 3 leader, 4 failed)");
        term = counters.newCounter("term");
        leaderId = counters.newCounter("leader id");
        commitIndex = counters.newCounter("commit index");
        appliedIndex = counters.newCounter("applied index");
        durableIndex = counters.newCounter("durable index");
        elections = counters.newCounter("elections started");
        proposalsRejected = counters.newCounter("proposals rejected (back pressure, not leader)");
        rejectedMessages = counters.newCounter("consensus messages rejected");
        remoteProposals = counters.newCounter("client proposals received");
        droppedAnswers = counters.newCounter("client answers dropped (transport full or down)");
        heldAnswers = counters.newCounter("client answer bytes held back (transport back pressure)");
        droppedRpcMessages = counters.newCounter("rpc messages dropped (no RPC endpoint yet: node.rpc() not called)");
        snapshotsTaken = counters.newCounter("snapshots taken");
        snapshotBytes = counters.newCounter("snapshot bytes written");
        lastSnapshotIndex = counters.newCounter("last snapshot index");
        lastSnapshotPauseUs = counters.newCounter("last snapshot pause (us)");
        maxSnapshotPauseUs = counters.newCounter("max snapshot pause (us)");
        snapshotInstallsSent = counters.newCounter("snapshot installs sent");
        snapshotInstallsReceived = counters.newCounter("snapshot installs received");
        repairing = counters.newCounter("log repair in progress (1: wiped log not yet caught up, not voting)");
        storageFull = counters.newCounter("log storage full (1: no space for a new segment, appends refused)");
        storageFullCount = counters.newCounter("log storage full events");
        storageFullHandOffs = counters.newCounter("leadership hand-offs on storage full");
        leaderId.setOrdered(-1);

        final int peers = consensus.peerCount();
        peerMatchIndex = new AtomicCounter[peers];
        peerNextIndex = new AtomicCounter[peers];
        peerInFlight = new AtomicCounter[peers];
        peerBytesSent = new AtomicCounter[peers];
        peerResponseAgeMs = new AtomicCounter[peers];
        for (int i = 0; i < peers; i++)
        {
            final String peer = "peer " + consensus.peerId(i) + " ";
            peerMatchIndex[i] = counters.newCounter(peer + "match index (durable, while leading)");
            peerNextIndex[i] = counters.newCounter(peer + "next index");
            peerInFlight[i] = counters.newCounter(peer + "appends in flight");
            peerBytesSent[i] = counters.newCounter(peer + "append bytes sent");
            peerResponseAgeMs[i] = counters.newCounter(peer + "ms since last response (while leading)");
        }
        transportCounters = new AtomicCounter[transport.counterCount()];
        for (int i = 0; i < transportCounters.length; i++)
        {
            transportCounters[i] = counters.newCounter("transport " + transport.counterName(i));
        }
    }

    public String roleName()
    {
        return "octopii-node-" + ctx.nodeId();
    }

    public int doWork()
    {
        int work = 0;
        if (campaignRequested.compareAndSet(true, false))
        {
            work += consensus.campaign();
        }
        if (isInitialLeaderCampaign)
        {
            work += retryInitialCampaign();
        }
        work += consensus.doWork();
        work += takeRequestedSnapshot();
        work += gateway.retryHeldAnswers();
        // before any future completes: a caller whose proposal (or transfer) completed reads counters that
        // include it (commit and applied index at least its entry's)
        updateCounters();
        work += resultAdapter.poll(this, this, 256);
        work += transferProgress();
        return work;
    }

    public void onClose()
    {
        consensus.onClose();
        resultAdapter.poll(this, Integer.MAX_VALUE);
        failAll(ProposalStatus.CLOSED, "node closed");
        CompletableFuture<Long> request;
        while (null != (request = snapshotRequests.poll()))
        {
            request.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "node closed"));
        }
        updateCounters();
    }

    void register(final long correlationId, final PendingProposal pending)
    {
        pendingProposals.put(correlationId, pending);
    }

    PendingProposal unregister(final long correlationId)
    {
        return pendingProposals.remove(correlationId);
    }

    void requestCampaign()
    {
        campaignRequested.set(true);
    }

    /**
     * As the initial leader of a brand-new cluster, campaign now and again every 100 ms until a term has
     * started or a leader is known: the first rounds may go out before the links are up.
     */
    void requestSnapshot(final CompletableFuture<Long> result)
    {
        snapshotRequests.add(result);
    }

    private int takeRequestedSnapshot()
    {
        if (snapshotRequests.isEmpty())
        {
            return 0;
        }
        final long index = consensus.takeSnapshot(); // one snapshot answers every request queued before it
        updateCounters(); // a caller told of the snapshot finds it in the counters
        CompletableFuture<Long> request;
        while (null != (request = snapshotRequests.poll()))
        {
            if (index > 0)
            {
                request.complete(index);
            }
            else
            {
                request.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, index == -1 ?
                    "no snapshot store" : index == 0 ? "nothing applied yet" : "snapshot failed (see the error log)"));
            }
        }
        return 1;
    }

    void startInitialLeaderCampaign()
    {
        isInitialLeaderCampaign = true;
    }

    private int retryInitialCampaign()
    {
        if (consensus.term() > 0 || consensus.leaderId() >= 0)
        {
            isInitialLeaderCampaign = false;
            return 0;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - lastInitialCampaignNs < INITIAL_CAMPAIGN_INTERVAL_NS)
        {
            return 0;
        }
        lastInitialCampaignNs = nowNs;
        return consensus.campaign();
    }

    void register(final long correlationId, final PendingQuery query)
    {
        pendingQueries.put(correlationId, query);
    }

    PendingQuery unregisterQuery(final long correlationId)
    {
        return pendingQueries.remove(correlationId);
    }

    void requestTransfer(final PendingTransfer request)
    {
        requestedTransfers.add(request);
    }

    /** Read by other threads through the counters, so role(), term() etc. are safe anywhere. */
    AtomicCounter roleCounter()
    {
        return role;
    }

    AtomicCounter termCounter()
    {
        return term;
    }

    AtomicCounter leaderIdCounter()
    {
        return leaderId;
    }

    AtomicCounter commitIndexCounter()
    {
        return commitIndex;
    }

    AtomicCounter appliedIndexCounter()
    {
        return appliedIndex;
    }

    public void onProposalResult(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
        final DirectBuffer buffer, final int offset, final int length)
    {
        if (0 != (correlationId & ClientGateway.GATEWAY_TAG))
        {
            gateway.onProposalResult(correlationId, status, logIndex, term, leaderId, buffer, offset, length);
            return;
        }
        // futures register before they offer, so an empty table means a listener's proposal: no boxed look-up
        final PendingProposal pending = pendingProposals.isEmpty() ? null : pendingProposals.get(correlationId);
        if (null != pending && ProposalStatus.NOT_LEADER == status && ProposalForwarding.FORWARD == ctx.proposalForwarding() &&
            leaderId >= 0 && leaderId != ctx.nodeId() && !pending.forwarded)
        {
            pending.forwarded = true;
            if (gateway.forward(leaderId, correlationId, new org.agrona.concurrent.UnsafeBuffer(pending.command), 0,
                pending.command.length))
            {
                return;
            }
        }
        complete(correlationId, status, logIndex, term, leaderId, buffer, offset, length);
    }

    public void onForwardedResult(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
        final DirectBuffer result, final int offset, final int length)
    {
        complete(correlationId, status, logIndex, term, leaderId, result, offset, length);
    }

    private void complete(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
        final DirectBuffer buffer, final int offset, final int length)
    {
        final PendingProposal pending = pendingProposals.isEmpty() ? null : pendingProposals.remove(correlationId);
        if (null != pending)
        {
            if (ProposalStatus.OK == status)
            {
                final byte[] result = new byte[length];
                buffer.getBytes(offset, result);
                pending.future.complete(result);
            }
            else
            {
                final byte[] address = gateway.addressOf(leaderId);
                pending.future.completeExceptionally(new OctopiiException(
                    status, leaderId, null == address ? null : new String(address, java.nio.charset.StandardCharsets.UTF_8),
                    "proposal " + ProposalStatus.name(status) + (leaderId >= 0 ? " (leader is " + leaderId + ")" : "")));
            }
        }
        else if (null != ctx.proposalListener())
        {
            ctx.proposalListener().onProposalResult(correlationId, status, logIndex, term, leaderId, buffer, offset, length);
        }
    }

    public void onQueryResult(
        final long correlationId, final int status, final long appliedIndex, final int leaderId,
        final DirectBuffer buffer, final int offset, final int length)
    {
        if (0 != (correlationId & ClientGateway.GATEWAY_TAG))
        {
            gateway.onQueryResult(correlationId, status, appliedIndex, buffer, offset, length);
            return;
        }
        final PendingQuery pending = pendingQueries.remove(correlationId);
        if (null == pending)
        {
            return;
        }
        if (ProposalStatus.OK == status)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            pending.future.complete(bytes);
        }
        else
        {
            final byte[] address = gateway.addressOf(leaderId);
            pending.future.completeExceptionally(new OctopiiException(status, leaderId,
                null == address ? null : new String(address, java.nio.charset.StandardCharsets.UTF_8),
                pending.policy + " query " + OctopiiException.statusName(status) + " at node " + ctx.nodeId() +
                (OctopiiException.TIMED_OUT == status ? " (no leader confirmed it in time)" : "")));
        }
    }

    /** Start a requested leadership transfer; complete the running one when the target leads or time runs out. */
    private int transferProgress()
    {
        if (null == transfer)
        {
            transfer = requestedTransfers.poll();
            if (null == transfer)
            {
                return 0;
            }
        }
        final PendingTransfer t = transfer;
        if (!t.isStarted)
        {
            final int status = consensus.transferLeadership(t.targetId);
            if (ProposalStatus.OK != status)
            {
                transfer = null;
                t.future.completeExceptionally(new OctopiiException(status, consensus.leaderId(), null,
                    "leadership transfer to " + t.targetId + " refused: " + OctopiiException.statusName(status) +
                    (OctopiiException.FAILED == status ? " (not a voting member)" : "")));
                return 1;
            }
            t.isStarted = true;
            // the agent gives up after one election timeout; allow the target's election to finish after that
            t.deadlineNs = System.nanoTime() + 3 * ctx.electionTimeoutNs();
            return 1;
        }
        if (consensus.leaderId() == t.targetId)
        {
            transfer = null;
            t.future.complete(null);
            return 1;
        }
        final boolean isAbandoned = consensus.role() == Role.LEADER && consensus.transferTargetId() < 0;
        if (isAbandoned || System.nanoTime() - t.deadlineNs >= 0)
        {
            transfer = null;
            t.future.completeExceptionally(new OctopiiException(OctopiiException.TIMED_OUT, consensus.leaderId(), null,
                "leadership transfer to " + t.targetId + " TIMED_OUT: no leader change within an election timeout" +
                (isAbandoned ? "; node " + ctx.nodeId() + " still leads and accepts proposals again" : "")));
            return 1;
        }
        return 0;
    }

    private void failAll(final int status, final String why)
    {
        for (final Map.Entry<Long, PendingProposal> entry : pendingProposals.entrySet())
        {
            entry.getValue().future.completeExceptionally(new OctopiiException(status, -1, null, why));
        }
        pendingProposals.clear();
        for (final PendingQuery query : pendingQueries.values())
        {
            query.future.completeExceptionally(new OctopiiException(status, -1, null, why));
        }
        pendingQueries.clear();
        PendingTransfer t;
        while (null != (t = requestedTransfers.poll()))
        {
            t.future.completeExceptionally(new OctopiiException(status, -1, null, why));
        }
        if (null != transfer)
        {
            transfer.future.completeExceptionally(new OctopiiException(status, -1, null, why));
            transfer = null;
        }
    }

    private void updateCounters()
    {
        role.setOrdered(consensus.role());
        term.setOrdered(consensus.term());
        leaderId.setOrdered(consensus.leaderId());
        commitIndex.setOrdered(consensus.commitIndex());
        appliedIndex.setOrdered(consensus.appliedIndex());
        durableIndex.setOrdered(log.durableIndex());
        elections.setOrdered(consensus.electionCount());
        proposalsRejected.setOrdered(consensus.proposalsRejected());
        rejectedMessages.setOrdered(consensus.rejectedMessages());
        remoteProposals.setOrdered(gateway.remoteProposals());
        droppedAnswers.setOrdered(gateway.droppedAnswers());
        heldAnswers.setOrdered(gateway.heldAnswers());
        droppedRpcMessages.setOrdered(routing.droppedRpcMessages());
        snapshotsTaken.setOrdered(consensus.snapshotsTaken());
        snapshotBytes.setOrdered(consensus.snapshotBytes());
        lastSnapshotIndex.setOrdered(consensus.lastSnapshotIndex());
        lastSnapshotPauseUs.setOrdered(consensus.lastSnapshotPauseNs() / 1000);
        maxSnapshotPauseUs.setOrdered(consensus.maxSnapshotPauseNs() / 1000);
        snapshotInstallsSent.setOrdered(consensus.snapshotInstallsSent());
        snapshotInstallsReceived.setOrdered(consensus.snapshotInstallsReceived());
        storageFull.setOrdered(log.isStorageFull() ? 1 : 0);
        storageFullCount.setOrdered(log.storageFullCount());
        storageFullHandOffs.setOrdered(consensus.storageFullHandOffs());
        final boolean isRepairing = consensus.isRepairing();
        if (isRepairing != wasRepairing)
        {
            // slow path, twice at most per process: the start of a repaired node and the end of its repair
            wasRepairing = isRepairing;
            repairing.setOrdered(isRepairing ? 1 : 0);
            System.err.println("octopii node " + ctx.nodeId() + ": " + (isRepairing ?
                "log repair marker present: following leaders without voting until the log has caught up" :
                "log repair complete at durable index " + log.durableIndex() + ": voting again"));
        }
        final long nowMs = epochClock.time();
        if (nowMs - lastLivenessMs >= 100)
        {
            lastLivenessMs = nowMs;
            statusFile.updateLiveness(nowMs);
            updatePeerAndTransportCounters();
        }
    }

    private void updatePeerAndTransportCounters()
    {
        final boolean isLeading = Role.LEADER == consensus.role();
        final long nowNs = System.nanoTime();
        for (int i = 0; i < peerMatchIndex.length; i++)
        {
            peerMatchIndex[i].setOrdered(consensus.peerMatchIndex(i));
            peerNextIndex[i].setOrdered(consensus.peerNextIndex(i));
            peerInFlight[i].setOrdered(consensus.peerInFlight(i));
            peerBytesSent[i].setOrdered(consensus.peerBytesSent(i));
            peerResponseAgeMs[i].setOrdered(isLeading ? (nowNs - consensus.peerLastResponseNs(i)) / 1_000_000 : -1);
        }
        for (int i = 0; i < transportCounters.length; i++)
        {
            transportCounters[i].setOrdered(transport.counterValue(i));
        }
    }
}

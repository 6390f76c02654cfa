package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RpcOneWayEncoder;
import io.octopii.log.FsyncPolicy;
import io.octopii.rpc.RpcEvent;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.sim.SimulatedNetwork;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The embedding API's allocation-free path: {@link OctopiiNode#propose(DirectBuffer, int, int)} on a single-member
 * node in {@link ThreadingMode#INVOKER} mode, answered through a {@link ProposalListener}, allocates nothing on the
 * calling thread in steady state (propose, append, commit, apply, answer).
 */
class SingleNodeAllocationTest implements ProposalListener
{
    private static final int WARM_UP = 100_000;
    private static final int MEASURED = 200_000;
    private static final int RPC_WARM_UP = 1_000;
    private static final int RPC_MEASURED = 2_000;
    private static final int AUDIT = 1;

    @TempDir
    File dir;

    private final UnsafeBuffer command = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
    private long answeredCorrelationId;
    private int answeredStatus;
    private long applied;

    @Test
    void shouldProposeAndAnswerWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SimulatedNetwork network = new SimulatedNetwork(1, 1, 64 * 1024);
        try (OctopiiNode node = launchLeader(network))
        {
            final AgentInvoker invoker = node.invoker();
            // warm up by count and by time: some paths run on timers (status counters every 100 ms, the log's
            // spare preparation, heartbeat deadlines) and their first run links and loads classes
            final long warmUpEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            do
            {
                roundTrips(node, invoker, WARM_UP);
            }
            while (System.nanoTime() < warmUpEndNs);
            // Per proposal nothing is allocated. What remains is per segment: a roll and, in INVOKER mode where the
            // log flusher shares this thread, preparing the next spare file (a few KB per 64 MiB of log). So the
            // gate is the benchmarks' bound, 0.01 B per proposal over a window of a second or more, which any
            // per-proposal allocation (16 B at least) breaks by three orders of magnitude.
            final long threadId = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(threadId);
            final long windowEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            long proposals = 0;
            do
            {
                roundTrips(node, invoker, MEASURED);
                proposals += MEASURED;
            }
            while (System.nanoTime() < windowEndNs);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            final String window = allocated + " B over " + proposals + " proposals (" + (double)allocated / proposals +
                " B per proposal; " + applied + " applied in all)";
            assertTrue((double)allocated / proposals <= 0.01, window);
            assertTrue(applied >= WARM_UP + MEASURED, "applied " + applied);
            System.out.println("single-node propose->apply allocation: " + window);
        }
    }

    /**
     * With a transport that does not divert RPC messages (the simulated one, like Aeron), the node's consensus thread
     * hands each RPC-framework message to the endpoint of {@link OctopiiNode#rpc()}: that hand-off, beside the duty
     * cycle, allocates nothing on the consensus thread (the endpoint's own thread copies payloads for its workers).
     */
    @Test
    void shouldHandRpcMessagesToTheNodesEndpointWithoutAllocatingOnTheConsensusThread()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SimulatedNetwork network = new SimulatedNetwork(2, 1, 64 * 1024); // member 1 only sends RPC messages
        try (OctopiiNode node = launchLeader(network))
        {
            final AgentInvoker invoker = node.invoker();
            final AtomicLong handled = new AtomicLong();
            node.rpc().registerHandler(AUDIT, (from, payload, offset, length, responder) -> handled.incrementAndGet());
            final UnsafeBuffer oneWay = new UnsafeBuffer(ByteBuffer.allocateDirect(128));
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + new RpcOneWayEncoder()
                .wrapAndApplyHeader(oneWay, 0, new MessageHeaderEncoder())
                .handlerId(AUDIT)
                .putPayload(command, 0, command.capacity())
                .encodedLength();
            final Transport sender = network.transport(1);

            final long warmUpEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            long sent = 0;
            do
            {
                sent += deliverOneWay(sender, oneWay, length, invoker, handled, sent, RPC_WARM_UP);
            }
            while (System.nanoTime() < warmUpEndNs);
            final long threadId = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(threadId);
            final long measuredFrom = sent;
            final long windowEndNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            do
            {
                sent += deliverOneWay(sender, oneWay, length, invoker, handled, sent, RPC_MEASURED);
            }
            while (System.nanoTime() < windowEndNs);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            final long measured = sent - measuredFrom;
            final String window = allocated + " B over " + measured + " RPC messages handed to the endpoint (" +
                (double)allocated / measured + " B per message; " + handled.get() + " handled in all)";
            assertTrue((double)allocated / measured <= 0.01, window);
            assertEquals(0, node.rpc().count(RpcEvent.INBOUND_DROPPED), "messages the endpoint's ring refused");
            System.out.println("single-node RPC hand-off allocation: " + window);
        }
    }

    /**
     * Send {@code count} one-way messages from member 1 and run the node until its endpoint's handlers ran them all,
     * in batches the endpoint's worker queue holds.
     *
     * @return {@code count}.
     */
    private static long deliverOneWay(
        final Transport sender,
        final UnsafeBuffer message,
        final int length,
        final AgentInvoker invoker,
        final AtomicLong handled,
        final long sentBefore,
        final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (sender.offer(0, Transport.Channel.RPC, message, 0, length) <= 0)
            {
                fail("the simulated network refused RPC message " + (sentBefore + i));
            }
            invoker.invoke();
        }
        final long expected = sentBefore + count;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handled.get() < expected)
        {
            if (0 == invoker.invoke())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("the endpoint handled " + handled.get() + " of " + expected + " one-way messages within 10 s");
                }
                sleepBriefly(); // the endpoint's threads are working: leave them the CPU
            }
        }
        return count;
    }

    /** A single-member node on the simulated network, INVOKER mode, run until it leads. */
    private OctopiiNode launchLeader(final SimulatedNetwork network)
    {
        final OctopiiNode node = OctopiiNode.launch(new NodeContext()
            .nodeId(0)
            .members(List.of(new MemberAddress(0, "127.0.0.1", 1)))
            .initialLeader(0)
            .dataDir(dir)
            .fsyncPolicy(FsyncPolicy.NONE)
            .segmentLength(64 * 1024 * 1024)
            .logIndexCapacity(1 << 23) // no snapshots here: the log keeps every entry (a few million), so its index must too
            .threadingMode(ThreadingMode.INVOKER)
            .transport(network.transport(0))
            .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(150))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(50))
            .stateMachine(this::onCommit)
            .proposalListener(this));
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!node.isLeader())
        {
            node.invoker().invoke();
            if (System.nanoTime() - deadlineNs > 0)
            {
                final int role = node.role();
                node.close();
                fail("single node did not become leader within 10 s: role " + role);
            }
            sleepBriefly();
        }
        return node;
    }

    private void roundTrips(final OctopiiNode node, final AgentInvoker invoker, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long correlationId = node.propose(command, 0, command.capacity());
            assertTrue(correlationId >= 0, "proposal refused");
            final long startNs = System.nanoTime();
            while (answeredCorrelationId != correlationId)
            {
                if (0 == invoker.invoke() && System.nanoTime() - startNs > TimeUnit.SECONDS.toNanos(10))
                {
                    fail("no answer to proposal " + correlationId + " within 10 s");
                }
            }
            if (ProposalStatus.OK != answeredStatus)
            {
                fail("proposal " + correlationId + " answered " + ProposalStatus.name(answeredStatus));
            }
        }
    }

    private static void sleepBriefly()
    {
        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    }

    private int onCommit(
        final long index, final long term, final DirectBuffer buffer, final int offset, final int length,
        final boolean endOfBatch, final MutableDirectBuffer response)
    {
        applied++;
        response.putLong(0, index);
        return 8;
    }

    public void onProposalResult(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
        final DirectBuffer buffer, final int offset, final int length)
    {
        answeredStatus = status;
        answeredCorrelationId = correlationId;
    }
}

package io.octopii.examples.example;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiNode;
import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.ThreadingMode;
import io.octopii.transport.MemberAddress;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link CounterStateMachine} plugged into a real three-node cluster (QUIC on localhost): the leader
 * adds 1, 2, 3, ... through the allocation-free {@code propose(buffer, offset, length)} with a
 * {@link ProposalListener}; then every node reads the counter with {@link QueryPolicy#LOCAL} once it
 * has applied what the leader committed, and with {@link QueryPolicy#LINEARIZABLE} (followers ask the leader for
 * a read index); the leader also reads under its {@link QueryPolicy#LEASE}. Finally the leader hands
 * leadership to another node, which then answers a linearizable read.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp examples/target/octopii.jar \
 *     io.octopii.examples.example.CustomStateMachineExample [certificateDir]
 * </pre>
 */
public final class CustomStateMachineExample
{
    /** Increments the example proposes: 1 + 2 + ... + 200. */
    public static final int INCREMENTS = 200;
    /** The counter once every increment is applied. */
    public static final long EXPECTED_VALUE = (long)INCREMENTS * (INCREMENTS + 1) / 2;

    /** What the example saw, for its test. */
    public static final class Result
    {
        public long acknowledged;
        public long indeterminate;
        public long otherFailures;
        public final long[] values = new long[4];
        public final long[] invalidCommands = new long[4];
        public final long[] linearizableValues = new long[4];
        public long leaseValue;
        public int oldLeaderId;
        public int newLeaderId;
        public long valueAfterTransfer;
        public final long[] snapshotIndexes = new long[4];
        public long valueAfterRestart;
    }

    private CustomStateMachineExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path work = ExampleSupport.tempDir("octopii-counter-example");
        run(work, ExampleSupport.certificates(args, work, 3), System.out);
    }

    /**
     * Run the example.
     *
     * @param work         data directories go under it.
     * @param certificates written by {@link ExampleSupport#generateCertificates} for members 1..3.
     */
    public static Result run(final Path work, final Path certificates, final PrintStream out) throws Exception
    {
        final Result result = new Result();
        final List<MemberAddress> members = ExampleSupport.localMembers(3);
        final OctopiiNode[] nodes = new OctopiiNode[4];
        final CounterStateMachine[] counters = new CounterStateMachine[4];
        final AtomicLong outcomes = new AtomicLong();
        // docs:start counter-listener
        final ProposalListener listener = (correlationId, status, logIndex, term, leaderId, buffer, offset, length) ->
        {
            // the consensus thread: count, never block
            if (ProposalStatus.OK == status && length == CounterStateMachine.LENGTH)
            {
                result.acknowledged++;
            }
            else if (ProposalStatus.INDETERMINATE == status)
            {
                result.indeterminate++;
            }
            else
            {
                result.otherFailures++;
            }
            outcomes.incrementAndGet();
        };
        // docs:end counter-listener
        try
        {
            for (int id = 1; id <= 3; id++)
            {
                counters[id] = new CounterStateMachine();
                launch(nodes, id, members, work, certificates, counters[id], listener);
            }
            final OctopiiNode leader = NodeExample.awaitLeader(nodes, 30_000);
            out.println("leader is node " + leader.nodeId());

            // docs:start counter-propose
            final UnsafeBuffer command = new UnsafeBuffer(ByteBuffer.allocateDirect(CounterStateMachine.LENGTH));
            final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
            long proposed = 0;
            for (long amount = 1; amount <= INCREMENTS; amount++)
            {
                command.putLong(0, amount, ByteOrder.LITTLE_ENDIAN);
                long correlationId;
                while ((correlationId = leader.propose(command, 0, CounterStateMachine.LENGTH)) ==
                    -ProposalStatus.BACK_PRESSURED)
                {
                    idle.idle(); // too many in flight: let the node catch up
                }
                if (correlationId < 0)
                {
                    throw new IllegalStateException("proposal refused: " + ProposalStatus.name((int)-correlationId));
                }
                proposed++;
            }
            // docs:end counter-propose
            final long expectedOutcomes = proposed;
            ExampleSupport.await(30_000, () -> outcomes.get() + " of " + expectedOutcomes + " proposal outcomes",
                () -> outcomes.get() == expectedOutcomes);

            // docs:start counter-read
            final long committed = leader.commitIndex();
            for (int id = 1; id <= 3; id++)
            {
                final byte[] answer = nodes[id].query(new byte[0], QueryPolicy.LOCAL, committed).get(10, TimeUnit.SECONDS);
                final long value = new UnsafeBuffer(answer).getLong(0, ByteOrder.LITTLE_ENDIAN);
                out.println("node " + id + " counter = " + value + " (applied index " + nodes[id].appliedIndex() + ")");
                result.values[id] = value;
            }
            // docs:end counter-read

            // docs:start counter-linearizable-read
            for (int id = 1; id <= 3; id++)
            {
                // reflects every write acknowledged before it started, on followers too
                final byte[] answer = nodes[id].query(new byte[0], QueryPolicy.LINEARIZABLE).get(10, TimeUnit.SECONDS);
                result.linearizableValues[id] = new UnsafeBuffer(answer).getLong(0, ByteOrder.LITTLE_ENDIAN);
            }
            // the leader serves LEASE reads without a heartbeat round while its lease holds
            final byte[] leased = leader.query(new byte[0], QueryPolicy.LEASE).get(10, TimeUnit.SECONDS);
            result.leaseValue = new UnsafeBuffer(leased).getLong(0, ByteOrder.LITTLE_ENDIAN);
            // docs:end counter-linearizable-read
            out.println("LINEARIZABLE reads " + result.linearizableValues[1] + " " + result.linearizableValues[2] + " " +
                result.linearizableValues[3] + ", LEASE read at the leader " + result.leaseValue);

            // docs:start counter-transfer
            final int target = leader.nodeId() % 3 + 1;
            // proposals to the leader fail with LEADERSHIP_TRANSFER until the target leads (or an election timeout)
            leader.transferLeadership(target).get(10, TimeUnit.SECONDS);
            final OctopiiNode newLeader = nodes[target];
            // docs:end counter-transfer
            result.oldLeaderId = leader.nodeId();
            result.newLeaderId = NodeExample.awaitLeader(nodes, 10_000).nodeId();
            final byte[] after = newLeader.query(new byte[0], QueryPolicy.LINEARIZABLE).get(10, TimeUnit.SECONDS);
            result.valueAfterTransfer = new UnsafeBuffer(after).getLong(0, ByteOrder.LITTLE_ENDIAN);
            out.println("leadership transferred from node " + result.oldLeaderId + " to node " + result.newLeaderId +
                "; it reads " + result.valueAfterTransfer);

            // docs:start counter-snapshot-restart
            // each node writes its counter to <dataDir>/snapshots: a pause of its consensus thread, here microseconds
            for (int id = 1; id <= 3; id++)
            {
                result.snapshotIndexes[id] = nodes[id].takeSnapshot().get(10, TimeUnit.SECONDS);
            }
            // a restarted node loads its newest snapshot into a new, empty counter, then replays the log above it
            final int restarted = result.oldLeaderId;
            nodes[restarted].close();
            counters[restarted] = new CounterStateMachine();
            launch(nodes, restarted, members, work, certificates, counters[restarted], listener);
            final byte[] reloaded = nodes[restarted].query(new byte[0], QueryPolicy.LINEARIZABLE).get(30, TimeUnit.SECONDS);
            // docs:end counter-snapshot-restart
            result.valueAfterRestart = new UnsafeBuffer(reloaded).getLong(0, ByteOrder.LITTLE_ENDIAN);
            out.println("snapshots at indexes " + result.snapshotIndexes[1] + " " + result.snapshotIndexes[2] + " " +
                result.snapshotIndexes[3] + "; node " + restarted + " restarted from its snapshot and reads " +
                result.valueAfterRestart);
        }
        finally
        {
            CloseHelper.closeAll(nodes);
        }
        for (int id = 1; id <= 3; id++)
        {
            result.invalidCommands[id] = counters[id].invalidCommands();
        }
        out.println(result.acknowledged + " increments acknowledged, " + result.indeterminate + " indeterminate, " +
            result.otherFailures + " failed");
        return result;
    }

    private static void launch(
        final OctopiiNode[] nodes,
        final int id,
        final List<MemberAddress> members,
        final Path work,
        final Path certificates,
        final CounterStateMachine counter,
        final ProposalListener listener)
    {
        // docs:start counter-launch
        nodes[id] = OctopiiNode.launch(new NodeContext()
            .nodeId(id)
            .members(members)
            .dataDir(work.resolve("node-" + id).toFile())
            .threadingMode(ThreadingMode.SHARED)
            .electionTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .segmentLength(4 * 1024 * 1024)
            .ingressRingLength(1024 * 1024)
            .egressRingLength(1024 * 1024)
            .transportContext(ExampleSupport.transportContext(certificates, id))
            .stateMachine(counter)
            .proposalListener(listener));
        // docs:end counter-launch
    }
}

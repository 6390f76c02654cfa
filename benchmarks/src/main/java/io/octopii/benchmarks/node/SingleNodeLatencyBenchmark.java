package io.octopii.benchmarks.node;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiNode;
import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.ThreadingMode;
import io.octopii.log.FsyncPolicy;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.sim.SimulatedNetwork;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Propose → append → commit → apply → answer on a single-member {@link OctopiiNode} in
 * {@link ThreadingMode#INVOKER} mode, driven on the benchmark thread: the engine's own latency with no
 * network and no other thread in the path. One operation is one 64 B command offered through the
 * allocation-free {@link OctopiiNode#propose(DirectBuffer, int, int)}, then {@code invoker().invoke()} until
 * the {@link ProposalListener} has the answer. {@code SampleTime} reports the percentiles.
 *
 * <p>{@code fsync}: {@code NONE} (mapped log on /dev/shm, no force: the CPU path) or {@code DURABLE} (log in
 * java.io.tmpdir on the real disk; the flusher forces every batch, so each op waits for one msync).
 * The node's transport is a one-member simulated network (it carries nothing: there are no peers).
 *
 * <p>Thread: the benchmark thread is the node's only agent thread. Lifecycle: one node per trial, deleted
 * afterwards. Failure: a refused proposal or one not answered within 10 s fails the run with its status.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class SingleNodeLatencyBenchmark implements ProposalListener
{
    private static final int COMMAND_LENGTH = 64;
    private static final long ANSWER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    @Param({ "NONE", "DURABLE" })
    public String fsync;

    private File directory;
    private OctopiiNode node;
    private AgentInvoker invoker;
    private final UnsafeBuffer command = new UnsafeBuffer(ByteBuffer.allocateDirect(COMMAND_LENGTH));
    private long answeredCorrelationId;
    private int answeredStatus;
    private long applied;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final FsyncPolicy policy = FsyncPolicy.valueOf(fsync);
        final File shm = new File("/dev/shm");
        final File parent = FsyncPolicy.NONE == policy && shm.isDirectory() && shm.canWrite() ?
            shm : new File(System.getProperty("java.io.tmpdir"));
        directory = Files.createTempDirectory(parent.toPath(), "octopii-node-bench").toFile();

        final SimulatedNetwork network = new SimulatedNetwork(1, 1, 64 * 1024);
        node = OctopiiNode.launch(new NodeContext()
            .nodeId(0)
            .members(List.of(new MemberAddress(0, "127.0.0.1", 1)))
            .initialLeader(0)
            .dataDir(directory)
            .fsyncPolicy(policy)
            .segmentLength(256 * 1024 * 1024)
            // no snapshots in a trial: the log keeps every entry (tens of millions), so the index is sized for
            // them up front instead of doubling on the measured path (512 MiB of heap). 2^25 was too few once the
            // suite's trial (3 + 5 x 2 s) reached 3M proposals/s: the last iteration grew the index (768 B/op)
            .logIndexCapacity(1 << 26)
            .threadingMode(ThreadingMode.INVOKER)
            .transport(network.transport(0))
            .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(150))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(50))
            .stateMachine(this::onCommit)
            .proposalListener(this));
        invoker = node.invoker();

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!node.isLeader())
        {
            invoker.invoke();
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("single node did not become leader within 10 s: role=" + node.role() +
                    " failure=" + node.failure());
            }
            Thread.onSpinWait();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (null != node)
        {
            node.close();
        }
        if (null != directory)
        {
            IoUtil.delete(directory, true);
        }
    }

    /** Percentiles (SampleTime): JMH's sample buffer allocates as it grows, so its B/op is not a gate. */
    @Benchmark
    public long proposeToApplied()
    {
        return roundTrip();
    }

    /** The same operation in AverageTime mode: the allocation gate (gc.alloc.rate.norm) reads this one. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public long proposeToAppliedAverage()
    {
        return roundTrip();
    }

    private long roundTrip()
    {
        command.putLong(0, applied);
        final long correlationId = node.propose(command, 0, COMMAND_LENGTH);
        if (correlationId < 0)
        {
            throw new IllegalStateException("proposal refused: " + ProposalStatus.name((int)-correlationId));
        }
        final long startNs = System.nanoTime();
        while (answeredCorrelationId != correlationId)
        {
            if (0 == invoker.invoke() && System.nanoTime() - startNs > ANSWER_TIMEOUT_NS)
            {
                throw new IllegalStateException("no answer to proposal " + correlationId + " within 10 s: role=" +
                    node.role() + " failure=" + node.failure());
            }
        }
        if (ProposalStatus.OK != answeredStatus)
        {
            throw new IllegalStateException("proposal " + correlationId + " failed: " + ProposalStatus.name(answeredStatus));
        }
        return applied;
    }

    private int onCommit(
        final long index, final long term, final DirectBuffer buffer, final int offset, final int length,
        final boolean endOfBatch, final MutableDirectBuffer response)
    {
        applied += buffer.getLong(offset) & 1;
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

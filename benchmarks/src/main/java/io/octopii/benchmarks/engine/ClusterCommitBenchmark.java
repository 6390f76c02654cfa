package io.octopii.benchmarks.engine;

import io.octopii.engine.sim.SimulatedCluster;
import io.octopii.engine.sim.SteadyStateDriver;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.MappedFileStorage;
import io.octopii.log.RaftLog;
import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * Committed proposals per second for a 3-node in-process cluster driven on one thread: the deterministic
 * simulator's {@code SimulatedCluster} with a zero-latency simulated network, {@link FsyncPolicy#NONE} (no
 * fsync: replication-only durability), memory-mapped log segments on {@code /dev/shm} (falls back to the temp
 * directory) and 64 B commands. One operation is one proposal offered by a client, appended by the leader,
 * replicated to both followers, committed, applied on all three nodes and answered to the client.
 * All three agents, the network and the client share the benchmark thread, so the figure is the cost of the
 * whole cluster on one core.
 *
 * <p>The logs use the default 64 MiB segments. Before each invocation's proposals, a log holding more than
 * {@link #RETAINED_SEGMENTS} segments is compacted below the lowest applied index of the three nodes, as a node
 * would after a snapshot; the compacted files become the log's spares (zeroed again by its flusher), so rolls
 * reuse them. Setup runs the cluster until every log has rolled into a recycled file, so the first run of the
 * roll, compaction and recycling paths (class loading, spare file creation) never lands in a measured
 * iteration. Run with {@code -prof gc}: gc.alloc.rate.norm must be at most 0.01 B/op (a roll allocates the
 * new file's name, ~400 B per ~0.5M entries per node).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED",
    "-Xmx2g" })
public class ClusterCommitBenchmark
{
    private static final int PROPOSALS_PER_INVOCATION = 10_000;
    /** Segments a log may hold before it is compacted. */
    private static final int RETAINED_SEGMENTS = 2;

    @Param({ "64" })
    public int commandLength;

    @Param({ "1024" })
    public int maxInFlight;

    private File directory;
    private SimulatedCluster cluster;
    private SteadyStateDriver driver;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final File shm = new File("/dev/shm");
        directory = Files.createTempDirectory(
            (shm.isDirectory() && shm.canWrite() ? shm : new File(System.getProperty("java.io.tmpdir"))).toPath(),
            "octopii-cluster-bench").toFile();

        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = 1;
        options.checkInvariants = false;
        options.fsyncPolicy = FsyncPolicy.NONE;
        options.flushProbability = 1.0;
        options.segmentLength = 64 * 1024 * 1024;
        options.logIndexCapacity = 1 << 23;
        options.maxBatchEntries = 512;
        options.maxInFlightAppends = 8;
        options.maxPendingProposals = 4 * maxInFlight;
        options.storageFactory = i -> new MappedFileStorage(new File(directory, "node-" + i));
        cluster = new SimulatedCluster(options);
        cluster.network().faults(0, 0, 0, 0, 0);
        driver = new SteadyStateDriver(cluster, commandLength, maxInFlight);
        driver.awaitLeader(TimeUnit.SECONDS.toNanos(5));
        // close and delete when the fork exits, not in a trial teardown: JMH's GC profiler counts a teardown's
        // allocation (closing three nodes, walking the directory to delete it) into the last measured iteration
        Runtime.getRuntime().addShutdownHook(new Thread(this::tearDown, "cluster-bench-cleanup"));

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!everyLogRolledIntoARecycledSegment())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException("no roll into a recycled segment on every node within 120 s");
            }
            compact();
            driver.run(PROPOSALS_PER_INVOCATION, TimeUnit.SECONDS.toNanos(60));
        }
    }

    private boolean everyLogRolledIntoARecycledSegment()
    {
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            // the first compaction recycles after the third segment appears; the roll after it reuses a file
            if (0 == cluster.log(i).recycledSegments() || cluster.log(i).segmentRolls() < RETAINED_SEGMENTS + 2)
            {
                return false;
            }
        }
        return true;
    }

    /** Runs at JVM exit (see setUp). */
    private void tearDown()
    {
        cluster.close();
        IoUtil.delete(directory, true);
    }

    /** Compact below what every node has applied once a log holds more than {@link #RETAINED_SEGMENTS} segments. */
    private void compact()
    {
        long lowestApplied = Long.MAX_VALUE;
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            lowestApplied = Math.min(lowestApplied, cluster.agent(i).appliedIndex());
        }
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            final RaftLog log = cluster.log(i);
            if (log.segmentCount() > RETAINED_SEGMENTS)
            {
                log.compactBelow(lowestApplied - 1);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(PROPOSALS_PER_INVOCATION)
    public long commitProposals()
    {
        compact(); // measured: amortized over the invocation, as a node pays for compaction after snapshots
        driver.run(PROPOSALS_PER_INVOCATION, TimeUnit.SECONDS.toNanos(60));
        return driver.completed();
    }
}

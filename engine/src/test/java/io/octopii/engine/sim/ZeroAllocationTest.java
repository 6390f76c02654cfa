package io.octopii.engine.sim;

import io.octopii.log.FsyncPolicy;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The zero-allocation gate: a 3-node simulated cluster in steady state (proposals, replication, commit, apply,
 * heartbeats, durable group commit by the flushers) allocates nothing on the driving thread over at least
 * 200,000 committed entries after warm-up.
 *
 * <p>After a warm-up of {@value #WARMUP_ENTRIES} entries the run continues in windows of {@value #WINDOW_ENTRIES}
 * entries (at most {@value #MAX_WINDOWS}) until four consecutive windows, 200,000 entries, allocated exactly
 * 0 bytes. Early windows may see a few bytes while the JIT still recompiles (a deoptimization re-materializes
 * scalar-replaced objects on this thread); a real steady-state allocation shows in every window and fails.
 */
class ZeroAllocationTest
{
    private static final long MEASURED_ENTRIES = 200_000;
    private static final long WARMUP_ENTRIES = 100_000;
    private static final long WINDOW_ENTRIES = 50_000;
    private static final int MAX_WINDOWS = 12;
    private static final long BOUND_NS = TimeUnit.SECONDS.toNanos(600);

    @Test
    void shouldAllocateNothingInSteadyStateOverTwoHundredThousandCommittedEntries()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        try (SimulatedCluster cluster = new SimulatedCluster(steadyStateOptions(99)))
        {
            cluster.network().faults(0, 0, 0, 0, 0);
            final SteadyStateDriver driver = new SteadyStateDriver(cluster, KvStateMachine.COMMAND_LENGTH, 512);
            driver.awaitLeader(TimeUnit.SECONDS.toNanos(5));
            driver.run(WARMUP_ENTRIES, BOUND_NS);

            // windows of 50k entries until 4 consecutive ones (200k entries) allocate exactly 0 bytes
            final StringBuilder windows = new StringBuilder();
            long zeroRunEntries = 0;
            for (int i = 0; i < MAX_WINDOWS && zeroRunEntries < MEASURED_ENTRIES; i++)
            {
                final long before = threads.getThreadAllocatedBytes(threadId);
                driver.run(WINDOW_ENTRIES, BOUND_NS);
                final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
                windows.append(allocated).append(' ');
                zeroRunEntries = allocated == 0 ? zeroRunEntries + WINDOW_ENTRIES : 0;
            }

            assertEquals(0, driver.failed(), "proposals failed in a fault-free run: " + cluster.describe());
            assertTrue(zeroRunEntries >= MEASURED_ENTRIES, "no " + MEASURED_ENTRIES +
                " consecutive committed entries without allocation; bytes allocated per " + WINDOW_ENTRIES +
                "-entry window: " + windows + "\n" + cluster.describe());
            System.out.println("zero-allocation gate: " + zeroRunEntries + " consecutive entries committed and applied " +
                "on 3 nodes with 0 bytes allocated; bytes per " + WINDOW_ENTRIES + "-entry window: " + windows);
        }
    }

    /**
     * LINEARIZABLE (ReadIndex rounds: record, heartbeat quorum, serve) and LEASE reads at the leader, beside a
     * steady proposal load, allocate nothing: windows of 50,000 reads until four consecutive ones are 0 bytes.
     */
    @Test
    void shouldAllocateNothingServingLinearizableAndLeaseReadsInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        try (SimulatedCluster cluster = new SimulatedCluster(steadyStateOptions(101)))
        {
            cluster.network().faults(0, 0, 0, 0, 0);
            final SteadyStateDriver driver = new SteadyStateDriver(cluster, KvStateMachine.COMMAND_LENGTH, 64).reads(128);
            driver.awaitLeader(TimeUnit.SECONDS.toNanos(5));
            driver.runReads(WARMUP_ENTRIES, BOUND_NS);

            final StringBuilder windows = new StringBuilder();
            long zeroRunReads = 0;
            final long roundsBefore = cluster.agent(cluster.leaderId()).readRoundsStarted();
            final long leaseBefore = cluster.agent(cluster.leaderId()).leaseReads();
            for (int i = 0; i < MAX_WINDOWS && zeroRunReads < MEASURED_ENTRIES; i++)
            {
                final long before = threads.getThreadAllocatedBytes(threadId);
                driver.runReads(WINDOW_ENTRIES, BOUND_NS);
                final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
                windows.append(allocated).append(' ');
                zeroRunReads = allocated == 0 ? zeroRunReads + WINDOW_ENTRIES : 0;
            }
            final long rounds = cluster.agent(cluster.leaderId()).readRoundsStarted() - roundsBefore;
            final long leaseReads = cluster.agent(cluster.leaderId()).leaseReads() - leaseBefore;

            assertEquals(0, driver.readsFailed(), "reads failed in a fault-free run: " + cluster.describe());
            assertTrue(rounds > 0, "no ReadIndex round was measured");
            assertTrue(leaseReads > 0, "no LEASE read was served under the lease");
            assertTrue(zeroRunReads >= MEASURED_ENTRIES, "no " + MEASURED_ENTRIES +
                " consecutive reads without allocation; bytes allocated per " + WINDOW_ENTRIES + "-read window: " +
                windows + "\n" + cluster.describe());
            System.out.println("zero-allocation gate (reads): " + zeroRunReads + " consecutive LINEARIZABLE/LEASE reads " +
                "(" + rounds + " ReadIndex rounds, " + leaseReads + " lease reads) beside " + driver.completed() +
                " proposals with 0 bytes allocated; bytes per " + WINDOW_ENTRIES + "-read window: " + windows);
        }
    }

    private static SimulatedCluster.Options steadyStateOptions(final long seed)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = seed;
        options.checkInvariants = false;
        options.flushProbability = 0.7;
        options.fsyncPolicy = FsyncPolicy.DURABLE;
        options.segmentLength = 64 * 1024 * 1024; // no segment roll (a slow path that allocates) in the run
        options.logIndexCapacity = 1 << 20;
        options.maxPendingProposals = 8192;
        return options;
    }
}

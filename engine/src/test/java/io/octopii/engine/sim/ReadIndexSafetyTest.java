package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.QueryListener;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.Role;
import io.octopii.engine.check.LinearizabilityChecker;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LINEARIZABLE and LEASE reads at a leader that is cut off from the cluster: a writer keeps putting new values
 * through whoever leads the majority side, a reader keeps reading from the old leader, and the history goes
 * through the linearizability checker.
 *
 * <p>With ReadIndex confirmation the old leader cannot confirm a round (nor hold a lease) once cut off, so it
 * never answers from its stale state: every seed is linearizable. With confirmation skipped (the test hook)
 * the same seeds must produce stale reads the checker catches: that proves this test, and the seed sweep's
 * reads, would fail if the engine served reads without confirming leadership.
 */
class ReadIndexSafetyTest
{
    private static final int SEEDS = 40;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldNeverServeStaleLinearizableOrLeaseReadsFromAnIsolatedOldLeader()
    {
        long servedReads = 0;
        long servedAfterIsolation = 0;
        for (long seed = 1; seed <= SEEDS; seed++)
        {
            final Scenario scenario = new Scenario(seed, false);
            final LinearizabilityChecker.Result result = scenario.run();
            assertTrue(result.isLinearizable(), "seed " + seed + ": " + result);
            servedReads += scenario.okReads;
            servedAfterIsolation += scenario.okReadsAfterIsolation;
        }
        assertTrue(servedReads > SEEDS, "reads were hardly served before the isolation: " + servedReads);
        System.out.println("read safety: " + SEEDS + " seeds linearizable, " + servedReads + " reads served by the old " +
            "leader, " + servedAfterIsolation + " of them after it was isolated (confirmed before, or as a follower later)");
    }

    @Test
    void shouldCatchStaleReadsWhenConfirmationIsSkipped()
    {
        int staleSeeds = 0;
        String first = null;
        for (long seed = 1; seed <= SEEDS; seed++)
        {
            final LinearizabilityChecker.Result result = new Scenario(seed, true).run();
            if (!result.isLinearizable())
            {
                staleSeeds++;
                if (null == first)
                {
                    first = "seed " + seed + ": " + result;
                }
            }
        }
        assertTrue(staleSeeds > 0, "with ReadIndex confirmation skipped, no seed of " + SEEDS +
            " produced a stale read the checker caught");
        System.out.println("read safety hook: confirmation skipped -> " + staleSeeds + " of " + SEEDS +
            " seeds not linearizable; first: " + first);
    }

    @Test
    void shouldServeLeaseReadsWithoutARoundWhileTheLeaseHolds()
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = 5;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = awaitLeader(cluster);
            final long roundsBefore = cluster.agent(leader).readRoundsStarted();
            final UnsafeBuffer query = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
            KvStateMachine.encode(query, 0, KvStateMachine.OP_GET, 1, 0);
            final int[] ok = new int[1];
            final QueryListener listener = (c, status, applied, leaderId, buffer, offset, length) ->
            {
                assertEquals(ProposalStatus.OK, status);
                ok[0]++;
            };
            for (int i = 0; i < 100; i++)
            {
                assertEquals(ProposalStatus.OK,
                    cluster.publisher(leader).offerQuery(i, QueryPolicy.LEASE, 0, query, 0, query.capacity()));
                cluster.step();
                cluster.results(leader).poll((c, s, idx, t, l, b, o, len) -> { }, listener, 16);
            }
            assertEquals(100, ok[0], "LEASE reads answered");
            assertEquals(roundsBefore, cluster.agent(leader).readRoundsStarted(), "a LEASE read under the lease needs no round");
            assertTrue(cluster.agent(leader).leaseReads() >= 100, "lease reads " + cluster.agent(leader).leaseReads());
        }
    }

    static int awaitLeader(final SimulatedCluster cluster)
    {
        final long deadline = cluster.nowNs() + TimeUnit.SECONDS.toNanos(5);
        while (cluster.nowNs() < deadline)
        {
            final int id = cluster.leaderId();
            if (id >= 0 && cluster.log(id).term(cluster.agent(id).commitIndex()) == cluster.agent(id).term())
            {
                return id;
            }
            cluster.step();
        }
        throw new AssertionError("no leader in 5 s: " + cluster.describe());
    }

    /** One seeded run: write through the majority's leader, read from the isolated old leader. */
    private static final class Scenario implements ProposalListener, QueryListener
    {
        private final long seed;
        private final boolean skipConfirmation;
        private final LinearizabilityChecker history = new LinearizabilityChecker();
        private final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
        private int writeHandle = -1;
        private long writeCorrelation;
        private int writeNode = -1;
        private int readHandle = -1;
        private long readCorrelation;
        private long nextCorrelation = 1;
        private long nextValue = 1;
        private boolean isIsolated;
        long okReads;
        long okReadsAfterIsolation;

        Scenario(final long seed, final boolean skipConfirmation)
        {
            this.seed = seed;
            this.skipConfirmation = skipConfirmation;
        }

        LinearizabilityChecker.Result run()
        {
            final SimulatedCluster.Options options = new SimulatedCluster.Options();
            options.seed = seed;
            options.skipReadConfirmation = skipConfirmation;
            try (SimulatedCluster cluster = new SimulatedCluster(options))
            {
                final int oldLeader = awaitLeader(cluster);
                final long isolateAt = cluster.nowNs() + 100 * MS + (seed % 7) * 13 * MS;
                final long end = isolateAt + 1500 * MS;
                int step = 0;
                while (cluster.nowNs() < end)
                {
                    if (!isIsolated && cluster.nowNs() >= isolateAt)
                    {
                        cluster.network().isolate(oldLeader);
                        isIsolated = true;
                    }
                    final int leader = cluster.leaderId();
                    if (writeHandle < 0 && leader >= 0 && (!isIsolated || leader != oldLeader))
                    {
                        final long value = nextValue++;
                        KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, 0, value);
                        writeCorrelation = nextCorrelation++;
                        writeHandle = history.invoke(0, LinearizabilityChecker.PUT, 0, value);
                        writeNode = leader;
                        if (cluster.publisher(leader).offer(writeCorrelation, command, 0, command.capacity()) !=
                            ProposalStatus.OK)
                        {
                            history.onFail(writeHandle);
                            writeHandle = -1;
                        }
                    }
                    if (readHandle < 0 && cluster.agent(oldLeader).role() != Role.FAILED)
                    {
                        KvStateMachine.encode(command, 0, KvStateMachine.OP_GET, 0, 0);
                        readCorrelation = nextCorrelation++;
                        readHandle = history.invoke(1, LinearizabilityChecker.GET, 0, 0);
                        final QueryPolicy policy = (step++ & 1) == 0 ? QueryPolicy.LINEARIZABLE : QueryPolicy.LEASE;
                        if (cluster.publisher(oldLeader).offerQuery(readCorrelation, policy, 0, command, 0,
                            command.capacity()) != ProposalStatus.OK)
                        {
                            history.onFail(readHandle);
                            readHandle = -1;
                        }
                    }
                    cluster.step();
                    for (int i = 0; i < cluster.nodeCount(); i++)
                    {
                        cluster.results(i).poll(this, this, 64);
                    }
                }
            }
            return history.check();
        }

        public void onProposalResult(
            final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
            final DirectBuffer buffer, final int offset, final int length)
        {
            if (correlationId != writeCorrelation || writeHandle < 0)
            {
                return;
            }
            if (ProposalStatus.OK == status)
            {
                history.onOk(writeHandle, buffer.getLong(offset));
            }
            else if (ProposalStatus.INDETERMINATE == status)
            {
                history.onIndeterminate(writeHandle);
            }
            else
            {
                history.onFail(writeHandle);
            }
            writeHandle = -1;
        }

        public void onQueryResult(
            final long correlationId, final int status, final long appliedIndex, final int leaderId,
            final DirectBuffer buffer, final int offset, final int length)
        {
            if (correlationId != readCorrelation || readHandle < 0)
            {
                return;
            }
            if (ProposalStatus.OK == status)
            {
                history.onOk(readHandle, buffer.getLong(offset));
                okReads++;
                if (isIsolated)
                {
                    okReadsAfterIsolation++;
                }
            }
            else
            {
                history.onFail(readHandle);
            }
            readHandle = -1;
        }
    }
}

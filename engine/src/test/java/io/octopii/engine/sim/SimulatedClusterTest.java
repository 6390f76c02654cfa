package io.octopii.engine.sim;

import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Role;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SimulatedClusterTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private static int awaitLeader(final SimulatedCluster cluster, final long boundNs)
    {
        final long deadline = cluster.nowNs() + boundNs;
        while (cluster.leaderId() < 0)
        {
            if (cluster.nowNs() >= deadline)
            {
                fail("no leader elected within " + boundNs / MS + " ms: " + cluster.describe());
            }
            cluster.step();
        }
        return cluster.leaderId();
    }

    @Test
    void shouldElectOneLeaderAndReplicateProposalsToEveryNode()
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = 42;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = awaitLeader(cluster, 2000 * MS);
            final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
            final long[] okCount = new long[1];
            for (int i = 0; i < 100; i++)
            {
                KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, i % 7, 1000 + i);
                assertEquals(ProposalStatus.OK, cluster.publisher(leader).offer(i, command, 0, command.capacity()));
            }
            final long deadline = cluster.nowNs() + 2000 * MS;
            while (okCount[0] < 100)
            {
                if (cluster.nowNs() >= deadline)
                {
                    fail("only " + okCount[0] + " of 100 proposals answered: " + cluster.describe());
                }
                cluster.step();
                cluster.results(leader).poll(
                    (correlationId, status, logIndex, term, leaderId, buffer, offset, length) ->
                    {
                        assertEquals(ProposalStatus.OK, status, "status of " + correlationId);
                        okCount[0]++;
                    },
                    100);
            }
            cluster.run(200 * MS);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1093, cluster.stateMachine(i).get(2), "member " + i + ": " + cluster.describe());
                assertEquals(100, cluster.stateMachine(i).appliedCount(), "member " + i);
            }
            assertEquals(Role.LEADER, cluster.agent(leader).role());
        }
    }

    @Test
    void shouldStayLinearizableWithoutFaults()
    {
        final String summary = new SimulationRun(7, FaultInjector.Mix.NONE, 2000 * MS).run();
        System.out.println(summary);
    }

    @Test
    void shouldStayLinearizableUnderAllFaults()
    {
        for (long seed = 1; seed <= 5; seed++)
        {
            System.out.println(new SimulationRun(seed, FaultInjector.Mix.ALL, 3000 * MS).run());
        }
    }

    @Test
    void shouldReplayASeedExactly()
    {
        final SimulationRun a = new SimulationRun(11, FaultInjector.Mix.ALL, 1500 * MS);
        final SimulationRun b = new SimulationRun(11, FaultInjector.Mix.ALL, 1500 * MS);
        assertEquals(a.run(), b.run());
        assertTrue(a.cluster().steps() > 0);
        assertEquals(a.cluster().network().sentCount(), b.cluster().network().sentCount());
    }
}

package io.octopii.engine.sim;

import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Role;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Leadership transfer in the simulator: the leader refuses proposals while it hands over, the target wins the
 * next term at once (no pre-vote, past stickiness), and a transfer that cannot complete is abandoned after an
 * election timeout with the old leader accepting proposals again.
 */
class LeadershipTransferTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldHandLeadershipToTheTargetInTheNextTermAndRefuseProposalsMeanwhile()
    {
        for (long seed = 1; seed <= 20; seed++)
        {
            try (SimulatedCluster cluster = new SimulatedCluster(new SimulatedCluster.Options().seed(seed)))
            {
                final int leader = ReadIndexSafetyTest.awaitLeader(cluster);
                final int target = (leader + 1 + (int)(seed % 2)) % 3;
                final ConsensusAgent agent = cluster.agent(leader);
                final long term = agent.term();
                assertEquals(ProposalStatus.OK, agent.transferLeadership(target));
                assertEquals(ProposalStatus.LEADERSHIP_TRANSFER, agent.transferLeadership(target), "one at a time");

                final List<Integer> statuses = new ArrayList<>();
                propose(cluster, leader, 1);
                cluster.step();
                cluster.results(leader).poll((c, status, i, t, l, b, o, len) -> statuses.add(status), 16);
                assertEquals(List.of(ProposalStatus.LEADERSHIP_TRANSFER), statuses, "seed " + seed);

                final long deadline = cluster.nowNs() + cluster.options().electionTimeoutNs;
                while (cluster.leaderId() != target || cluster.agent(target).term() != term + 1)
                {
                    assertTrue(cluster.nowNs() < deadline, "seed " + seed + ": target " + target +
                        " did not lead term " + (term + 1) + " within an election timeout: " + cluster.describe());
                    cluster.step();
                }
                assertEquals(1, agent.transfersStarted());
                assertEquals(0, agent.transfersFailed());
                assertTrue(agent.role() != Role.LEADER, cluster.describe());
            }
        }
    }

    @Test
    void shouldAbandonATransferToAnUnreachableTargetAfterAnElectionTimeout()
    {
        try (SimulatedCluster cluster = new SimulatedCluster(new SimulatedCluster.Options().seed(3)))
        {
            final int leader = ReadIndexSafetyTest.awaitLeader(cluster);
            final int target = (leader + 1) % 3;
            cluster.network().isolate(target);
            final ConsensusAgent agent = cluster.agent(leader);
            final long term = agent.term();
            assertEquals(ProposalStatus.NOT_LEADER, cluster.agent(target).transferLeadership(leader));
            assertEquals(OctopiiException.FAILED, agent.transferLeadership(7), "not a member");
            assertEquals(ProposalStatus.OK, agent.transferLeadership(target));

            final long startNs = cluster.nowNs();
            while (agent.transferTargetId() >= 0)
            {
                assertTrue(cluster.nowNs() - startNs <= cluster.options().electionTimeoutNs + 2 * MS,
                    "transfer not abandoned after an election timeout: " + cluster.describe());
                cluster.step();
            }
            assertTrue(cluster.nowNs() - startNs >= cluster.options().electionTimeoutNs, "abandoned too early");
            assertEquals(Role.LEADER, agent.role(), cluster.describe());
            assertEquals(term, agent.term());
            assertEquals(1, agent.transfersFailed());

            final List<Integer> statuses = new ArrayList<>();
            propose(cluster, leader, 2);
            for (int i = 0; i < 100 && statuses.isEmpty(); i++)
            {
                cluster.step();
                cluster.results(leader).poll((c, status, idx, t, l, b, o, len) -> statuses.add(status), 16);
            }
            assertEquals(List.of(ProposalStatus.OK), statuses, "proposals accepted again: " + cluster.describe());
        }
    }

    private static void propose(final SimulatedCluster cluster, final int node, final long value)
    {
        final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
        KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, 0, value);
        assertEquals(ProposalStatus.OK, cluster.publisher(node).offer(value, command, 0, command.capacity()));
    }
}

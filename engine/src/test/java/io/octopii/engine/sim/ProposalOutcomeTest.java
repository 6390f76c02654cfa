package io.octopii.engine.sim;

import io.octopii.engine.ProposalFutures;
import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Role;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every proposal outcome a caller can see, on a 3-node simulated cluster.
 */
class ProposalOutcomeTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
    private final List<long[]> outcomes = new ArrayList<>();
    private final ProposalListener recorder = new ProposalListener()
    {
        public void onProposalResult(
            final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
            final DirectBuffer buffer, final int offset, final int length)
        {
            outcomes.add(new long[]{ correlationId, status, leaderId, length == 8 ? buffer.getLong(offset) : -1 });
        }
    };

    private static SimulatedCluster cluster(final int maxPendingProposals)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = 5;
        options.maxPendingProposals = maxPendingProposals;
        return new SimulatedCluster(options);
    }

    private static int awaitLeader(final SimulatedCluster cluster)
    {
        final long deadline = cluster.nowNs() + 3000 * MS;
        while (cluster.leaderId() < 0 ||
            cluster.log(cluster.leaderId()).term(cluster.agent(cluster.leaderId()).commitIndex()) !=
            cluster.agent(cluster.leaderId()).term())
        {
            if (cluster.nowNs() > deadline)
            {
                fail("no leader: " + cluster.describe());
            }
            cluster.step();
        }
        return cluster.leaderId();
    }

    private void awaitOutcomes(final SimulatedCluster cluster, final int node, final int count, final long boundNs)
    {
        final long deadline = cluster.nowNs() + boundNs;
        while (outcomes.size() < count)
        {
            if (cluster.nowNs() > deadline)
            {
                fail("only " + outcomes.size() + " of " + count + " outcomes within " + boundNs / MS + " ms: " +
                    cluster.describe());
            }
            cluster.step();
            cluster.results(node).poll(recorder, 100);
        }
    }

    private int offer(final ProposalPublisher publisher, final long correlationId, final byte op, final long value)
    {
        KvStateMachine.encode(command, 0, op, 1, value);
        return publisher.offer(correlationId, command, 0, command.capacity());
    }

    @Test
    void shouldAnswerNotLeaderWithTheLeadersIdFromAFollower()
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            final int follower = (leader + 1) % 3;
            assertEquals(ProposalStatus.OK, offer(cluster.publisher(follower), 1, KvStateMachine.OP_PUT, 10));
            awaitOutcomes(cluster, follower, 1, 100 * MS);
            assertEquals(ProposalStatus.NOT_LEADER, outcomes.get(0)[1]);
            assertEquals(leader, outcomes.get(0)[2]);
        }
    }

    @Test
    void shouldRefuseACommandLongerThanTheMaximumWithoutAppendingIt()
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            final ProposalPublisher publisher = cluster.publisher(leader);
            final UnsafeBuffer tooLong = new UnsafeBuffer(new byte[publisher.maxCommandLength() + 1]);
            final long lastIndex = cluster.log(leader).lastIndex();
            assertEquals(ProposalStatus.MAX_LENGTH_EXCEEDED, publisher.offer(1, tooLong, 0, tooLong.capacity()));
            cluster.run(50 * MS);
            assertEquals(lastIndex, cluster.log(leader).lastIndex());
        }
    }

    @Test
    void shouldAnswerAnInvalidCommandNormallyAndKeepRunning()
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            assertEquals(ProposalStatus.OK, cluster.publisher(leader).offer(7, command, 0, 3));
            awaitOutcomes(cluster, leader, 1, 500 * MS);
            assertEquals(ProposalStatus.OK, outcomes.get(0)[1]);
            assertEquals(KvStateMachine.ABSENT, outcomes.get(0)[3]);
            cluster.run(100 * MS);
            for (int i = 0; i < 3; i++)
            {
                assertTrue(!cluster.agent(i).isFailed());
                assertEquals(1, cluster.stateMachine(i).invalidCount(), "member " + i);
            }
        }
    }

    @Test
    void shouldAnswerIndeterminateWhenLeadershipIsLostAfterAppend()
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            cluster.network().isolate(leader);
            for (int i = 0; i < 5; i++)
            {
                assertEquals(ProposalStatus.OK, offer(cluster.publisher(leader), i, KvStateMachine.OP_PUT, 100 + i));
            }
            awaitOutcomes(cluster, leader, 5, 2000 * MS);
            for (final long[] outcome : outcomes)
            {
                assertEquals(ProposalStatus.INDETERMINATE, outcome[1], "CheckQuorum must step the isolated leader down");
            }
            assertEquals(Role.FOLLOWER, cluster.agent(leader).role());
        }
    }

    @Test
    void shouldAnswerBackPressuredWhenTooManyProposalsArePending()
    {
        try (SimulatedCluster cluster = cluster(8))
        {
            final int leader = awaitLeader(cluster);
            cluster.network().isolate(leader); // nothing commits, so nothing pending is released
            for (int i = 0; i < 20; i++)
            {
                assertEquals(ProposalStatus.OK, offer(cluster.publisher(leader), i, KvStateMachine.OP_PUT, 100 + i));
            }
            awaitOutcomes(cluster, leader, 20, 2000 * MS);
            long backPressured = 0;
            for (final long[] outcome : outcomes)
            {
                if (outcome[1] == ProposalStatus.BACK_PRESSURED)
                {
                    backPressured++;
                }
            }
            assertTrue(backPressured >= 12, "at most 8 pending, " + backPressured + " back-pressured");
        }
    }

    @Test
    void shouldStopEveryNodeWhenTheStateMachineThrows()
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            assertEquals(ProposalStatus.OK, offer(cluster.publisher(leader), 1, KvStateMachine.OP_THROW, 0));
            final AssertionError error = assertThrows(AssertionError.class, () -> cluster.run(1000 * MS));
            assertTrue(error.getMessage().contains("state machine failed applying index"), error.getMessage());
            assertEquals(Role.FAILED, cluster.agent(leader).role());
        }
    }

    @Test
    void shouldCompleteFuturesWithTheStateMachinesAnswer() throws Exception
    {
        try (SimulatedCluster cluster = cluster(64))
        {
            final int leader = awaitLeader(cluster);
            final ProposalFutures futures = new ProposalFutures(cluster.publisher(leader), cluster.results(leader));
            KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, 3, 33);
            final CompletableFuture<ProposalFutures.Outcome> future = futures.propose(command, 0, command.capacity());
            final long deadline = cluster.nowNs() + 500 * MS;
            while (!future.isDone())
            {
                if (cluster.nowNs() > deadline)
                {
                    fail("future not completed: " + cluster.describe());
                }
                cluster.step();
                futures.poll(10);
            }
            final ProposalFutures.Outcome outcome = future.get();
            assertEquals(ProposalStatus.OK, outcome.status());
            assertEquals(33, new UnsafeBuffer(outcome.result()).getLong(0));
            assertEquals(0, futures.inFlightCount());
        }
    }
}

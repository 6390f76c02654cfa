package io.octopii.engine.sim;

import io.octopii.engine.ClusterConfiguration;
import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.MembershipStatus;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.Role;
import io.octopii.engine.check.LinearizabilityChecker;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Membership changes in the simulator, under a client load (puts, gets and reads of every policy on random
 * nodes) with a lossy network: learners join, catch up and are promoted, voters are removed, the leader among
 * them; afterwards the history must be linearizable, LOCAL reads must match the committed prefix, and the
 * invariants (checked after every step) must have held throughout.
 */
class MembershipChangeTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CHANGE_BOUND_NS = TimeUnit.SECONDS.toNanos(10);

    @Test
    void shouldScaleThreeToFiveToThreeWithTheLeaderAmongTheRemovedUnderLoad()
    {
        for (long seed = 1; seed <= 10; seed++)
        {
            scale(seed);
        }
    }

    @Test
    void shouldRefuseASecondChangeWhileOneIsUncommittedAndChangesFromAFollower()
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options().seed(7);
        options.nodeCount = 4;
        options.initialVoters = 3;
        options.maxPromotionLagEntries = 0;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = ReadIndexSafetyTest.awaitLeader(cluster);
            final int follower = (leader + 1) % 3;
            assertEquals(ProposalStatus.NOT_LEADER, cluster.agent(follower).addLearner(3, ""));
            cluster.network().isolate(3);
            assertEquals(MembershipStatus.OK, cluster.agent(leader).addLearner(3, "node-3:7003"));
            assertEquals(MembershipStatus.CHANGE_IN_PROGRESS, cluster.agent(leader).remove(follower),
                "a second change while the first is uncommitted");
            assertEquals("node-3:7003", cluster.agent(leader).membership().address(3));
            assertTrue(cluster.agent(leader).membership().isLearner(3));
            run(cluster, null, 300 * MS);
            assertEquals(MembershipStatus.NOT_CAUGHT_UP, cluster.agent(leader).promote(3),
                "a learner cut off from the leader has not caught up");
            cluster.network().heal();
            run(cluster, null, 500 * MS);
            assertEquals(MembershipStatus.ALREADY_MEMBER, cluster.agent(leader).addLearner(3, ""));
            assertEquals(MembershipStatus.NOT_A_LEARNER, cluster.agent(leader).promote(follower));
            assertEquals(MembershipStatus.NOT_A_MEMBER, cluster.agent(leader).remove(9));
            assertEquals(cluster.agent(leader).membership(), cluster.agent(3).membership(),
                "the learner holds the configuration that added it");
            assertEquals(Role.FOLLOWER, cluster.agent(3).role());
            assertEquals(MembershipStatus.OK, cluster.agent(leader).promote(3));
            run(cluster, null, 500 * MS);
            assertEquals(4, cluster.agent(3).membership().voterCount(), cluster.describe());
        }
    }

    @Test
    void shouldCatchUpALearnerAddedAfterCompactionByInstallingASnapshotThenRestartWithTheConfiguration()
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options().seed(11);
        options.nodeCount = 4;
        options.initialVoters = 3;
        options.snapshotIntervalEntries = 50;
        options.snapshotRetain = 2;
        options.segmentLength = 8 * 1024;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final KvWorkload workload = new KvWorkload(cluster, new SplittableRandom(11), 3, 3, 0.2);
            final int leader = ReadIndexSafetyTest.awaitLeader(cluster);
            final long deadline = cluster.nowNs() + CHANGE_BOUND_NS;
            while (cluster.log(leader).firstIndex() <= 1)
            {
                assertTrue(cluster.nowNs() < deadline, "the leader's log was never compacted: " + cluster.describe());
                step(cluster, workload);
            }
            assertEquals(0, cluster.agent(3).snapshotInstallsReceived());
            change(cluster, workload, 11, "add learner 3", a -> a.addLearner(3, "sim:3"));
            awaitEveryMember(cluster, workload, 11, 3);
            assertTrue(cluster.agent(3).snapshotInstallsReceived() >= 1,
                "the learner caught up by log replay, not by install: " + cluster.describe());
            change(cluster, workload, 11, "promote 3", a -> a.promote(3));
            awaitEveryMember(cluster, workload, 11, 4);

            // snapshots carry the configuration: after compaction past the change, a restart still knows it
            run(cluster, workload, 1000 * MS);
            final int current = cluster.leaderId();
            assertTrue(cluster.log(current).firstIndex() > cluster.agent(current).membershipIndex(),
                "the configuration entry was compacted away: " + cluster.describe());
            for (int id = 0; id < 4; id++)
            {
                cluster.crash(id);
                workload.onCrash(id);
            }
            for (int id = 0; id < 4; id++)
            {
                cluster.restart(id);
                assertEquals(4, cluster.agent(id).membership().voterCount(), "member " + id + " after restart: " +
                    cluster.agent(id).membership());
            }
            workload.issuing(false);
            final long end = cluster.nowNs() + CHANGE_BOUND_NS;
            while (workload.outstanding() > 0 || cluster.leaderId() < 0)
            {
                assertTrue(cluster.nowNs() < end, cluster.describe());
                step(cluster, workload);
            }
            assertTrue(workload.history().check().isLinearizable(), workload.history().check().toString());
        }
    }

    private static void scale(final long seed)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options().seed(seed);
        options.nodeCount = 5;
        options.initialVoters = 3;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final SplittableRandom random = new SplittableRandom(seed);
            cluster.network().faults(0.02, 0.01, 0.02, 0, 3 * MS);
            final KvWorkload workload = new KvWorkload(cluster, random.split(), 4, 3, 0.3);
            final int firstLeader = ReadIndexSafetyTest.awaitLeader(cluster);
            run(cluster, workload, 200 * MS);

            change(cluster, workload, seed, "add learner 3", a -> a.addLearner(3, "sim:3"));
            run(cluster, workload, 200 * MS);
            change(cluster, workload, seed, "add learner 4", a -> a.addLearner(4, "sim:4"));
            run(cluster, workload, 200 * MS);
            change(cluster, workload, seed, "promote 3", a -> a.promote(3));
            run(cluster, workload, 200 * MS);
            change(cluster, workload, seed, "promote 4", a -> a.promote(4));
            awaitEveryMember(cluster, workload, seed, 5);
            run(cluster, workload, 200 * MS);

            final int leader = cluster.leaderId();
            final int other = leader == 0 ? 1 : 0;
            change(cluster, workload, seed, "remove the leader " + leader, a -> a.remove(leader));
            run(cluster, workload, 200 * MS);
            change(cluster, workload, seed, "remove " + other, a -> a.remove(other));
            awaitEveryMember(cluster, workload, seed, 3);
            final int newLeader = cluster.leaderId();
            assertNotEquals(leader, newLeader, "seed " + seed + ": the removed leader still leads");
            assertFalse(cluster.agent(newLeader).membership().isMember(leader));
            assertNotEquals(Role.LEADER, cluster.agent(leader).role(), "seed " + seed + ": " + cluster.describe());

            run(cluster, workload, 500 * MS);
            cluster.network().faults(0, 0, 0, 0, MS);
            workload.issuing(false);
            final long deadline = cluster.nowNs() + TimeUnit.SECONDS.toNanos(10);
            while (workload.outstanding() > 0)
            {
                assertTrue(cluster.nowNs() < deadline, "seed " + seed + ": operations outstanding " +
                    workload.outstanding() + "\n" + cluster.describe());
                step(cluster, workload);
            }
            cluster.checkLogMatching();
            final LinearizabilityChecker.Result result = workload.history().check();
            assertTrue(result.isLinearizable(), "seed " + seed + ": " + result + "\n" + cluster.describe());
            final String localReads = workload.checkLocalReads();
            assertEquals(null, localReads, "seed " + seed);
            assertTrue(workload.okCount() > 50, "seed " + seed + ": load too light: " + workload.okCount());
            System.out.println("membership seed " + seed + ": leader " + firstLeader + " -> 3,4 added and promoted -> " +
                "leader " + leader + " and " + other + " removed -> leader " + newLeader + "; ok=" + workload.okCount() +
                " reads=" + workload.linearizableReads() + " committed=" + cluster.invariants().maxCommitted());
        }
    }

    private static void change(
        final SimulatedCluster cluster, final KvWorkload workload, final long seed, final String what,
        final ToIntFunction<ConsensusAgent> change)
    {
        final long deadline = cluster.nowNs() + CHANGE_BOUND_NS;
        while (true)
        {
            final int leader = cluster.leaderId();
            if (leader >= 0)
            {
                final int status = change.applyAsInt(cluster.agent(leader));
                if (MembershipStatus.OK == status)
                {
                    // done once committed by the leader that appended it (or visible to its successor)
                    final long index = cluster.agent(leader).membershipIndex();
                    final ClusterConfiguration target = cluster.agent(leader).membership();
                    while (!isCommitted(cluster, index, target))
                    {
                        assertTrue(cluster.nowNs() < deadline, "seed " + seed + ": " + what + " not committed\n" +
                            cluster.describe());
                        step(cluster, workload);
                    }
                    return;
                }
                assertTrue(status == MembershipStatus.CHANGE_IN_PROGRESS || status == MembershipStatus.NOT_CAUGHT_UP ||
                    status == ProposalStatus.NOT_LEADER, "seed " + seed + ": " + what + ": " + MembershipStatus.name(status));
            }
            assertTrue(cluster.nowNs() < deadline, "seed " + seed + ": " + what + " never accepted\n" + cluster.describe());
            step(cluster, workload);
        }
    }

    private static boolean isCommitted(final SimulatedCluster cluster, final long index, final ClusterConfiguration target)
    {
        final int leader = cluster.leaderId();
        return leader >= 0 && cluster.agent(leader).commitIndex() >= index &&
            cluster.agent(leader).membership().equals(target);
    }

    private static void awaitEveryMember(
        final SimulatedCluster cluster, final KvWorkload workload, final long seed, final int voters)
    {
        final long deadline = cluster.nowNs() + CHANGE_BOUND_NS;
        while (true)
        {
            final int leader = cluster.leaderId();
            if (leader >= 0 && cluster.agent(leader).membership().voterCount() == voters)
            {
                final ClusterConfiguration configuration = cluster.agent(leader).membership();
                boolean all = true;
                for (final int id : configuration.memberIds())
                {
                    all &= configuration.equals(cluster.agent(id).membership()) &&
                        cluster.agent(id).appliedIndex() >= cluster.agent(leader).membershipIndex();
                }
                if (all)
                {
                    return;
                }
            }
            assertTrue(cluster.nowNs() < deadline, "seed " + seed + ": not every member applied the " + voters +
                "-voter configuration\n" + cluster.describe());
            step(cluster, workload);
        }
    }

    private static void run(final SimulatedCluster cluster, final KvWorkload workload, final long durationNs)
    {
        final long end = cluster.nowNs() + durationNs;
        while (cluster.nowNs() < end)
        {
            step(cluster, workload);
        }
    }

    private static void step(final SimulatedCluster cluster, final KvWorkload workload)
    {
        cluster.step();
        if (null != workload)
        {
            workload.step();
        }
    }
}

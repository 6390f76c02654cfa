package io.octopii.engine.sim;

import io.octopii.engine.Role;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A follower whose log was wiped (the repair of a corrupted WAL) rejoins under its old id. In plain Raft that is
 * unsafe: it acknowledged entries that counted toward a commit quorum, and with an empty log it grants its vote to
 * a candidate lacking them. The scenario: the leader commits with the soon-wiped follower while the third member
 * is cut off; the follower is wiped and restarted; the leader is cut off and the third member campaigns.
 * Without the repair marker the wiped follower elects it and a committed entry is lost (the invariant checker
 * catches the new leader lacking it); with the marker the follower refuses to vote until it caught up with a
 * leader, the old leader returns, and the follower rejoins with everything.
 */
class WipedNodeRepairTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int ENTRIES = 200;

    @Test
    void shouldLoseACommittedEntryWhenAWipedFollowerVotesAtOnce()
    {
        for (long seed = 1; seed <= 5; seed++)
        {
            final long s = seed;
            final AssertionError error = assertThrows(AssertionError.class, () -> runScenario(s, false),
                "seed " + seed + ": a wiped follower without the repair marker did not lose a committed entry");
            assertTrue(error.getMessage().contains("lacks committed index"), "seed " + seed + ": " + error.getMessage());
        }
    }

    @Test
    void shouldKeepEveryCommittedEntryWhenAWipedFollowerWaitsForTheLeader()
    {
        for (long seed = 1; seed <= 5; seed++)
        {
            runScenario(seed, true);
        }
    }

    private static void runScenario(final long seed, final boolean repairMarker)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = seed;
        options.nodeCount = 3;
        options.flushProbability = 1.0;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = cluster.awaitLeader(-1);
            final int wiped = (leader + 1) % 3;
            final int behind = (leader + 2) % 3;

            // commit with the leader and the soon-wiped follower only
            cluster.network().isolate(behind);
            cluster.commit(leader, ENTRIES);
            final long committed = cluster.agent(leader).commitIndex();
            assertTrue(cluster.log(behind).lastIndex() < committed, "seed " + seed + ": the cut-off member has it");

            cluster.crash(wiped);
            cluster.wipe(wiped, repairMarker);
            cluster.restart(wiped);
            assertEquals(repairMarker, cluster.agent(wiped).isRepairing(), "seed " + seed + ": repairing at start");

            // the leader goes away; the member lacking the entries campaigns with the wiped one's vote, or cannot
            cluster.network().heal();
            cluster.network().isolate(leader);
            final long partitionEnd = cluster.nowNs() + 20 * options.electionTimeoutNs;
            while (cluster.nowNs() < partitionEnd)
            {
                cluster.step(); // the invariant checker throws if a leader lacks a committed entry
                assertFalse(cluster.agent(behind).role() == Role.LEADER || cluster.agent(wiped).role() == Role.LEADER,
                    "seed " + seed + ": a member lacking committed entries leads: " + cluster.describe());
            }

            cluster.network().heal();
            final long healDeadline = cluster.nowNs() + 10_000 * MS;
            while (cluster.agent(wiped).isRepairing() ||
                cluster.log(wiped).lastIndex() < committed ||
                cluster.agent(wiped).appliedIndex() < committed)
            {
                if (cluster.nowNs() >= healDeadline)
                {
                    fail("seed " + seed + ": the wiped member did not catch up to " + committed + " within 10 s: " +
                        cluster.describe());
                }
                cluster.step();
            }
            final int newLeader = cluster.awaitLeader(-1);
            cluster.commit(newLeader, 10); // the cluster serves again, the repaired member counting
            cluster.run(50 * options.heartbeatIntervalNs);
            cluster.checkLogMatching();
            assertFalse(cluster.agent(wiped).isRepairing(), "seed " + seed);
            assertFalse(cluster.log(wiped).isRepairing(), "seed " + seed + ": marker left behind");
        }
        catch (final AssertionError error)
        {
            throw new AssertionError("seed " + seed + " repairMarker " + repairMarker + ": " + error.getMessage(),
                error);
        }
    }
}

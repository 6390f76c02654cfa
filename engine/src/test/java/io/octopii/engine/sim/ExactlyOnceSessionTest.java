package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalStatus;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exactly-once client sessions on a simulated cluster: a proposal retried with the same session and sequence
 * is applied once on every node, however often and wherever it is retried, across leader changes, crashes and
 * snapshot installs; the retry gets the first application's result.
 */
class ExactlyOnceSessionTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SESSION = 0x5E55_10B0_0000_0001L;

    private final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
    private final List<long[]> outcomes = new ArrayList<>();
    private final ProposalListener recorder = new ProposalListener()
    {
        public void onProposalResult(
            final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
            final DirectBuffer buffer, final int offset, final int length)
        {
            outcomes.add(new long[]{ correlationId, status, logIndex, length == 8 ? buffer.getLong(offset) : -1 });
        }
    };

    private static SimulatedCluster cluster(final long seed, final long snapshotIntervalEntries)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = seed;
        options.snapshotIntervalEntries = snapshotIntervalEntries;
        options.snapshotRetain = 1;
        options.segmentLength = 8192; // small segments: compaction (whole segments) leaves laggards to snapshot installs
        return new SimulatedCluster(options);
    }

    /** Counts, per member, how often each value was put (values are unique per (session, sequence)). */
    private static Long2LongHashMap[] countPuts(final SimulatedCluster cluster)
    {
        final Long2LongHashMap[] puts = new Long2LongHashMap[cluster.nodeCount()];
        for (int i = 0; i < puts.length; i++)
        {
            puts[i] = new Long2LongHashMap(0);
        }
        cluster.putObserver((memberId, index, key, value) -> puts[memberId].put(value, puts[memberId].get(value) + 1));
        return puts;
    }

    private int offer(
        final SimulatedCluster cluster, final int node, final long correlationId, final long session, final long sequence,
        final long lowestUnsettled, final long value)
    {
        KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, sequence % 7, value);
        return cluster.publisher(node).offer(correlationId, session, sequence, lowestUnsettled, command, 0, command.capacity());
    }

    private void awaitOutcomes(final SimulatedCluster cluster, final int node, final int count)
    {
        final long deadline = cluster.nowNs() + 2000 * MS;
        while (outcomes.size() < count)
        {
            if (cluster.nowNs() > deadline)
            {
                fail("only " + outcomes.size() + " of " + count + " outcomes: " + cluster.describe());
            }
            cluster.step();
            cluster.results(node).poll(recorder, 100);
        }
    }

    @Test
    void shouldApplyARetryOnceAndAnswerItWithTheFirstResult()
    {
        try (SimulatedCluster cluster = cluster(11, 0))
        {
            final Long2LongHashMap[] puts = countPuts(cluster);
            final int leader = cluster.awaitLeader(-1);
            assertEquals(ProposalStatus.OK, offer(cluster, leader, 1, SESSION, 1, 1, 1001));
            assertEquals(ProposalStatus.OK, offer(cluster, leader, 2, SESSION, 1, 1, 1001)); // a retry before the answer
            awaitOutcomes(cluster, leader, 2);
            assertEquals(ProposalStatus.OK, offer(cluster, leader, 3, SESSION, 1, 1, 1001)); // a retry after it
            awaitOutcomes(cluster, leader, 3);
            cluster.run(100 * MS);
            for (final long[] outcome : outcomes)
            {
                assertEquals(ProposalStatus.OK, outcome[1], "correlation " + outcome[0]);
                assertEquals(1001, outcome[3], "correlation " + outcome[0] + " gets the first application's result");
            }
            assertTrue(outcomes.get(1)[2] > outcomes.get(0)[2], "the retry was appended as its own entry");
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1, puts[i].get(1001), "member " + i + " applied sequence 1 once");
            }
        }
    }

    @Test
    void shouldNotApplyASequenceBelowWhatTheSessionSettled()
    {
        try (SimulatedCluster cluster = cluster(12, 0))
        {
            final Long2LongHashMap[] puts = countPuts(cluster);
            final int leader = cluster.awaitLeader(-1);
            offer(cluster, leader, 1, SESSION, 2, 1, 2002);
            offer(cluster, leader, 2, SESSION, 3, 3, 3003); // the client settled 1 and 2 (2 timed out, say)
            offer(cluster, leader, 3, SESSION, 2, 1, 2002); // 2's original, delayed: must not apply again
            offer(cluster, leader, 4, SESSION, 1, 1, 1001); // 1 was settled unapplied: must not apply late
            awaitOutcomes(cluster, leader, 4);
            cluster.run(100 * MS);
            assertEquals(ProposalStatus.OK, outcomes.get(0)[1]);
            assertEquals(ProposalStatus.OK, outcomes.get(1)[1]);
            assertEquals(ProposalStatus.DUPLICATE, outcomes.get(2)[1]);
            assertEquals(ProposalStatus.DUPLICATE, outcomes.get(3)[1]);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1, puts[i].get(2002), "member " + i);
                assertEquals(1, puts[i].get(3003), "member " + i);
                assertEquals(0, puts[i].get(1001), "member " + i);
            }
        }
    }

    @Test
    void shouldKeepSessionsSeparateAndPlainProposalsUntouched()
    {
        try (SimulatedCluster cluster = cluster(13, 0))
        {
            final Long2LongHashMap[] puts = countPuts(cluster);
            final int leader = cluster.awaitLeader(-1);
            offer(cluster, leader, 1, SESSION, 1, 1, 11);
            offer(cluster, leader, 2, SESSION + 1, 1, 1, 12); // the same sequence in another session
            KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, 3, 13);
            cluster.publisher(leader).offer(3, command, 0, command.capacity());
            cluster.publisher(leader).offer(4, command, 0, command.capacity()); // plain: at-least-once, applied twice
            awaitOutcomes(cluster, leader, 4);
            cluster.run(100 * MS);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1, puts[i].get(11), "member " + i);
                assertEquals(1, puts[i].get(12), "member " + i);
                assertEquals(2, puts[i].get(13), "member " + i);
            }
        }
    }

    @Test
    void shouldCarrySessionsInAnInstalledSnapshot()
    {
        try (SimulatedCluster cluster = cluster(14, 40))
        {
            final Long2LongHashMap[] puts = countPuts(cluster);
            final int leader = cluster.awaitLeader(-1);
            final int follower = (leader + 1) % 3;
            cluster.crash(follower);
            for (int sequence = 1; sequence <= 200; sequence++)
            {
                // lowest unsettled stays 1: every sequence remains retryable (200 < the window)
                assertEquals(ProposalStatus.OK, offer(cluster, leader, sequence, SESSION, sequence, 1, 5000 + sequence));
                awaitOutcomes(cluster, leader, sequence);
            }
            cluster.restart(follower);
            final long deadline = cluster.nowNs() + 3000 * MS;
            while (cluster.agent(follower).snapshotInstallsReceived() + cluster.stateMachine(follower).snapshotsLoaded() == 0 ||
                cluster.agent(follower).appliedIndex() < cluster.agent(leader).appliedIndex())
            {
                assertTrue(cluster.nowNs() < deadline, "the follower did not catch up by a snapshot: " + cluster.describe());
                cluster.step();
            }
            final long snapshotIndex = cluster.agent(follower).lastSnapshotIndex();
            assertTrue(snapshotIndex > 152, "the follower's snapshot (index " + snapshotIndex + ") covers sequence 150");
            // sequence 150's original is inside the follower's installed snapshot; its retry must not apply there
            assertEquals(ProposalStatus.OK, offer(cluster, leader, 201, SESSION, 150, 1, 5150));
            awaitOutcomes(cluster, leader, 201);
            cluster.run(200 * MS);
            assertEquals(ProposalStatus.OK, outcomes.get(200)[1]);
            assertEquals(5150, outcomes.get(200)[3], "the retry is answered with the first result");
            assertEquals(0, puts[follower].get(5150), "the follower applied a retry its snapshot had settled");
            assertEquals(1, puts[leader].get(5150));
            assertEquals(cluster.stateMachine(leader).digest(), cluster.stateMachine(follower).digest());
            assertTrue(cluster.agent(follower).sessionReplays() > 0, "the follower replayed the retry from its table");
        }
    }

    /**
     * Seeded random schedule: a few sessions propose with windows of unsettled sequences, retry each proposal
     * at random nodes, while nodes crash and restart and snapshots are taken and installed. At the end every
     * node applied every (session, sequence) at most once per process, the nodes agree on the state, and retries
     * did reach the session table.
     */
    @Test
    void shouldApplyEverySequenceAtMostOnceUnderRetriesCrashesAndSnapshots()
    {
        final long seed = Long.getLong("octopii.sessions.seed", System.nanoTime());
        final int rounds = Integer.getInteger("octopii.sessions.rounds", 6);
        long retriesCaught = 0;
        for (int round = 0; round < rounds; round++)
        {
            try
            {
                retriesCaught += runRandomSchedule(seed + round);
            }
            catch (final AssertionError | RuntimeException ex)
            {
                throw new AssertionError("exactly-once schedule failed: replay with -Doctopii.sessions.seed=" +
                    (seed + round) + " -Doctopii.sessions.rounds=1", ex);
            }
        }
        // over all the schedules, not each: one schedule of six (seed 80175620908534) had no retry reach the table
        assertTrue(retriesCaught > 0, "no retry reached the session table in " + rounds + " schedules from seed " +
            seed + ": they tested nothing");
        System.out.println("ExactlyOnceSessionTest: " + rounds + " schedules from seed " + seed + " passed");
    }

    /** @return how many retries reached the nodes' session tables. */
    private long runRandomSchedule(final long seed)
    {
        outcomes.clear();
        final SplittableRandom random = new SplittableRandom(seed);
        try (SimulatedCluster cluster = cluster(seed, 40))
        {
            final Long2LongHashMap[] puts = countPuts(cluster);
            final int sessions = 3;
            final long[] nextSequence = new long[sessions];
            final long[] lowestUnsettled = new long[sessions];
            java.util.Arrays.fill(nextSequence, 1);
            java.util.Arrays.fill(lowestUnsettled, 1);
            final long[] okAnswers = new long[1];
            long correlation = 0;
            final long end = cluster.nowNs() + 6000 * MS;
            while (cluster.nowNs() < end)
            {
                final int s = random.nextInt(sessions);
                if (random.nextInt(4) == 0)
                {
                    // settle the oldest sequence (as if answered or given up) and open a new one
                    lowestUnsettled[s] = Math.min(nextSequence[s], lowestUnsettled[s] + 1);
                }
                final long sequence = nextSequence[s] - lowestUnsettled[s] < 8 && random.nextBoolean() ?
                    nextSequence[s]++ : lowestUnsettled[s] + random.nextLong(Math.max(1, nextSequence[s] - lowestUnsettled[s]));
                if (sequence >= nextSequence[s])
                {
                    nextSequence[s] = sequence + 1;
                }
                final long value = (s + 1) * 1_000_000L + sequence;
                for (int node = 0; node < cluster.nodeCount(); node++)
                {
                    if (cluster.isUp(node) && random.nextInt(3) == 0)
                    {
                        offer(cluster, node, ++correlation, SESSION + s, sequence, lowestUnsettled[s], value);
                    }
                }
                if (random.nextInt(100) == 0)
                {
                    final int victim = random.nextInt(cluster.nodeCount());
                    if (cluster.isUp(victim))
                    {
                        cluster.crash(victim);
                        puts[victim].clear(); // its next process replays the log above its snapshot
                    }
                }
                if (random.nextInt(150) == 0)
                {
                    for (int node = 0; node < cluster.nodeCount(); node++)
                    {
                        cluster.restart(node);
                    }
                }
                for (int i = 0; i < 5; i++)
                {
                    cluster.step();
                }
                for (int node = 0; node < cluster.nodeCount(); node++)
                {
                    if (cluster.isUp(node))
                    {
                        cluster.results(node).poll((c, status, logIndex, term, leaderId, buffer, offset, length) ->
                        {
                            okAnswers[0] += ProposalStatus.OK == status ? 1 : 0;
                        }, 1024);
                    }
                }
            }
            for (int node = 0; node < cluster.nodeCount(); node++)
            {
                cluster.restart(node);
            }
            // plain proposals: every node catches up past the schedule. At any leader: just after the restarts the
            // first may lose office while they are pending (seed 5397463530333: INDETERMINATE)
            final int leader = cluster.commitAtAnyLeader(20);
            cluster.run(500 * MS);
            final long digest = cluster.stateMachine(leader).digest();
            for (int node = 0; node < cluster.nodeCount(); node++)
            {
                assertEquals(digest, cluster.stateMachine(node).digest(), "state of member " + node + " vs leader " + leader);
                final Long2LongHashMap.KeyIterator values = puts[node].keySet().iterator();
                while (values.hasNext())
                {
                    final long value = values.nextValue();
                    if (value >= 1_000_000L)
                    {
                        assertEquals(1, puts[node].get(value), "member " + node + " applied value " + value + " (session " +
                            (value / 1_000_000L - 1) + ", sequence " + value % 1_000_000L + ") more than once in one process");
                    }
                }
            }
            long retriesCaught = 0;
            for (int node = 0; node < cluster.nodeCount(); node++)
            {
                retriesCaught += cluster.agent(node).sessionReplays() + cluster.agent(node).sessionDuplicates();
            }
            long installs = 0;
            long loads = 0;
            for (int node = 0; node < cluster.nodeCount(); node++)
            {
                installs += cluster.agent(node).snapshotInstallsReceived();
                loads += cluster.stateMachine(node).snapshotsLoaded();
            }
            System.out.println("  seed " + seed + ": " + correlation + " offers, " + okAnswers[0] + " answered OK, " +
                retriesCaught + " retries caught, " + cluster.crashes() + " crashes, " + installs + " snapshot installs, " + loads + " snapshot loads");
            assertTrue(okAnswers[0] > 0, "no exactly-once proposal was answered OK in the schedule");
            return retriesCaught;
        }
    }
}

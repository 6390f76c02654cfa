package io.octopii.engine.sim;

import io.octopii.engine.ProposalStatus;
import io.octopii.log.SnapshotStore;
import io.octopii.log.StreamFile;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Snapshots in the deterministic simulator: a follower behind the leader's compacted log catches up by an
 * install over the simulated snapshot lane (asserted through the install counters, and by the fact that the
 * entries it missed no longer exist in any log); restarts load the newest valid snapshot and replay above it;
 * a damaged snapshot is skipped for the previous one.
 */
class SnapshotInstallTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int KEYS = 50;

    private static SimulatedCluster.Options options(final long seed)
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = seed;
        options.snapshotIntervalEntries = 100;
        options.snapshotRetain = 1;
        options.segmentLength = 8 * 1024;
        return options;
    }

    @Test
    void shouldInstallSnapshotOnFollowerThatWasDownWhileTheLogWasCompacted()
    {
        try (SimulatedCluster cluster = new SimulatedCluster(options(3)))
        {
            final int leader = awaitLeader(cluster);
            final int follower = (leader + 1) % 3;
            write(cluster, 200, 0);
            cluster.crash(follower);
            write(cluster, 2000, 1);
            final long followerLast = cluster.log(leader).firstIndex(); // what the follower lacks is compacted away
            assertTrue(cluster.log(leader).firstIndex() > 250, "leader's log was not compacted past the follower: " +
                cluster.describe());
            for (int i = 0; i < 3; i++)
            {
                if (cluster.isUp(i))
                {
                    assertTrue(cluster.log(i).firstIndex() > 250, "member " + i + " still holds the entries the " +
                        "follower missed, so it could catch up by replay: " + cluster.describe());
                }
            }

            cluster.restart(follower);
            awaitCaughtUp(cluster, follower);

            assertEquals(1, cluster.agent(follower).snapshotInstallsReceived(), cluster.describe());
            assertEquals(1, cluster.agent(cluster.leaderId()).snapshotInstallsSent(), cluster.describe());
            assertTrue(cluster.log(follower).firstIndex() >= followerLast - 1,
                "the follower's log starts at the installed snapshot: " + cluster.describe());
            assertSameState(cluster);
            assertTrue(cluster.invariants().snapshotChecks() > 0, "no snapshot reached the invariant checker");
        }
    }

    @Test
    void shouldInstallSnapshotOnFollowerCutOffByAPartitionWhileTheLogWasCompacted()
    {
        try (SimulatedCluster cluster = new SimulatedCluster(options(5)))
        {
            final int leader = awaitLeader(cluster);
            final int follower = (leader + 2) % 3;
            write(cluster, 100, 0);
            cluster.network().isolate(follower);
            write(cluster, 2000, 1);
            assertTrue(cluster.log(cluster.leaderId()).firstIndex() > cluster.log(follower).lastIndex() + 1,
                "the leader still holds what the follower lacks: " + cluster.describe());
            final long installedBefore = cluster.agent(follower).snapshotInstallsReceived();

            cluster.network().heal();
            awaitCaughtUp(cluster, follower);

            assertEquals(installedBefore + 1, cluster.agent(follower).snapshotInstallsReceived(), cluster.describe());
            assertSameState(cluster);
        }
    }

    @Test
    void shouldResumeAnInterruptedInstallAfterThePartitionHeals()
    {
        final SimulatedCluster.Options options = options(9);
        options.snapshotChunkLength = 64; // a transfer spans many steps
        options.snapshotStallTimeoutNs = 10_000 * MS; // a cut stalls the fetch instead of failing it
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = awaitLeader(cluster);
            final int follower = (leader + 1) % 3;
            cluster.network().isolate(follower);
            write(cluster, 1500, 1);
            cluster.network().heal();
            final long deadline = cluster.nowNs() + 5000 * MS;
            while (cluster.snapshotLane().bytesMoved() == 0)
            {
                if (cluster.nowNs() >= deadline)
                {
                    fail("no snapshot bytes moved: " + cluster.describe());
                }
                cluster.step();
            }
            cluster.run(5 * MS);
            cluster.network().partition(leader, follower); // cut mid-transfer, then heal
            final long movedAtCut = cluster.snapshotLane().bytesMoved();
            cluster.run(100 * MS);
            assertEquals(movedAtCut, cluster.snapshotLane().bytesMoved(), "bytes moved across a partition");
            cluster.network().heal();
            awaitCaughtUp(cluster, follower);

            assertEquals(1, cluster.agent(follower).snapshotInstallsReceived(), cluster.describe());
            assertEquals(1, cluster.snapshotLane().fetchesCompleted(), "one fetch, resumed after the cut");
            assertEquals(0, cluster.snapshotLane().fetchesFailed());
            assertSameState(cluster);
        }
    }

    @Test
    void shouldRestartEveryNodeFromItsSnapshotAndReplayTheLogAboveIt()
    {
        try (SimulatedCluster cluster = new SimulatedCluster(options(21)))
        {
            awaitLeader(cluster);
            write(cluster, 1000, 1);
            cluster.run(200 * MS);
            for (int i = 0; i < 3; i++)
            {
                final long applied = cluster.agent(i).appliedIndex();
                assertEquals(applied, cluster.agent(i).takeSnapshot(), "on-demand snapshot of member " + i);
            }
            write(cluster, 30, 2); // fewer than the policy's interval: these stay in the log only
            cluster.run(200 * MS);
            final long[] digests = new long[3];
            for (int i = 0; i < 3; i++)
            {
                digests[i] = cluster.stateMachine(i).digest();
                assertTrue(cluster.agent(i).lastSnapshotIndex() > 0, "member " + i + " took no snapshot");
                assertTrue(cluster.agent(i).appliedIndex() > cluster.agent(i).lastSnapshotIndex(),
                    "member " + i + " has no log above its snapshot to replay");
            }
            for (int i = 0; i < 3; i++)
            {
                cluster.crash(i);
            }
            for (int i = 0; i < 3; i++)
            {
                cluster.restart(i);
            }
            for (int i = 0; i < 3; i++)
            {
                assertEquals(1, cluster.stateMachine(i).snapshotsLoaded(), "member " + i + " loaded no snapshot");
            }
            awaitLeader(cluster);
            cluster.run(300 * MS);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(digests[i], cluster.stateMachine(i).digest(), "member " + i + " state after restart: " +
                    cluster.describe());
            }
            assertSameState(cluster);
        }
    }

    @Test
    void shouldSkipADamagedSnapshotAndRestartFromThePreviousOne()
    {
        final SimulatedCluster.Options options = options(33);
        options.snapshotRetain = 2;
        final List<String> events = new ArrayList<>();
        options.printStorageEvents = false;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int leader = awaitLeader(cluster);
            final int follower = (leader + 1) % 3;
            write(cluster, 1000, 1);
            cluster.run(200 * MS);
            final long digest = cluster.stateMachine(follower).digest();
            cluster.crash(follower);

            final SnapshotStore store = new SnapshotStore(cluster.storage(follower), events::add);
            final String[] names = store.snapshotNames();
            assertEquals(2, names.length, "two snapshots kept");
            try (StreamFile newest = cluster.storage(follower).openStream(names[1]))
            {
                final UnsafeBuffer garbage = new UnsafeBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
                newest.write(SnapshotStore.HEADER_LENGTH + 4, garbage, 0, garbage.capacity());
                newest.force();
            }

            final long storageEventsBefore = cluster.storageEvents();
            cluster.restart(follower);
            assertTrue(cluster.storageEvents() > storageEventsBefore, "the skip was not reported");
            assertEquals(SnapshotStore.indexOf(names[0]), cluster.agent(follower).lastSnapshotIndex(),
                "the previous snapshot was loaded: " + cluster.describe());
            awaitCaughtUp(cluster, follower);
            assertEquals(digest, cluster.stateMachine(follower).digest());
            assertSameState(cluster);
        }
    }

    private static int awaitLeader(final SimulatedCluster cluster)
    {
        return cluster.awaitLeader(-1);
    }

    /** Write {@code count} puts through whoever leads, every one acknowledged OK. */
    private static void write(final SimulatedCluster cluster, final int count, final long valueBase)
    {
        final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
        final long[] ok = new long[1];
        int sent = 0;
        final long deadline = cluster.nowNs() + 30_000 * MS;
        while (ok[0] < count)
        {
            if (cluster.nowNs() >= deadline)
            {
                fail("only " + ok[0] + " of " + count + " writes acknowledged: " + cluster.describe());
            }
            final int leader = awaitLeader(cluster);
            while (sent < count && sent - ok[0] < 200)
            {
                KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, sent % KEYS, valueBase * 1_000_000 + sent);
                if (cluster.publisher(leader).offer(sent, command, 0, command.capacity()) != ProposalStatus.OK)
                {
                    break;
                }
                sent++;
            }
            cluster.step();
            cluster.results(leader).poll(
                (correlationId, status, logIndex, term, leaderId, buffer, offset, length) ->
                {
                    if (status != ProposalStatus.OK)
                    {
                        fail("write " + correlationId + " answered " + ProposalStatus.name(status));
                    }
                    ok[0]++;
                },
                1000);
        }
    }

    private static void awaitCaughtUp(final SimulatedCluster cluster, final int follower)
    {
        final long deadline = cluster.nowNs() + 10_000 * MS;
        while (true)
        {
            final int leader = cluster.leaderId();
            if (leader >= 0 && cluster.isUp(follower) &&
                cluster.agent(follower).appliedIndex() == cluster.agent(leader).commitIndex() &&
                cluster.agent(leader).commitIndex() == cluster.log(leader).lastIndex())
            {
                return;
            }
            if (cluster.nowNs() >= deadline)
            {
                fail("member " + follower + " did not catch up within 10 s: " + cluster.describe());
            }
            cluster.step();
        }
    }

    private static void assertSameState(final SimulatedCluster cluster)
    {
        final int leader = cluster.leaderId();
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            if (cluster.isUp(i))
            {
                for (int key = 0; key < KEYS; key++)
                {
                    assertEquals(cluster.stateMachine(leader).get(key), cluster.stateMachine(i).get(key),
                        "member " + i + " key " + key + ": " + cluster.describe());
                }
                assertEquals(cluster.stateMachine(leader).digest(), cluster.stateMachine(i).digest(), "member " + i);
            }
        }
    }
}

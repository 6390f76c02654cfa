package io.octopii.engine;

import io.octopii.engine.kv.KvCodec;
import io.octopii.engine.kv.KvText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots on real nodes over QUIC on loopback: a node that was down while every other node compacted its
 * log catches up by a snapshot shipped over the Shipping Lane (asserted through its status counters), and
 * all nodes restarted from their snapshots plus log hold identical key-value state.
 */
class OctopiiNodeSnapshotTest
{
    @TempDir
    File root;

    @Test
    void shouldInstallASnapshotOverTheShippingLaneOnANodeThatMissedTheCompactedLogAndRestartFromSnapshots()
        throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> ctx
            .segmentLength(64 * 1024)
            .snapshotRetain(1)).startAll())
        {
            OctopiiNode leader = cluster.awaitLeader(30_000);
            write(cluster, 0, 100);
            final int lagging = leader.nodeId() % 3 + 1;
            cluster.stop(lagging);
            write(cluster, 100, 3000);
            for (int id = 1; id <= 3; id++)
            {
                if (id != lagging)
                {
                    final OctopiiNode node = cluster.nodes[id];
                    final long written = cluster.awaitLeader(30_000).commitIndex();
                    LocalCluster.await(30_000, () -> "node " + node.nodeId() + " applied " + written,
                        () -> node.appliedIndex() >= written);
                    final long index = node.takeSnapshot().get(30, TimeUnit.SECONDS);
                    assertTrue(index >= written, "snapshot of node " + id + " at " + index + ", below " + written);
                    try (StatusReader status = new StatusReader(new File(root, "node-" + id)))
                    {
                        assertEquals(index, status.counter("last snapshot index"), "node " + id);
                        assertTrue(status.counter("snapshots taken") >= 1, "node " + id);
                    }
                }
            }
            write(cluster, 3000, 3100); // above the snapshots: replayed from the log after a restart

            cluster.start(lagging);
            leader = cluster.awaitLeader(30_000);
            final long committed = leader.commitIndex();
            LocalCluster.await(60_000, () -> "node " + lagging + " caught up to " + committed + ": " + cluster.describe(),
                () -> cluster.nodes[lagging].appliedIndex() >= committed);
            try (StatusReader status = new StatusReader(new File(root, "node-" + lagging)))
            {
                assertEquals(1, status.counter("snapshot installs received"),
                    "node " + lagging + " caught up by a snapshot install, not log replay");
            }
            // the leader counts an install when the follower's INSTALLED acknowledgement arrives, which can be after the
            // follower has applied past the snapshot: wait for it before counting
            LocalCluster.await(10_000, () -> "a leader counted the install it sent: " + cluster.describe(),
                () -> installsSent() >= 1);
            assertEquals(1, installsSent(), "installs sent, over every leader");

            final long appliedBeforeRestart = cluster.nodes[lagging].appliedIndex();
            final long[] digests = stopAllAndDigest(cluster);
            assertEquals(digests[1], digests[2], "nodes 1 and 2 hold the same state");
            assertEquals(digests[1], digests[3], "nodes 1 and 3 hold the same state");

            cluster.startAll();
            cluster.awaitLeader(30_000);
            LocalCluster.await(30_000, () -> "every node applied " + appliedBeforeRestart + ": " + cluster.describe(), () ->
            {
                for (int id = 1; id <= 3; id++)
                {
                    if (cluster.nodes[id].appliedIndex() < appliedBeforeRestart)
                    {
                        return false;
                    }
                }
                return true;
            });
            for (int id = 1; id <= 3; id++)
            {
                try (StatusReader status = new StatusReader(new File(root, "node-" + id)))
                {
                    final long snapshotIndex = status.counter("last snapshot index");
                    assertTrue(snapshotIndex > 3000, "node " + id + " started from a snapshot, last snapshot index " +
                        snapshotIndex + ", applied " + cluster.nodes[id].appliedIndex() + ": " + cluster.describe());
                }
            }
            final long[] restarted = stopAllAndDigest(cluster);
            for (int id = 1; id <= 3; id++)
            {
                assertEquals(digests[id], restarted[id], "node " + id + " after restarting from its snapshot and log");
            }
        }
    }

    private static long[] stopAllAndDigest(final LocalCluster cluster)
    {
        final long[] digests = new long[4];
        for (int id = 1; id <= 3; id++)
        {
            cluster.stop(id); // the state machine is read after its thread stopped
            digests[id] = cluster.stateMachines[id].store().digest();
        }
        return digests;
    }

    /** SETs {@code key-i} for i in [from, to) through whoever leads; a batch is sent again if leadership moved. */
    private static void write(final LocalCluster cluster, final int from, final int to) throws Exception
    {
        final List<CompletableFuture<byte[]>> inFlight = new ArrayList<>();
        for (int batch = from; batch < to; batch += 256)
        {
            for (int attempt = 1; ; attempt++)
            {
                final OctopiiNode leader = cluster.awaitLeader(30_000);
                inFlight.clear();
                for (int i = batch; i < Math.min(to, batch + 256); i++)
                {
                    inFlight.add(leader.propose(KvText.encode("SET key-" + i + " value " + i)));
                }
                try
                {
                    for (final CompletableFuture<byte[]> result : inFlight)
                    {
                        assertEquals(KvCodec.OK, result.get(30, TimeUnit.SECONDS)[0]);
                    }
                    break;
                }
                catch (final java.util.concurrent.ExecutionException ex)
                {
                    if (attempt == 5)
                    {
                        throw new AssertionError("batch at " + batch + " failed 5 times: " + cluster.describe(), ex);
                    }
                }
            }
        }
    }

    /** "snapshot installs sent", summed over the three nodes' status files. */
    private long installsSent()
    {
        long installsSent = 0;
        for (int id = 1; id <= 3; id++)
        {
            try (StatusReader status = new StatusReader(new File(root, "node-" + id)))
            {
                installsSent += status.counter("snapshot installs sent");
            }
        }
        return installsSent;
    }
}

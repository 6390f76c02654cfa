package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots with real processes (Aeron transport on loopback): nodes 1 and 2 take policy snapshots and
 * compact their logs while a client writes {@code -Doctopii.snapshot.keys} keys (default 100,000; run it with
 * 1,000,000 for the full-size check); node 3 then joins with an empty data directory and must catch up by a
 * snapshot install over the Shipping Lane (asserted through its status counters); then all three are
 * SIGKILLed and restarted, and each must come back from its newest snapshot plus the log above it with a
 * key-value digest identical to the one before, and identical on every node. Prints the write rate, the
 * snapshot pauses each node measured, the catch-up time and the time to recover.
 */
class SnapshotRestartTest
{
    private static final int CLIENT_ID = 100;

    @TempDir
    Path dir;

    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    @Test
    void shouldRestoreIdenticalStateOnEveryNodeAfterSnapshotsAndARestartOfAllThree() throws Exception
    {
        final int keys = Integer.getInteger("octopii.snapshot.keys", 100_000);
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("election.timeout.ms", "1000");
        settings.put("heartbeat.interval.ms", "100");
        settings.put("segment.length", String.valueOf(4 * 1024 * 1024));
        settings.put("snapshot.interval.entries", String.valueOf(Math.max(1000, keys / 4 - keys / 100))); // last: ~96% of keys
        settings.put("snapshot.retain", "2");
        try (NodeProcesses cluster = new NodeProcesses(dir, NodeContext.TransportKind.AERON, 3, new int[]{ CLIENT_ID },
            settings, Partitions.Mode.NONE, System.out))
        {
            cluster.start(1);
            cluster.start(2); // node 3 joins late, after the others compacted their logs
            final long[] digestBefore;
            try (OctopiiClient client = OctopiiClient.connect(cluster.clientContext(CLIENT_ID)))
            {
                final long writeStartNs = System.nanoTime();
                ClusterKv.writeKeys(client, 0, keys);
                final long writeNs = System.nanoTime() - writeStartNs;
                System.out.printf("wrote %,d keys in %.1f s (%,.0f writes/s)%n", keys, writeNs / 1e9, keys / (writeNs / 1e9));
                final long joinNs = System.nanoTime();
                cluster.start(3);
                digestBefore = ClusterKv.awaitSameDigest(client, keys, 180);
                System.out.printf("node 3 joined empty and caught up in %.1f s%n", (System.nanoTime() - joinNs) / 1e9);
            }
            assertEquals(1, cluster.counter(3, "snapshot installs received"),
                "node 3 caught up by a snapshot install over the Shipping Lane, not by replaying the log");
            assertEquals(1, cluster.counter(1, "snapshot installs sent") + cluster.counter(2, "snapshot installs sent"));
            for (int id = 1; id <= 2; id++)
            {
                final long taken = cluster.counter(id, "snapshots taken");
                assertTrue(taken >= 1, "node " + id + " took a policy snapshot");
                System.out.printf("node %d: %d snapshots taken, %,d bytes written, last at index %,d, last pause %.1f ms, " +
                    "longest pause %.1f ms%n",
                    id, taken, cluster.counter(id, "snapshot bytes written"), cluster.counter(id, "last snapshot index"),
                    cluster.counter(id, "last snapshot pause (us)") / 1000.0,
                    cluster.counter(id, "max snapshot pause (us)") / 1000.0);
            }

            for (int id = 1; id <= 3; id++)
            {
                cluster.kill(id); // SIGKILL: what is not forced is gone; snapshots and the DURABLE log are
            }
            final long restartNs = System.nanoTime();
            for (int id = 1; id <= 3; id++)
            {
                cluster.start(id);
            }
            try (OctopiiClient client = OctopiiClient.connect(cluster.clientContext(CLIENT_ID)))
            {
                final long[] digestAfter = ClusterKv.awaitSameDigest(client, keys, 120);
                System.out.printf("all three nodes restarted and answered the same digest in %.1f s%n",
                    (System.nanoTime() - restartNs) / 1e9);
                assertEquals(digestBefore[0], digestAfter[0], "digest before and after restarting every node");
                assertEquals(keys, digestAfter[1], "entries after the restart");
            }
            for (int id = 1; id <= 3; id++)
            {
                assertTrue(cluster.counter(id, "last snapshot index") > 0, "node " + id + " restarted from a snapshot");
                final String log = Files.readString(cluster.nodeDir(id).resolve("node.log"));
                assertFalse(log.contains("SnapshotStore: skipping"), "node " + id + " skipped a snapshot:\n" + log);
            }
        }
    }
}

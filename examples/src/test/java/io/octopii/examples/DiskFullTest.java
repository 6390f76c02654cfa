package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.kv.KvText;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Disk full on one node, with real processes (QUIC on loopback): every node's data directory is a small tmpfs, and
 * a filler file takes every free byte of the leader's. As soon as its log cannot allocate the next segment the
 * leader hands leadership to a healthy member; meanwhile it refuses proposals at once (STORAGE_FULL when a record
 * needs that segment, LEADERSHIP_TRANSFER during the hand-off), never by a time-out. The workload continues at the
 * new leader while the full node, a follower now, cannot append; its log reports "no space" once. Then the filler
 * is deleted: the node allocates again by itself and catches up, and all three end with the same state.
 */
class DiskFullTest
{
    private static final int CLIENT_ID = 100;

    @TempDir
    Path dir;

    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    @Test
    void shouldAnswerStorageFullHandOffLeadershipAndCatchUpWhenSpaceReturns() throws Exception
    {
        final String unavailable = DiskFullFault.unavailableReason();
        Assumptions.assumeTrue(null == unavailable, unavailable);
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("election.timeout.ms", "1000");
        settings.put("heartbeat.interval.ms", "100");
        settings.put("segment.length", String.valueOf(256 * 1024));
        // every node's data directory is a tmpfs: whichever leads gets the full disk
        final DiskFullFault[] disks = new DiskFullFault[4];
        try
        {
            for (int id = 1; id <= 3; id++)
            {
                disks[id] = DiskFullFault.mount(dir.resolve("node-" + id).resolve("data"), 8L * 1024 * 1024);
            }
            run(settings, disks);
        }
        finally
        {
            for (final DiskFullFault disk : disks)
            {
                if (null != disk)
                {
                    disk.close(); // after the processes stopped
                }
            }
        }
    }

    private void run(final Map<String, String> settings, final DiskFullFault[] disks) throws Exception
    {
        try (NodeProcesses cluster = new NodeProcesses(dir, NodeContext.TransportKind.QUIC, 3, new int[]{ CLIENT_ID },
            settings, Partitions.Mode.NONE, System.out))
        {
            for (int id = 1; id <= 3; id++)
            {
                cluster.start(id);
            }
            try (OctopiiClient client = OctopiiClient.connect(cluster.clientContext(CLIENT_ID)))
            {
                ClusterKv.writeKeys(client, 0, 1000);
                final int full = (int)cluster.counter(1, "leader id");
                assertTrue(full >= 1 && full <= 3, "a leader before the disk fills: " + full);
                final DiskFullFault disk = disks[full];
                final long filled = disk.fill();
                System.out.printf("filled node %d's tmpfs with %,d bytes (%,d free)%n", full, filled, disk.usableBytes());

                // write until the full leader has refused some and handed leadership over
                final int[] next = { 1000 };
                final long[] outcome = writeUntilHandedOff(cluster, client, next, full);
                System.out.printf("%,d writes ok, %,d answered STORAGE_FULL or LEADERSHIP_TRANSFER (slowest of those " +
                    "%.1f ms), %,d other failures, before node %d handed leadership to node %d%n",
                    outcome[0], outcome[1], outcome[3] / 1e6, outcome[2], full, cluster.counter(1, "leader id"));
                assertEquals(0, outcome[2], "every refusal was STORAGE_FULL or LEADERSHIP_TRANSFER (no time-outs)");
                assertTrue(cluster.counter(full, "leadership hand-offs on storage full") >= 1);
                assertEquals(1, cluster.counter(full, "log storage full ("), "node " + full + " reports its log full");

                ClusterKv.writeKeys(client, 0, next[0] + 3000); // the refused ones again, then more: all succeed
                assertEquals(1, cluster.counter(full, "log storage full ("), "still full while the others serve");
                final String fullLog = Files.readString(cluster.nodeDir(full).resolve("node.log"));
                assertEquals(1, fullLog.lines().filter(l -> l.contains("no space for a new log segment")).count(),
                    "one report while full:\n" + fullLog);

                final long freeNs = System.nanoTime();
                System.out.printf("freed: %,d bytes free%n", disk.free());
                ClusterKv.awaitSameDigest(client, next[0] + 3000, 120);
                System.out.printf("node %d allocated again and caught up %.1f s after the filler was deleted%n",
                    full, (System.nanoTime() - freeNs) / 1e9);
                assertEquals(0, cluster.counter(full, "log storage full ("));
                final int leader = (int)cluster.counter(1, "leader id");
                assertEquals(cluster.counter(leader, "commit index"), cluster.counter(full, "commit index"),
                    "node " + full + " reached the leader's commit index");
                final String log = Files.readString(cluster.nodeDir(full).resolve("node.log"));
                assertTrue(log.contains("space available again"), log);
                assertTrue(!log.contains("SIGBUS") && !log.contains("InternalError"), log);
                assertTrue(cluster.isAlive(full), "node " + full + " never crashed");
            }
        }
    }

    /**
     * Propose SETs from {@code next[0]} on (window 256) until node {@code full} no longer leads (it hands leadership
     * over as soon as its log cannot allocate the next segment; until then it answers STORAGE_FULL once a record needs
     * that segment, and LEADERSHIP_TRANSFER during the hand-off); returns {ok, refused (those two statuses), other
     * failures, slowest refusal in ns}.
     */
    private static long[] writeUntilHandedOff(
        final NodeProcesses cluster, final OctopiiClient client, final int[] next, final int full) throws Exception
    {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong storageFull = new AtomicLong();
        final AtomicLong other = new AtomicLong();
        final AtomicLong slowestFullNs = new AtomicLong();
        final Semaphore window = new Semaphore(256);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long leader = full;
        while (leader == full || leader < 0)
        {
            if ((next[0] & 63) == 0)
            {
                leader = cluster.counter(1, "leader id"); // maps the status file: not on every write
            }
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("node " + full + " did not refuse with STORAGE_FULL and hand leadership over " +
                    "within 120 s: " + ok + " ok, " + storageFull + " STORAGE_FULL, " + other + " other, leader " +
                    cluster.counter(1, "leader id") + ", storage full " + cluster.counter(full, "log storage full ("));
            }
            if (!window.tryAcquire(60, TimeUnit.SECONDS))
            {
                throw new AssertionError("no write answered within 60 s");
            }
            final int key = next[0]++;
            final long startNs = System.nanoTime();
            client.propose(KvText.encode(String.format("SET key-%07d value-%07d", key, key))).whenComplete((answer, error) ->
            {
                final Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (null == error)
                {
                    ok.incrementAndGet();
                }
                else if (cause instanceof OctopiiException &&
                    (((OctopiiException)cause).status() == ProposalStatus.STORAGE_FULL ||
                    ((OctopiiException)cause).status() == ProposalStatus.LEADERSHIP_TRANSFER))
                {
                    storageFull.incrementAndGet();
                    slowestFullNs.accumulateAndGet(System.nanoTime() - startNs, Math::max);
                }
                else
                {
                    other.incrementAndGet();
                }
                window.release();
            });
        }
        if (!window.tryAcquire(256, 120, TimeUnit.SECONDS))
        {
            throw new AssertionError("writes still outstanding after 120 s");
        }
        assertNotEquals(full, cluster.counter(1, "leader id"));
        return new long[]{ ok.get(), storageFull.get(), other.get(), slowestFullNs.get() };
    }
}

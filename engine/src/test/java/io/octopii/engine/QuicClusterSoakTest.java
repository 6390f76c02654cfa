package io.octopii.engine;

import io.octopii.transport.quic.QuicTransport;
import io.octopii.transport.quic.TransportEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak acceptance point for a cluster: three {@link OctopiiNode}s over real QUIC on localhost,
 * fsync'd (DURABLE), under continuous proposal load (a window of proposals always outstanding at the leader)
 * for the soak length, and no spurious election during it: the leader, its term and every node's
 * "elections started" counter stay as they were when the load began, and every proposal is answered.
 * Election timeout 1 s and heartbeats every 100 ms, as in the cluster rig. Length from
 * {@code -Doctopii.cluster.soak.seconds} (20 in CI; the reported run uses 120 or more).
 */
@Timeout(900)
class QuicClusterSoakTest
{
    private static final int WINDOW = 64;

    @TempDir
    File root;

    @Test
    void shouldKeepTheLeaderAndItsTermUnderContinuousProposalLoadOverQuic() throws Exception
    {
        final long seconds = Long.getLong("octopii.cluster.soak.seconds", 20);
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> ctx
            .initialLeader(1)
            .electionTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))).startAll())
        {
            final OctopiiNode leader = cluster.awaitLeader(30_000);
            LocalCluster.await(30_000, () -> "every link CONNECTED: " + cluster.describe(), cluster::isEveryLinkUp);
            final long term = leader.term();
            final long[] electionsBefore = new long[4];
            for (int id = 1; id <= 3; id++)
            {
                electionsBefore[id] = elections(cluster, id);
            }
            final long[] linkUpBefore = new long[4];
            for (int id = 1; id <= 3; id++)
            {
                linkUpBefore[id] = quic(cluster, id).count(TransportEvent.LINK_UP);
            }

            final Semaphore window = new Semaphore(WINDOW);
            final AtomicLong answered = new AtomicLong();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final byte[] value = new byte[64];
            final long startNs = System.nanoTime();
            final long endNs = startNs + TimeUnit.SECONDS.toNanos(seconds);
            long proposed = 0;
            String change = null;
            while (System.nanoTime() < endNs && failure.get() == null && change == null)
            {
                if (!window.tryAcquire(10, TimeUnit.MILLISECONDS))
                {
                    change = changed(cluster, leader, term);
                    continue;
                }
                final byte[] command = ("SET key-" + (proposed % 1024) + " " + new String(value, StandardCharsets.ISO_8859_1))
                    .getBytes(StandardCharsets.ISO_8859_1);
                final CompletableFuture<byte[]> outcome = leader.propose(command);
                proposed++;
                outcome.whenComplete((answer, error) ->
                {
                    if (error != null)
                    {
                        failure.compareAndSet(null, error);
                    }
                    else
                    {
                        answered.incrementAndGet();
                    }
                    window.release();
                });
                if ((proposed & 1023) == 0)
                {
                    change = changed(cluster, leader, term);
                }
            }
            final boolean drained = window.tryAcquire(WINDOW, 30, TimeUnit.SECONDS);
            final double elapsed = (System.nanoTime() - startNs) / 1e9;

            final StringBuilder summary = new StringBuilder(String.format(
                "CLUSTER SOAK %.1f s over QUIC, DURABLE, window %d: %d proposals answered (%.0f/s), leader %d term %d; " +
                "load average %.1f; ", elapsed, WINDOW, answered.get(), answered.get() / elapsed, leader.nodeId(), term,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
            for (int id = 1; id <= 3; id++)
            {
                summary.append("node ").append(id).append(": elections ").append(electionsBefore[id]).append("->")
                    .append(elections(cluster, id)).append(", ").append(quic(cluster, id).countersSummary()).append("| ");
            }
            System.out.println(summary);

            assertEquals(null, failure.get(), "a proposal failed: " + summary);
            assertEquals(null, change, "leadership changed during the soak: " + summary);
            assertEquals(null, changed(cluster, leader, term), "leadership changed during the soak: " + summary);
            for (int id = 1; id <= 3; id++)
            {
                assertEquals(electionsBefore[id], elections(cluster, id), "node " + id + " started an election: " + summary);
                assertEquals(0, quic(cluster, id).count(TransportEvent.CONSENSUS_STALLED),
                    "node " + id + " reconnected a stalled consensus channel: " + summary);
                assertEquals(linkUpBefore[id], quic(cluster, id).count(TransportEvent.LINK_UP),
                    "node " + id + " re-established a link: " + summary);
            }
            assertTrue(drained, "every outstanding proposal was answered: " + summary);
            assertTrue(answered.get() > seconds * 50, "proposals answered: " + summary);
        }
    }

    /** What changed about leadership since the load began, or null. */
    private static String changed(final LocalCluster cluster, final OctopiiNode leader, final long term)
    {
        if (!leader.isLeader() || leader.term() != term)
        {
            return "leader " + leader.nodeId() + " now " + Role.name(leader.role()) + " in term " + leader.term();
        }
        for (int id = 1; id <= 3; id++)
        {
            final OctopiiNode node = cluster.nodes[id];
            if (node.term() != term || node.leaderId() != leader.nodeId())
            {
                return "node " + id + " in term " + node.term() + " follows " + node.leaderId() + ": " + cluster.describe();
            }
        }
        return null;
    }

    private static long elections(final LocalCluster cluster, final int id)
    {
        try (StatusReader reader = new StatusReader(cluster.nodes[id].context().dataDir()))
        {
            return reader.counter("elections started");
        }
    }

    private static QuicTransport quic(final LocalCluster cluster, final int id)
    {
        return (QuicTransport)cluster.nodes[id].transport();
    }
}

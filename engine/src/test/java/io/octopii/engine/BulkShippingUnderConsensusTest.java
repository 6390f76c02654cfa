package io.octopii.engine;

import io.octopii.engine.kv.KvText;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.shipping.ShipmentResult;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bulk transfers on the same QUIC links as consensus: the leader of a live three-node cluster ships four files
 * (two to each follower) over its node's Shipping Lane while a client keeps writing. Heartbeats must keep
 * flowing: no node may start an election (terms and leader unchanged), every write keeps succeeding, and every
 * file arrives byte-identical. {@code -Doctopii.shipping.bulkMiB=N} sets the file size (default 100 MiB).
 */
class BulkShippingUnderConsensusTest
{
    private static final int FILE_MIB = Integer.getInteger("octopii.shipping.bulkMiB", 100);

    @TempDir
    File root;

    @Test
    void shouldKeepHeartbeatsFlowingWhileFourLargeTransfersRun() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> {}).startAll())
        {
            final OctopiiNode leader = cluster.awaitLeader(30_000);
            assertEquals("OK", text(leader.propose(KvText.encode("SET warm up")).get(10, TimeUnit.SECONDS)));
            final long[] termsBefore = new long[4];
            final long[] electionsBefore = new long[4];
            for (int id = 1; id <= 3; id++)
            {
                termsBefore[id] = cluster.nodes[id].term();
                electionsBefore[id] = elections(cluster, id);
            }

            final List<Path> files = new ArrayList<>();
            final List<byte[]> digests = new ArrayList<>();
            for (int i = 0; i < 4; i++)
            {
                final Path file = root.toPath().resolve("bulk-" + i + ".bin");
                digests.add(writeRandomFile(file, FILE_MIB * 1024L * 1024L, 1000 + i));
                files.add(file);
            }

            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicLong writes = new AtomicLong();
            final AtomicLong slowestWriteNs = new AtomicLong();
            final List<Throwable> writeErrors = new ArrayList<>();
            final Thread writer = new Thread(() ->
            {
                while (writing.get())
                {
                    final long startNs = System.nanoTime();
                    try
                    {
                        final String answer = text(leader.propose(KvText.encode("SET k" + writes.get() + " v"))
                            .get(10, TimeUnit.SECONDS));
                        assertEquals("OK", answer);
                        writes.incrementAndGet();
                        slowestWriteNs.accumulateAndGet(System.nanoTime() - startNs, Math::max);
                    }
                    catch (final Throwable t)
                    {
                        synchronized (writeErrors)
                        {
                            writeErrors.add(t);
                        }
                        return;
                    }
                }
            }, "bulk-test-writer");
            writer.start();

            final long startNs = System.nanoTime();
            final List<Shipment> shipments = new ArrayList<>();
            final int[] receivers = new int[4];
            for (int i = 0; i < 4; i++)
            {
                receivers[i] = followerIds(leader)[i % 2];
                shipments.add(leader.shippingLane().send(receivers[i], files.get(i)));
            }
            for (int i = 0; i < 4; i++)
            {
                final ShipmentResult result = shipments.get(i).result().get(600, TimeUnit.SECONDS);
                assertEquals(ShipmentOutcome.VERIFIED, result.outcome(), "shipment " + i + ": " + result.reason());
            }
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            writing.set(false);
            writer.join(30_000);

            for (int i = 0; i < 4; i++)
            {
                final Path received = new File(root, "node-" + receivers[i]).toPath()
                    .resolve("shipments").resolve(files.get(i).getFileName());
                assertTrue(Files.exists(received), received + " exists");
                assertArrayEquals(digests.get(i), sha256(received), "content of " + received);
            }
            for (int id = 1; id <= 3; id++)
            {
                assertEquals(termsBefore[id], cluster.nodes[id].term(),
                    "node " + id + " changed term during the transfers (an election started): " + cluster.describe());
                assertEquals(leader.nodeId(), cluster.nodes[id].leaderId(), "node " + id + "'s leader");
                // a follower that missed heartbeats for an election timeout starts a pre-vote round, which a
                // live leader's followers refuse without any term change: only this counter shows it
                assertEquals(electionsBefore[id], elections(cluster, id),
                    "node " + id + " started an election round (pre-vote included) during the transfers: " +
                    cluster.describe());
            }
            assertTrue(writeErrors.isEmpty(), "writes failed during the transfers: " + writeErrors);
            assertTrue(writes.get() > 0, "no write completed during the transfers");
            System.out.printf("4 x %d MiB over QUIC in %.1f s (%.1f MB/s in total); %d writes meanwhile, slowest %.1f ms;" +
                " no election (elections started per node: %d, %d, %d)%n", FILE_MIB, seconds,
                4.0 * FILE_MIB * 1.048576 / seconds, writes.get(), slowestWriteNs.get() / 1e6,
                elections(cluster, 1), elections(cluster, 2), elections(cluster, 3));
        }
    }

    private static long elections(final LocalCluster cluster, final int id)
    {
        try (StatusReader reader = new StatusReader(cluster.nodes[id].context().dataDir()))
        {
            return reader.counter("elections started");
        }
    }

    private static int[] followerIds(final OctopiiNode leader)
    {
        final int[] followers = new int[2];
        for (int id = 1, f = 0; id <= 3; id++)
        {
            if (id != leader.nodeId())
            {
                followers[f++] = id;
            }
        }
        return followers;
    }

    private static byte[] writeRandomFile(final Path file, final long length, final long seed) throws Exception
    {
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] block = new byte[1024 * 1024];
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
        {
            for (long written = 0; written < length; written += block.length)
            {
                for (int i = 0; i < block.length; i += 8)
                {
                    final long value = random.nextLong();
                    for (int b = 0; b < 8; b++)
                    {
                        block[i + b] = (byte)(value >>> (8 * b));
                    }
                }
                final int n = (int)Math.min(block.length, length - written);
                out.write(block, 0, n);
                digest.update(block, 0, n);
            }
        }
        return digest.digest();
    }

    private static byte[] sha256(final Path file) throws Exception
    {
        final MessageDigest digest = MessageDigest.getInstance("SHA-256");
        final byte[] block = new byte[1024 * 1024];
        try (java.io.InputStream in = Files.newInputStream(file))
        {
            int n;
            while ((n = in.read(block)) > 0)
            {
                digest.update(block, 0, n);
            }
        }
        return digest.digest();
    }

    private static String text(final byte[] answer)
    {
        return KvText.describe(new UnsafeBuffer(answer), 0, answer.length);
    }
}

package io.octopii.engine;

import io.octopii.engine.kv.KvCodec;
import io.octopii.engine.kv.KvText;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class OctopiiNodeTest
{
    @TempDir
    File root;

    @Test
    void shouldReplicateKvWritesOverQuicAndSurviveLosingTheLeader() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> {}).startAll())
        {
            OctopiiNode leader = cluster.awaitLeader(30_000);
            long appliedBefore = leader.appliedIndex();
            for (int i = 0; i < 200; i++)
            {
                assertEquals("OK", text(leader.propose(command("SET key-" + i + " value " + i)).get(10, TimeUnit.SECONDS)));
                // the counters are published before the future completes: they include the write just acknowledged
                final long applied = leader.appliedIndex();
                assertTrue(applied > appliedBefore && leader.commitIndex() >= applied,
                    "write " + i + " acknowledged with applied index " + applied + " (before it " + appliedBefore +
                    "), commit index " + leader.commitIndex());
                appliedBefore = applied;
            }

            final OctopiiNode follower = follower(cluster, leader);
            final ExecutionException notLeader = assertThrows(ExecutionException.class,
                () -> follower.propose(command("SET x y")).get(10, TimeUnit.SECONDS));
            final OctopiiException redirect = (OctopiiException)notLeader.getCause();
            assertEquals(ProposalStatus.NOT_LEADER, redirect.status(), redirect.getMessage());
            assertEquals(leader.nodeId(), redirect.leaderId());
            assertNotNull(redirect.leaderAddress(), "NOT_LEADER names the leader's address");

            final long committed = leader.commitIndex();
            LocalCluster.await(10_000, () -> "all nodes applied " + committed + ": " + cluster.describe(), () ->
            {
                for (int id = 1; id <= 3; id++)
                {
                    if (cluster.nodes[id].appliedIndex() < committed)
                    {
                        return false;
                    }
                }
                return true;
            });
            for (int id = 1; id <= 3; id++)
            {
                assertEquals("value 199",
                    text(cluster.nodes[id].query(command("GET key-199"), QueryPolicy.LOCAL).get(10, TimeUnit.SECONDS)),
                    "LOCAL read on node " + id);
            }

            // The Shipping Lane runs on the node's own endpoint beside consensus: ship a file follower -> leader.
            final java.nio.file.Path file = new File(root, "payload.bin").toPath();
            final byte[] payload = new byte[3 * 1024 * 1024 + 17];
            new java.util.SplittableRandom(7).nextBytes(payload);
            java.nio.file.Files.write(file, payload);
            final long termBefore = leader.term();
            final io.octopii.shipping.ShipmentResult shipped =
                follower.shippingLane().send(leader.nodeId(), file).result().get(60, TimeUnit.SECONDS);
            assertTrue(shipped.isChecksumVerified(), shipped.toString());
            assertEquals(payload.length, shipped.totalLength());
            final java.nio.file.Path received = new File(root, "node-" + leader.nodeId() + "/shipments/payload.bin").toPath();
            LocalCluster.await(10_000, () -> "file received at " + received, () -> java.nio.file.Files.exists(received));
            assertArrayEquals(payload, java.nio.file.Files.readAllBytes(received), "shipped bytes");
            assertEquals(termBefore, leader.term(), "no election while shipping");

            final int oldLeader = leader.nodeId();
            cluster.stop(oldLeader);
            leader = cluster.awaitLeader(30_000);
            assertNotEquals(oldLeader, leader.nodeId());
            for (int i = 200; i < 300; i++)
            {
                assertEquals("OK", text(leader.propose(command("SET key-" + i + " value " + i)).get(10, TimeUnit.SECONDS)));
            }
            for (int i = 0; i < 300; i += 37)
            {
                assertEquals("value " + i, text(leader.propose(command("GET key-" + i)).get(10, TimeUnit.SECONDS)),
                    "acknowledged write key-" + i + " after leader change");
            }

            cluster.start(oldLeader);
            final OctopiiNode currentLeader = leader;
            LocalCluster.await(30_000, () -> "restarted node " + oldLeader + " caught up: " + cluster.describe(),
                () -> cluster.nodes[oldLeader].appliedIndex() >= currentLeader.commitIndex());
            assertEquals("value 299",
                text(cluster.nodes[oldLeader].query(command("GET key-299"), QueryPolicy.LOCAL).get(10, TimeUnit.SECONDS)));
        }
    }

    @Test
    void shouldElectTheInitialLeaderOfABrandNewClusterWithoutWaitingForTheElectionTimeout() throws Exception
    {
        // Election timeouts of 20 s: without initialLeader nobody could lead within the 15 s we wait.
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> ctx
            .initialLeader(2)
            .electionTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(50))).startAll())
        {
            final OctopiiNode leader = cluster.awaitLeader(15_000);
            assertEquals(2, leader.nodeId(), cluster.describe());
            assertEquals("OK", text(leader.propose(command("SET a b")).get(10, TimeUnit.SECONDS)));

            cluster.nodes[3].campaign(); // a healthy leader is not disrupted: voters refuse the pre-vote
            assertEquals("b", text(leader.propose(command("GET a")).get(10, TimeUnit.SECONDS)));
            assertEquals(2, cluster.awaitLeader(10_000).nodeId(), cluster.describe());
        }
    }

    @Test
    void shouldServeLinearizableAndLeaseReadsOnEveryNodeAndTransferLeadership() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> {}).startAll())
        {
            final OctopiiNode leader = cluster.awaitLeader(30_000);
            assertEquals("OK", text(leader.propose(command("SET k v1")).get(10, TimeUnit.SECONDS)));
            assertEquals(3, leader.membership().voterCount(), leader.membership().toString());
            assertEquals(cluster.members.get(0).host() + ":" + cluster.members.get(0).port(),
                leader.membership().address(cluster.members.get(0).id()), "membership carries the addresses");
            for (int id = 1; id <= 3; id++)
            {
                // linearizable right after the write was acknowledged, on followers too (read index from the leader)
                assertEquals("v1", text(cluster.nodes[id].query(command("GET k"), QueryPolicy.LINEARIZABLE)
                    .get(10, TimeUnit.SECONDS)), "LINEARIZABLE read on node " + id);
                assertEquals("v1", text(cluster.nodes[id].query(command("GET k"), QueryPolicy.LEASE)
                    .get(10, TimeUnit.SECONDS)), "LEASE read on node " + id);
            }

            final OctopiiNode follower = follower(cluster, leader);
            final ExecutionException notLeader = assertThrows(ExecutionException.class,
                () -> follower.transferLeadership(leader.nodeId()).get(10, TimeUnit.SECONDS));
            assertEquals(ProposalStatus.NOT_LEADER, ((OctopiiException)notLeader.getCause()).status());
            final ExecutionException notMember = assertThrows(ExecutionException.class,
                () -> leader.transferLeadership(42).get(10, TimeUnit.SECONDS));
            assertEquals(OctopiiException.FAILED, ((OctopiiException)notMember.getCause()).status(),
                notMember.getCause().getMessage());

            transferLeadership(cluster, leader, follower.nodeId());
            LocalCluster.await(10_000, () -> "node " + follower.nodeId() + " leads after the transfer: " + cluster.describe(),
                follower::isLeader);
            assertEquals("OK", text(follower.propose(command("SET k v2")).get(10, TimeUnit.SECONDS)));
            assertEquals("v2", text(leader.query(command("GET k"), QueryPolicy.LINEARIZABLE).get(10, TimeUnit.SECONDS)),
                "the old leader, now a follower, reads the new leader's write");

            // a transfer to a member that is down cannot complete: it times out and the leader carries on, with the
            // third member, once that member follows it (under load it may still be catching up with the new term)
            final long v2Index = follower.commitIndex();
            final int third = 6 - leader.nodeId() - follower.nodeId();
            LocalCluster.await(10_000, () -> "node " + third + " follows node " + follower.nodeId() + " at index " + v2Index +
                ": " + cluster.describe() + cluster.describeTransports(), () ->
                cluster.nodes[third].term() == follower.term() && cluster.nodes[third].appliedIndex() >= v2Index);
            final int down = leader.nodeId();
            cluster.stop(down);
            final ExecutionException timedOut = assertThrows(ExecutionException.class,
                () -> follower.transferLeadership(down).get(10, TimeUnit.SECONDS));
            assertEquals(OctopiiException.TIMED_OUT, ((OctopiiException)timedOut.getCause()).status(),
                timedOut.getCause().getMessage());
            assertTrue(follower.isLeader(), cluster.describe());
            final byte[] v3;
            try
            {
                v3 = follower.propose(command("SET k v3")).get(10, TimeUnit.SECONDS);
            }
            catch (final ExecutionException ex)
            {
                throw new AssertionError("proposal after the failed transfer: " + ex.getCause().getMessage() +
                    "; nodes " + cluster.describe() + cluster.describeTransports(), ex);
            }
            assertEquals("OK", text(v3), "proposals accepted again after the failed transfer");
        }
    }

    @Test
    void shouldRejectBadConfigurationWithMessagesNamingTheProblem()
    {
        final String members = "1@localhost:17001,2@localhost:17002,3@localhost:17003";
        assertInvalid(new NodeContext().nodeId(4).members(members), "nodeId (4) is missing from members");
        assertInvalid(new NodeContext().nodeId(1).members("1@localhost:17001,1@localhost:17002"), "duplicate member id 1");
        assertInvalid(new NodeContext().nodeId(1).members(members)
            .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(100)).heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(60)),
            "electionTimeoutNs (100ms) must be at least 3 x heartbeatIntervalNs (60ms)");
        assertInvalid(new NodeContext().nodeId(1).members(members).leaseClockDriftNs(TimeUnit.SECONDS.toNanos(1)),
            "leaseClockDriftNs (1000ms) must be at least 0 and below electionTimeoutNs (500ms)");
        assertInvalid(new NodeContext().nodeId(1).members(members).maxPendingReads(0),
            "maxPendingReads (0) must be positive");
        assertInvalid(new NodeContext().nodeId(1).members(members).readTimeoutNs(0), "readTimeoutNs (0) positive");
        final File notADirectory = new File(root, "file");
        assertDoesNotThrow(() -> java.nio.file.Files.write(notADirectory.toPath(), new byte[1]));
        assertInvalid(new NodeContext().nodeId(1).members(members).dataDir(new File(notADirectory, "data")),
            "is not a writable directory");
        assertInvalid(new NodeContext().nodeId(1).members(members).dataDir(root), "stateMachine must be set");
    }

    @Test
    void shouldFailToStartWithAClearMessageWhenThePortIsInUse() throws Exception
    {
        try (LocalCluster cluster = new LocalCluster(3, root, ctx -> {}))
        {
            final int port = cluster.members.get(0).port();
            try (java.net.DatagramSocket taken = new java.net.DatagramSocket(port, java.net.InetAddress.getLoopbackAddress()))
            {
                final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> cluster.start(1));
                assertTrue(ex.getMessage().contains(":" + port), ex.getMessage());
            }
        }
    }

    private static void assertInvalid(final NodeContext ctx, final String expected)
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, ctx::conclude);
        assertTrue(ex.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + ex.getMessage());
    }

    /**
     * A transfer gives up after one election timeout (TIMED_OUT, the leader carries on): on a loaded two-core host
     * the target's catch-up and election can take longer, and an unrelated election may move the leadership, so the
     * test asks whoever leads then, up to five times.
     */
    private static void transferLeadership(final LocalCluster cluster, final OctopiiNode leader, final int targetId)
        throws Exception
    {
        OctopiiNode current = leader;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                current.transferLeadership(targetId).get(10, TimeUnit.SECONDS);
                return;
            }
            catch (final ExecutionException ex)
            {
                final OctopiiException cause = (OctopiiException)ex.getCause();
                if (OctopiiException.TIMED_OUT != cause.status() || attempt == 5)
                {
                    throw new AssertionError("transfer to " + targetId + ", attempt " + attempt + ": " +
                        cause.getMessage() + "; " + cluster.describe(), ex);
                }
            }
            current = cluster.awaitLeader(10_000);
            if (current.nodeId() == targetId)
            {
                return;
            }
        }
    }

    private static OctopiiNode follower(final LocalCluster cluster, final OctopiiNode leader)
    {
        for (int id = 1; id <= 3; id++)
        {
            if (id != leader.nodeId())
            {
                return cluster.nodes[id];
            }
        }
        throw new AssertionError("no follower");
    }

    static byte[] command(final String text)
    {
        return KvText.encode(text);
    }

    static String text(final byte[] response)
    {
        return KvText.describe(new UnsafeBuffer(response), 0, response.length);
    }
}

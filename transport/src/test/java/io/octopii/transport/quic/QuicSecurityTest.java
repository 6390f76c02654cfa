package io.octopii.transport.quic;

import io.octopii.codec.Framing;
import io.octopii.codec.sbe.HandshakeStatus;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.agrona.concurrent.UnsafeBuffer;
import tech.kwik.core.QuicStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.octopii.transport.quic.QuicTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers that do not belong are refused and counted, garbage closes only its stream, and real peers
 * are served throughout. Members 2 and 3 run; the rogue plays member 1 (or a stranger). Also: a member
 * that connects again replaces its older session, and a dialler refuses a certificate for another host.
 */
@Timeout(120)
class QuicSecurityTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final TestMessages messages = new TestMessages();
    private QuicTestCluster cluster;

    @BeforeEach
    void setUp()
    {
        // short enough for the silent-connection test, long enough for a cold rogue client to send its Hello: with
        // 500 ms a JDK 25 run closed the rogue's connection before its Hello ("Connection closed" on the refusal read)
        cluster = QuicTestCluster.start(3, (ctx) -> ctx.handshakeTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
        cluster.stop(1);
        await(20_000, "members 2 and 3 connected", () -> cluster.transport(2).linkState(3) == Transport.LinkState.CONNECTED);
    }

    @AfterEach
    void tearDown()
    {
        cluster.close();
    }

    private QuicTransport member2()
    {
        return cluster.transport(2);
    }

    /**
     * A rogue connected to member 2, once member 2's server has accepted the QUIC connection. In a JDK 25 verify on a
     * loaded host a rogue's connect() returned but member 2 never finished its side of the TLS handshake (no
     * CONNECTION_ACCEPTED, no refusal, no handshake timeout, three Kwik errors logged) and the connection was closed
     * 20 s later: a handshake Kwik did not complete, not the refusal under test. Such a connection is replaced, up to
     * three times, and reported.
     */
    private RogueClient rogue() throws Exception
    {
        for (int attempt = 1; ; attempt++)
        {
            final long accepted = member2().count(TransportEvent.CONNECTION_ACCEPTED);
            final RogueClient rogue = new RogueClient(cluster.members().get(1), QuicTestCluster.certificates());
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (member2().count(TransportEvent.CONNECTION_ACCEPTED) == accepted && System.nanoTime() < deadlineNs)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (member2().count(TransportEvent.CONNECTION_ACCEPTED) > accepted)
            {
                return rogue;
            }
            rogue.close();
            final String what = "member 2's server did not accept the rogue's QUIC connection within 5 s (attempt " +
                attempt + "): " + member2().countersSummary();
            if (attempt == 3)
            {
                throw new AssertionError(what);
            }
            System.out.println("QuicSecurityTest: " + what + "; connecting again");
        }
    }

    @Test
    void shouldRefuseAPeerWithTheWrongSecret() throws Exception
    {
        try (RogueClient rogue = rogue())
        {
            final LinkHandshake.Refusal refusal = handshake(rogue, new LinkHandshake(
                QuicTestCluster.CLUSTER_ID, 1, "not-the-cluster-secret-at-all!!".getBytes()).skipPeerProofCheck(), 2);
            assertNotNull(refusal, "a wrong secret must be refused");
            assertEquals(HandshakeStatus.BAD_PROOF, refusal.status, refusal.getMessage());
        }
        awaitCount(TransportEvent.REFUSED_BAD_PROOF);
        assertTrue(member2().lastRefusal().contains("failed to prove the cluster secret"), member2().lastRefusal());
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseAPeerFromAnotherCluster() throws Exception
    {
        try (RogueClient rogue = rogue())
        {
            final LinkHandshake.Refusal refusal =
                handshake(rogue, new LinkHandshake(777, 1, QuicTestCluster.SECRET), 2);
            assertNotNull(refusal);
            assertEquals(HandshakeStatus.WRONG_CLUSTER, refusal.status, refusal.getMessage());
        }
        awaitCount(TransportEvent.REFUSED_WRONG_CLUSTER);
        assertTrue(member2().lastRefusal().contains("cluster 777"), member2().lastRefusal());
        assertRealPeersStillServed();
    }

    @Test
    void shouldLetASlowDiallerReadWhyItWasRefused() throws Exception
    {
        final long timeoutsBefore = member2().count(TransportEvent.REFUSED_HANDSHAKE_TIMEOUT);
        try (RogueClient rogue = rogue())
        {
            final QuicStream stream = rogue.connection.createStream(true);
            // the rogue reads the refusal only once member 2 has counted it, and a second later: a dialler held up
            // that long by a loaded host (until session 8 the acceptor hung up after 100 ms and took the reason along)
            final InputStream slowReader = new FilterInputStream(stream.getInputStream())
            {
                private boolean isFirstRead = true;

                @Override
                public int read(final byte[] bytes, final int offset, final int length) throws IOException
                {
                    if (isFirstRead)
                    {
                        isFirstRead = false;
                        awaitCount(TransportEvent.REFUSED_WRONG_CLUSTER);
                        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                    }
                    return super.read(bytes, offset, length);
                }
            };
            final LinkHandshake.Refusal refusal = assertThrows(LinkHandshake.Refusal.class,
                () -> new LinkHandshake(777, 1, QuicTestCluster.SECRET).dial(slowReader, stream.getOutputStream(), 2),
                "a wrong cluster must be refused");
            assertEquals(HandshakeStatus.WRONG_CLUSTER, refusal.status, refusal.getMessage());
        }
        assertEquals(timeoutsBefore, member2().count(TransportEvent.REFUSED_HANDSHAKE_TIMEOUT),
            "a refused session is no handshake timeout: " + member2().countersSummary());
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseANodeThatIsNotAMember() throws Exception
    {
        try (RogueClient rogue = rogue())
        {
            final LinkHandshake.Refusal refusal =
                handshake(rogue, new LinkHandshake(QuicTestCluster.CLUSTER_ID, 9, QuicTestCluster.SECRET), 2);
            assertNotNull(refusal);
            assertEquals(HandshakeStatus.UNKNOWN_MEMBER, refusal.status, refusal.getMessage());
        }
        awaitCount(TransportEvent.REFUSED_UNKNOWN_MEMBER);
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseAPeerSpeakingAnotherProtocolVersion() throws Exception
    {
        try (RogueClient rogue = rogue())
        {
            final LinkHandshake.Refusal refusal = handshake(rogue,
                new LinkHandshake(QuicTestCluster.CLUSTER_ID, 1, QuicTestCluster.SECRET).versions(7, 9), 2);
            assertNotNull(refusal);
            assertEquals(HandshakeStatus.PROTOCOL_VERSION_MISMATCH, refusal.status, refusal.getMessage());
        }
        awaitCount(TransportEvent.REFUSED_PROTOCOL_VERSION);
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseAConnectionThatNeverShakesHandsAndDropItsTraffic() throws Exception
    {
        // counted from here: a real member's dial that missed the handshake timeout while the JVM warmed up
        // (JDK 25 runs failed on an exact count of 1) is not the rogue's refusal
        final long before = member2().count(TransportEvent.REFUSED_HANDSHAKE_TIMEOUT);
        try (RogueClient rogue = rogue())
        {
            rogue.sendStream(new byte[]{1, 2, 3, 4});
            rogue.connection.sendDatagram(new byte[]{1, 0, 0, 0, 0});
            await(15_000, () -> "the silent connection is refused after the handshake timeout (" + before +
                " such refusals before it): " + member2().countersSummary(),
                () -> member2().count(TransportEvent.REFUSED_HANDSHAKE_TIMEOUT) > before);
        }
        assertTrue(member2().count(TransportEvent.UNAUTHENTICATED_TRAFFIC_DROPPED) >= 1,
            member2().countersSummary());
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseAServerWhoseCertificateComesFromAnotherCa() throws Exception
    {
        assertThrows(IOException.class, () -> new RogueClient(
            cluster.members().get(1), QuicTestCluster.foreignCertificates()).close(),
            "TLS with a foreign trust store must fail");
        cluster.close();
        cluster = QuicTestCluster.start(2, (ctx) ->
        {
            if (ctx.localMemberId() == 2)
            {
                ctx.keyStorePath(DevCertificates.nodeKeyStore(QuicTestCluster.foreignCertificates(), 2));
            }
        });
        await(10_000, "member 1 fails to dial the member with a foreign certificate",
            () -> cluster.transport(1).count(TransportEvent.DIAL_FAILED) >= 2);
        assertNotEquals(Transport.LinkState.CONNECTED, cluster.transport(1).linkState(2));
        assertNotEquals(Transport.LinkState.CONNECTED, cluster.transport(2).linkState(1));
    }

    @Test
    void shouldCloseOnlyTheStreamThatCarriesGarbageAndCountWhy() throws Exception
    {
        try (RogueClient rogue = rogue())
        {
            assertNull(handshake(rogue, new LinkHandshake(QuicTestCluster.CLUSTER_ID, 1, QuicTestCluster.SECRET), 2));
            await(5_000, "member 2 accepted the rogue as member 1",
                () -> member2().linkState(1) == Transport.LinkState.CONNECTED);

            rogue.sendStream(new byte[]{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
            await(5_000, "a garbage batch header is counted", () -> member2().count(TransportEvent.MALFORMED_BATCH) == 1);

            final byte[] message = new byte[12];
            final UnsafeBuffer m = new UnsafeBuffer(message);
            m.putShort(0, (short)0, ByteOrder.LITTLE_ENDIAN);
            m.putShort(2, (short)3, ByteOrder.LITTLE_ENDIAN);
            m.putShort(4, (short)4242, ByteOrder.LITTLE_ENDIAN);  // wrong schema
            rogue.sendBatch(Channel.RPC, 1, message);
            await(5_000, "a malformed SBE frame is counted", () -> member2().count(TransportEvent.MALFORMED_FRAME) == 1);
            assertEquals(0, member2().poll((from, channel, buf, offset, length) ->
            {
                throw new AssertionError("garbage reached the handler");
            }, 10));
        }
        assertRealPeersStillServed();
    }

    @Test
    void shouldReplaceTheSessionOfAMemberThatConnectsAgainAndCarryItsTrafficOnTheNewOne() throws Exception
    {
        final long linkUpsBefore = member2().count(TransportEvent.LINK_UP);
        final long linkDownsBefore = member2().count(TransportEvent.LINK_DOWN);
        try (RogueClient first = rogue(); RogueClient second = rogue())
        {
            assertNull(handshake(first, new LinkHandshake(QuicTestCluster.CLUSTER_ID, 1, QuicTestCluster.SECRET), 2));
            await(5_000, "member 2 accepted the first connection as member 1",
                () -> member2().linkState(1) == Transport.LinkState.CONNECTED);
            assertNull(handshake(second, new LinkHandshake(QuicTestCluster.CLUSTER_ID, 1, QuicTestCluster.SECRET), 2));
            await(5_000, () -> "member 2 closes the connection the second one replaced: " + member2().countersSummary(),
                () -> !first.connection.isConnected());
            // member 2 closes the replaced connection, then counts the new link up (a JDK 25 run read the count
            // between the two): wait for it, bounded
            await(5_000, () -> "member 2 counts the second link up: " + member2().countersSummary(),
                () -> member2().count(TransportEvent.LINK_UP) == linkUpsBefore + 2);
            assertEquals(linkDownsBefore, member2().count(TransportEvent.LINK_DOWN),
                "the link stays up while its session is replaced: " + member2().countersSummary());
            assertEquals(Transport.LinkState.CONNECTED, member2().linkState(1));

            final int length = messages.small(buffer, 0, 4141, 1);
            final byte[] message = new byte[length];
            buffer.getBytes(0, message);
            second.sendBatch(Channel.RPC, 1, message);
            final long[] fromOne = {0};
            await(10_000, () -> "member 2 receives member 1's message on the new connection: " +
                member2().countersSummary(), () ->
            {
                member2().poll(
                    (from, channel, buf, offset, len) -> fromOne[0] = from == 1 ? messages.value(buf, offset) : -1, 10);
                return fromOne[0] != 0;
            });
            assertEquals(4141, fromOne[0]);

            final int reply = messages.small(buffer, 0, 4242, 2);
            await(10_000, "member 2 queues a message for member 1", () ->
                member2().offer(1, Channel.RPC, buffer, 0, reply) > 0);
            assertEquals(4242, readBatchValue(second), "member 2's message arrives on the new connection");
            assertTrue(first.peerStreams.isEmpty(), "nothing went to the replaced connection");
        }
    }

    @Test
    void shouldRefuseADialFromAHigherIdSoThatOnlyTheLowerIdDials() throws Exception
    {
        // Only the lower id of a pair dials, so two members never dial each other at the same time: a dial from
        // member 3, which member 2 dials itself, is refused and leaves the link member 2 dialled in place.
        final long linkUpsBefore = member2().count(TransportEvent.LINK_UP);
        try (RogueClient rogue = rogue())
        {
            final LinkHandshake.Refusal refusal =
                handshake(rogue, new LinkHandshake(QuicTestCluster.CLUSTER_ID, 3, QuicTestCluster.SECRET), 2);
            assertNotNull(refusal, "member 3 must not dial member 2");
            assertEquals(HandshakeStatus.UNKNOWN_MEMBER, refusal.status, refusal.getMessage());
        }
        awaitCount(TransportEvent.REFUSED_UNKNOWN_MEMBER);
        assertEquals(linkUpsBefore, member2().count(TransportEvent.LINK_UP), member2().countersSummary());
        assertEquals(Transport.LinkState.CONNECTED, member2().linkState(3));
        assertRealPeersStillServed();
    }

    @Test
    void shouldRefuseAServerWhoseCertificateNamesAnotherHost() throws Exception
    {
        // The same server and trust store, dialled by the host its certificate names and by its address.
        final MemberAddress byName = cluster.members().get(1);
        new RogueClient(byName, QuicTestCluster.certificates()).close();
        final IOException refused = assertThrows(IOException.class, () -> new RogueClient(
            new MemberAddress(2, "127.0.0.1", byName.port()), QuicTestCluster.certificates()).close(),
            "a certificate for localhost must not pass for 127.0.0.1");
        assertTrue(String.valueOf(refused.getMessage()).contains("servername does not match"), refused.toString());
        cluster.close();

        try (QuicTestCluster matching = clusterDialling("127.0.0.1", "127.0.0.1"))
        {
            matching.awaitFullyConnected(20_000);
        }
        assertNeverConnects("127.0.0.1", "localhost");
        assertNeverConnects("localhost", "127.0.0.1");
    }

    /** Two members that dial each other by {@code host}, with certificates (and CA) for {@code certificateHost}. */
    private static QuicTestCluster clusterDialling(final String host, final String certificateHost)
    {
        final Path certificates = QuicTestCluster.certificates(certificateHost);
        return QuicTestCluster.start(2, (ctx) ->
        {
            final List<MemberAddress> members = new ArrayList<>();
            for (final MemberAddress member : ctx.members())
            {
                members.add(new MemberAddress(member.id(), host, member.port()));
            }
            ctx.members(members)
                .keyStorePath(DevCertificates.nodeKeyStore(certificates, ctx.localMemberId()))
                .trustStorePath(DevCertificates.trustStore(certificates));
        });
    }

    private static void assertNeverConnects(final String host, final String certificateHost)
    {
        try (QuicTestCluster mismatched = clusterDialling(host, certificateHost))
        {
            final QuicTransport dialler = mismatched.transport(1);
            await(10_000, () -> "member 1 fails three dials of " + host + " with a certificate for " + certificateHost +
                ": " + dialler.countersSummary(), () -> dialler.count(TransportEvent.DIAL_FAILED) >= 3);
            assertNotEquals(Transport.LinkState.CONNECTED, dialler.linkState(2), dialler.countersSummary());
            assertNotEquals(Transport.LinkState.CONNECTED, mismatched.transport(2).linkState(1));
            assertEquals(0, dialler.count(TransportEvent.LINK_UP), dialler.countersSummary());
            final QuicTransport dialled = mismatched.transport(2);
            assertEquals(0, dialled.count(TransportEvent.LINK_UP), dialled.countersSummary());
        }
    }

    /** The value of the message in the next stream batch member 2 sent the rogue; a batch reset under it is skipped. */
    private long readBatchValue(final RogueClient rogue) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadlineNs < 0)
        {
            final QuicStream stream = rogue.peerStreams.poll(100, TimeUnit.MILLISECONDS);
            if (stream == null)
            {
                continue;
            }
            try
            {
                final InputStream in = stream.getInputStream();
                final UnsafeBuffer header = new UnsafeBuffer(in.readNBytes(StreamBatchDescriptor.HEADER_LENGTH));
                final int length = header.getInt(StreamBatchDescriptor.LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
                return messages.value(new UnsafeBuffer(in.readNBytes(length)), Framing.LENGTH_PREFIX);
            }
            catch (final IOException ex)
            {
                // member 2 abandoned this copy (no receipt from the rogue) and sends the batch again on a fresh stream
            }
        }
        throw new AssertionError("no stream batch reached the rogue within 10 s: " + member2().countersSummary());
    }

    /** The rogue's handshake with member 2; a broken-off one fails with member 2's account of it. */
    private LinkHandshake.Refusal handshake(final RogueClient rogue, final LinkHandshake handshake, final int targetId)
    {
        try
        {
            return rogue.handshake(handshake, targetId);
        }
        catch (final IOException ex)
        {
            throw new AssertionError("the rogue's handshake broke off (" + ex + "); member 2's last refusal: " +
                member2().lastRefusal() + "; " + member2().countersSummary(), ex);
        }
    }

    /** The refusal is counted just after the rogue reads the HandshakeResult: wait for it, bounded. */
    private void awaitCount(final TransportEvent event)
    {
        await(5_000, () -> event + " counted once: " + member2().countersSummary(), () -> member2().count(event) == 1);
    }

    private void assertRealPeersStillServed()
    {
        final int length = messages.small(buffer, 0, 4242, 2);
        final QuicTransport three = cluster.transport(3);
        await(10_000, "member 2 still talks to member 3", () ->
            member2().offer(3, Channel.CONSENSUS, buffer, 0, length) > 0);
        final int[] received = {0};
        await(10_000, "member 3 receives from member 2 after the rogue left", () ->
        {
            received[0] += three.poll((from, channel, buf, offset, len) -> assertEquals(2, from), 10);
            return received[0] >= 1;
        });
    }
}

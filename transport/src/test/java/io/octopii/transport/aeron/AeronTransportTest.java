package io.octopii.transport.aeron;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.Transport.LinkState;
import io.octopii.transport.TransportContext;
import io.octopii.transport.conformance.ConformanceMessages;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AeronTransportTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> delivered = new ArrayList<>();
    private final Transport.InboundHandler handler = (from, channel, buffer, offset, length) ->
        delivered.add(from + "/" + channel);

    @AfterEach
    void close()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
    }

    @Test
    void shouldRefuseToLaunchWhenEncryptionIsRequired() throws Exception
    {
        final AeronTransport.Context ctx = AeronTestContexts.small(1, AeronTestSupport.loopbackMembers(2))
            .requireEncryption(true);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> AeronTransport.launch(ctx));
        assertTrue(ex.getMessage().contains("requireEncryption") && ex.getMessage().contains("QUIC"), ex.getMessage());
    }

    @Test
    void shouldNameTheSettingWhenTheContextIsInvalid() throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(2);
        assertConcludeFails("termBufferLength (100000)", AeronTestContexts.small(1, members).termBufferLength(100_000));
        assertConcludeFails("maxMessageLength (9000)", AeronTestContexts.small(1, members).maxMessageLength(9000));
        assertConcludeFails("peerTimeoutNs", AeronTestContexts.small(1, members).peerTimeoutNs(1));
        assertConcludeFails("localMemberId (5)", AeronTestContexts.small(5, members));
        assertConcludeFails("aeronDirectoryName", AeronTestContexts.small(1, members).launchEmbeddedDriver(false));
        assertConcludeFails("mtuLength (1000)", AeronTestContexts.small(1, members).mtuLength(1000));
    }

    @Test
    void shouldDeriveMaxMessageLengthFromTheTermLength() throws Exception
    {
        final AeronTransport.Context ctx = AeronTestContexts.small(1, AeronTestSupport.loopbackMembers(2)).conclude();
        assertEquals(8 * 1024, ctx.maxMessageLength());
        assertTrue(ctx.aeronDirectoryName().contains("octopii-aeron-1-"), ctx.aeronDirectoryName());
    }

    @Test
    void shouldTakeMembershipFromTheNodesTransportContext() throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(3);
        final TransportContext transportContext = new TransportContext().members(members).localMemberId(2).clusterId(99);
        final AeronTransport.Context ctx = new AeronTransport.Context().transportContext(transportContext).conclude();
        assertEquals(members, ctx.members());
        assertEquals(2, ctx.localMemberId());
        assertEquals(99, ctx.clusterId());
    }

    @Test
    void shouldReportRefusedBothWaysBetweenMembersOfDifferentClusters() throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(2);
        final AeronTransport one = launch(AeronTestContexts.small(1, members));
        final AeronTransport two = launch(AeronTestContexts.small(2, members).clusterId(AeronTestContexts.CLUSTER_ID + 1));

        AeronTestSupport.await(WAIT_NS,
            () -> one.linkState(2) == LinkState.REFUSED && two.linkState(1) == LinkState.REFUSED,
            () -> "links are " + one.linkState(2) + " / " + two.linkState(1) + ", not REFUSED", handler, one, two);
        assertTrue(one.count(AeronTransportEvent.HELLO_WRONG_CLUSTER) > 0);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = new ConformanceMessages().encode(buffer, 1, 0, 0, ConformanceMessages.MIN_LENGTH);
        assertEquals(Transport.NOT_CONNECTED, one.offer(2, Channel.CONSENSUS, buffer, 0, length));
        assertTrue(delivered.isEmpty());
    }

    @Test
    void shouldExchangeMessagesThroughAnExternalDriverAndADriverInInvokerMode() throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(2);
        final String externalDir = new File(System.getProperty("java.io.tmpdir"),
            "octopii-aeron-external-" + System.nanoTime()).getPath();
        final MediaDriver external = MediaDriver.launchEmbedded(new MediaDriver.Context()
            .aeronDirectoryName(externalDir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new SleepingMillisIdleStrategy(1)));
        closeables.add(external);

        final AeronTransport one = launch(AeronTestContexts.small(1, members)
            .launchEmbeddedDriver(false)
            .aeronDirectoryName(externalDir));
        final AeronTransport two = launch(AeronTestContexts.small(2, members)
            .driverThreadingMode(ThreadingMode.INVOKER));
        AeronTestSupport.awaitConnected(WAIT_NS, one, two);

        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        final ConformanceMessages messages = new ConformanceMessages();
        int length = messages.encode(buffer, 1, Channel.RPC.ordinal(), 0, 3000);
        assertTrue(one.offer(2, Channel.RPC, buffer, 0, length) > 0);
        length = messages.encode(buffer, 2, Channel.CONSENSUS.ordinal(), 0, 100);
        assertTrue(two.offer(1, Channel.CONSENSUS, buffer, 0, length) > 0);
        AeronTestSupport.await(WAIT_NS, () -> delivered.size() == 2, () -> "delivered only " + delivered,
            handler, one, two);
        assertTrue(delivered.contains("1/RPC") && delivered.contains("2/CONSENSUS"), delivered.toString());

        one.close();
        assertTrue(new File(externalDir).exists(), "an external driver's directory is not ours to delete");
        final String embeddedDir = two.context().aeronDirectoryName();
        two.close();
        assertFalse(new File(embeddedDir).exists(), "embedded driver directory left behind: " + embeddedDir);
    }

    private AeronTransport launch(final AeronTransport.Context ctx)
    {
        final AeronTransport transport = AeronTransport.launch(ctx);
        closeables.add(transport);
        return transport;
    }

    private static void assertConcludeFails(final String expected, final AeronTransport.Context ctx)
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, ctx::conclude);
        assertTrue(ex.getMessage().contains(expected), "'" + ex.getMessage() + "' should name " + expected);
    }
}

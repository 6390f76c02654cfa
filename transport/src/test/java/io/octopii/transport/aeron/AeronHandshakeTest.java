package io.octopii.transport.aeron;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.octopii.codec.FrameReason;
import io.octopii.codec.sbe.HelloEncoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.Transport.LinkState;
import io.octopii.transport.conformance.ConformanceMessages;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Link membership: only images that said a valid Hello (this cluster, a member's node id, an overlapping
 * protocol version range) are attributed to a member. Raw Aeron publications play the strangers: each is
 * a new image, so each case starts from "unknown sender".
 */
class AeronHandshakeTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    private List<MemberAddress> members;
    private AeronTransport transport;
    private Aeron stranger;
    private final List<String> delivered = new ArrayList<>();
    private final Transport.InboundHandler handler = (from, channel, buffer, offset, length) ->
        delivered.add(from + "/" + channel + "/" + length);
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final ConformanceMessages messages = new ConformanceMessages();

    @BeforeEach
    void launch() throws Exception
    {
        members = AeronTestSupport.loopbackMembers(2);
        transport = AeronTransport.launch(AeronTestContexts.small(1, members));
        stranger = Aeron.connect(new Aeron.Context().aeronDirectoryName(transport.context().aeronDirectoryName()));
    }

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(stranger, transport);
    }

    @Test
    void shouldDropAndCountMessagesFromAnImageThatNeverSaidHello()
    {
        final ExclusivePublication publication = connectStranger();
        offer(publication, message());
        awaitCount(AeronTransportEvent.UNKNOWN_SENDER_DROPPED, 1);
        assertTrue(delivered.isEmpty(), "delivered " + delivered);
    }

    @Test
    void shouldAttributeMessagesToTheMemberNamedByAValidHello()
    {
        final ExclusivePublication publication = connectStranger();
        offer(publication, hello(AeronTestContexts.CLUSTER_ID, 2, 1, 1));
        offer(publication, message());
        AeronTestSupport.await(WAIT_NS, () -> !delivered.isEmpty(), () -> "message after a valid Hello not delivered",
            handler, transport);
        assertEquals(List.of("2/CONSENSUS/" + ConformanceMessages.MIN_LENGTH), delivered);
        assertEquals(1, transport.count(AeronTransportEvent.HELLO_ACCEPTED));
    }

    @Test
    void shouldDropHelloFromAnotherClusterAndEverythingAfterItAndReportTheLinkRefused()
    {
        assertHelloAndFollowingMessageDropped(AeronTestContexts.CLUSTER_ID + 1, 2, 1, 1,
            AeronTransportEvent.HELLO_WRONG_CLUSTER);
        AeronTestSupport.await(WAIT_NS, () -> transport.linkState(2) == LinkState.REFUSED,
            () -> "link to member 2 is " + transport.linkState(2) + ", not REFUSED", handler, transport);
    }

    @Test
    void shouldDropHelloFromANodeThatIsNotAMember()
    {
        assertHelloAndFollowingMessageDropped(AeronTestContexts.CLUSTER_ID, 77, 1, 1,
            AeronTransportEvent.HELLO_UNKNOWN_MEMBER);
    }

    @Test
    void shouldDropHelloWithNoCommonProtocolVersion()
    {
        assertHelloAndFollowingMessageDropped(AeronTestContexts.CLUSTER_ID, 2, 50, 60,
            AeronTransportEvent.HELLO_PROTOCOL_VERSION_MISMATCH);
    }

    @Test
    void shouldDropAndCountMalformedMessagesByReason()
    {
        final ExclusivePublication publication = connectStranger();
        offer(publication, hello(AeronTestContexts.CLUSTER_ID, 2, 1, 1));
        final int length = messages.encode(buffer, 2, 0, 1, ConformanceMessages.MIN_LENGTH);
        buffer.putShort(4, (short)4242); // schema id
        offer(publication, length);
        awaitCount(AeronTransportEvent.MALFORMED_FRAME, 1);
        assertEquals(1, transport.malformedCount(FrameReason.WRONG_SCHEMA_ID));

        messages.encode(buffer, 2, 0, 2, ConformanceMessages.MIN_LENGTH);
        offer(publication, length - 3); // var data runs past the end
        awaitCount(AeronTransportEvent.MALFORMED_FRAME, 2);
        assertEquals(1, transport.malformedCount(FrameReason.VAR_DATA_EXCEEDS_FRAME));
        assertTrue(delivered.isEmpty(), "delivered " + delivered);

        offer(publication, message()); // the image is still attributed: good messages keep flowing
        AeronTestSupport.await(WAIT_NS, () -> delivered.size() == 1, () -> "valid message after malformed ones",
            handler, transport);
    }

    private void assertHelloAndFollowingMessageDropped(
        final long clusterId, final int nodeId, final int minVersion, final int maxVersion,
        final AeronTransportEvent expected)
    {
        final ExclusivePublication publication = connectStranger();
        offer(publication, hello(clusterId, nodeId, minVersion, maxVersion));
        offer(publication, message());
        awaitCount(expected, 1);
        awaitCount(AeronTransportEvent.UNKNOWN_SENDER_DROPPED, 1);
        assertEquals(0, transport.count(AeronTransportEvent.HELLO_ACCEPTED));
        assertTrue(delivered.isEmpty(), "delivered " + delivered);
    }

    private ExclusivePublication connectStranger()
    {
        final MemberAddress self = members.get(0);
        final ExclusivePublication publication = stranger.addExclusivePublication(new ChannelUriStringBuilder()
            .media("udp").endpoint(self.host() + ":" + self.port()).termLength(64 * 1024).build(),
            transport.context().streamIdBase() + Channel.CONSENSUS.ordinal());
        AeronTestSupport.await(WAIT_NS, publication::isConnected, () -> "stranger publication not connected",
            handler, transport);
        return publication;
    }

    private int message()
    {
        return messages.encode(buffer, 2, Channel.CONSENSUS.ordinal(), 1, ConformanceMessages.MIN_LENGTH);
    }

    private int hello(final long clusterId, final int nodeId, final int minVersion, final int maxVersion)
    {
        final HelloEncoder encoder = new HelloEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .clusterId(clusterId)
            .nodeId(nodeId)
            .minProtocolVersion(minVersion)
            .maxProtocolVersion(maxVersion)
            .putNonce(new byte[32], 0, 32);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private void offer(final ExclusivePublication publication, final int length)
    {
        offer(publication, buffer, length);
    }

    private void offer(final ExclusivePublication publication, final DirectBuffer source, final int length)
    {
        final long[] result = new long[1];
        AeronTestSupport.await(WAIT_NS, () -> (result[0] = publication.offer(source, 0, length)) > 0,
            () -> "stranger offer still " + result[0], handler, transport);
    }

    private void awaitCount(final AeronTransportEvent event, final long expected)
    {
        AeronTestSupport.await(WAIT_NS, () -> transport.count(event) >= expected,
            () -> event + " counted " + transport.count(event) + " times, expected " + expected, handler, transport);
    }
}

package io.octopii.transport.aeron;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.MessageHandler;
import io.octopii.codec.internal.SchemaConstants;
import io.octopii.codec.sbe.HelloDecoder;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * Decodes inbound traffic: polls this node's subscriptions (one per channel, consensus first), passes
 * every message through the codec's {@link FrameDispatcher}, attributes it to a member by the image it
 * arrived on, and hands it to the engine's handler straight out of the Aeron term buffer (or out of the
 * {@link FragmentAssembler}'s buffer when it exceeded the MTU) — no copy of ours.
 *
 * <p>An image is attributed to a member only once it carried a valid {@code Hello} (right cluster id, a
 * member's node id, an overlapping protocol version range). Messages on other images are dropped and
 * counted; so are malformed messages. Hellos are consumed here and never reach the handler.
 *
 * <p><b>Thread:</b> the polling (engine agent) thread only. <b>Allocation:</b> none per message; a new
 * image's first fragmented message allocates its reassembly buffer inside Aeron's assembler.
 */
final class AeronInboundAdapter implements MessageHandler
{
    private static final int NULL_MEMBER_ID = -1;

    private final long clusterId;
    private final int localMemberId;
    private final Int2ObjectHashMap<AeronPeer> peerByMemberId;
    private final AeronTransportCounters counters;
    private final FrameDispatcher frameDispatcher;
    private final Subscription[] subscriptions;
    private final Int2IntHashMap[] memberIdBySessionId;
    private final FragmentHandler[] fragmentHandlers;
    private final FragmentAssembler[] assemblers;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final HelloDecoder helloDecoder = new HelloDecoder();

    private Transport.InboundHandler handler;
    private int delivered;
    private int fragmentChannel;
    private int fragmentSubscription;
    private final int subscriptionsPerChannel;
    private int fragmentSessionId;
    private int fragmentMemberId;

    AeronInboundAdapter(
        final AeronTransport.Context ctx,
        final Subscription[] subscriptions,
        final Int2ObjectHashMap<AeronPeer> peerByMemberId,
        final AeronTransportCounters counters)
    {
        this.clusterId = ctx.clusterId();
        this.localMemberId = ctx.localMemberId();
        this.subscriptions = subscriptions;
        this.peerByMemberId = peerByMemberId;
        this.counters = counters;
        this.frameDispatcher = new FrameDispatcher(ctx.maxMessageLength());
        this.subscriptionsPerChannel = ctx.subscriptionsPerChannel();

        final int channelCount = subscriptions.length;
        final boolean needsReassembly = ctx.maxMessageLength() > ctx.maxPayloadLength();
        memberIdBySessionId = new Int2IntHashMap[channelCount];
        fragmentHandlers = new FragmentHandler[channelCount];
        assemblers = new FragmentAssembler[channelCount];
        for (int i = 0; i < channelCount; i++)
        {
            memberIdBySessionId[i] = new Int2IntHashMap(4 * ctx.members().size(), 0.65f, NULL_MEMBER_ID);
            final FragmentHandler channelHandler = new ChannelFragmentHandler(i);
            if (needsReassembly)
            {
                assemblers[i] = new FragmentAssembler(channelHandler, ctx.maxMessageLength(), true);
                fragmentHandlers[i] = assemblers[i];
            }
            else
            {
                fragmentHandlers[i] = channelHandler;
            }
        }
    }

    /**
     * Deliver up to {@code limit} messages, consensus channel first so bulk never delays heartbeats.
     *
     * @return messages delivered to the handler.
     */
    int poll(final Transport.InboundHandler handler, final int limit)
    {
        this.handler = handler;
        delivered = 0;
        for (int i = 0; i < subscriptions.length; i++)
        {
            final int remaining = limit - delivered;
            if (remaining <= 0)
            {
                break;
            }
            // Fragments >= messages, so a fragment limit of `remaining` never delivers more than asked.
            subscriptions[i].poll(fragmentHandlers[i], remaining);
        }
        this.handler = null;
        return delivered;
    }

    long malformedCount(final int reason)
    {
        return frameDispatcher.rejections(reason);
    }

    private void onFragment(final int channel, final DirectBuffer buffer, final int offset, final int length,
        final Header header)
    {
        fragmentSubscription = channel;
        fragmentChannel = channel / subscriptionsPerChannel;
        fragmentSessionId = header.sessionId();
        fragmentMemberId = memberIdBySessionId[channel].get(fragmentSessionId);
        final int reason = frameDispatcher.dispatchMessage(buffer, offset, length, this);
        if (reason != FrameReason.OK)
        {
            counters.increment(AeronTransportEvent.MALFORMED_FRAME);
        }
    }

    /** {@inheritDoc} */
    public void onMessage(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int templateId,
        final int blockLength,
        final int version)
    {
        if (templateId == HelloDecoder.TEMPLATE_ID)
        {
            onHello(buffer, offset, blockLength, version);
            return;
        }

        final int memberId = fragmentMemberId;
        if (memberId == NULL_MEMBER_ID)
        {
            counters.increment(AeronTransportEvent.UNKNOWN_SENDER_DROPPED);
            return;
        }

        final AeronPeer peer = peerByMemberId.get(memberId);
        peer.framesReceived++;
        delivered++;
        handler.onMessage(memberId, AeronTransport.CHANNELS[fragmentChannel], buffer, offset, length);
    }

    private void onHello(final DirectBuffer buffer, final int offset, final int blockLength, final int version)
    {
        helloDecoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, blockLength, version);
        final long peerClusterId = helloDecoder.clusterId();
        final int nodeId = helloDecoder.nodeId();
        final AeronPeer peer = nodeId == localMemberId ? null : peerByMemberId.get(nodeId);

        if (null == peer)
        {
            counters.increment(AeronTransportEvent.HELLO_UNKNOWN_MEMBER);
            return;
        }
        if (peerClusterId != clusterId)
        {
            counters.increment(AeronTransportEvent.HELLO_WRONG_CLUSTER);
            peer.isRefused = true;
            return;
        }
        if (helloDecoder.maxProtocolVersion() < SchemaConstants.MIN_SCHEMA_VERSION ||
            helloDecoder.minProtocolVersion() > SchemaConstants.SCHEMA_VERSION)
        {
            counters.increment(AeronTransportEvent.HELLO_PROTOCOL_VERSION_MISMATCH);
            peer.isRefused = true;
            return;
        }

        final int channel = fragmentChannel;
        final int sessionId = fragmentSessionId;
        final int previousSessionId = peer.inboundSessionIds[channel];
        if (previousSessionId != sessionId || fragmentMemberId != nodeId)
        {
            // A new image: the member started, restarted or re-connected. Forget the old image (its
            // late messages are dropped) and ask the link agent to say Hello back at once, because
            // the member may have restarted without our publication noticing.
            final Int2IntHashMap sessions = memberIdBySessionId[fragmentSubscription];
            if (previousSessionId != AeronPeer.NULL_SESSION_ID && sessions.get(previousSessionId) == nodeId)
            {
                sessions.remove(previousSessionId);
                if (null != assemblers[fragmentSubscription])
                {
                    assemblers[fragmentSubscription].freeSessionBuffer(previousSessionId);
                }
            }
            sessions.put(sessionId, nodeId);
            peer.inboundSessionIds[channel] = sessionId;
            peer.rehelloRequests++;
            counters.increment(AeronTransportEvent.HELLO_ACCEPTED);
        }
        peer.isRefused = false;
        peer.framesReceived++;
    }

    private final class ChannelFragmentHandler implements FragmentHandler
    {
        private final int channel;

        ChannelFragmentHandler(final int channel)
        {
            this.channel = channel;
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            AeronInboundAdapter.this.onFragment(channel, buffer, offset, length, header);
        }
    }
}

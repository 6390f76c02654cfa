package io.octopii.shipping;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A test-side {@link Transport} that delegates to a replaceable transport (so a member's QUIC transport
 * can be stopped and restarted under a running lane, killing its connections) and can corrupt an
 * outbound message "in flight" through a hook that sees a private copy.
 */
final class SwitchableTransport implements Transport
{
    /** May alter a copy of an outbound message before it is handed to the real transport. */
    interface OutboundFault
    {
        void onOffer(int to, Channel channel, MutableDirectBuffer copy, int length);
    }

    private final int localMemberId;
    private final int maxMessageLength;
    private final UnsafeBuffer copy;
    private volatile Transport delegate;
    private volatile OutboundFault fault;

    SwitchableTransport(final Transport delegate)
    {
        this.delegate = delegate;
        this.localMemberId = delegate.localMemberId();
        this.maxMessageLength = delegate.maxMessageLength();
        this.copy = new UnsafeBuffer(ByteBuffer.allocateDirect(maxMessageLength));
    }

    void delegate(final Transport delegate)
    {
        this.delegate = delegate;
    }

    void fault(final OutboundFault fault)
    {
        this.fault = fault;
    }

    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        final Transport transport = delegate;
        if (null == transport)
        {
            return NOT_CONNECTED;
        }
        final OutboundFault hook = fault;
        if (null != hook && length <= maxMessageLength)
        {
            // only the lane's thread offers through this wrapper, so one copy buffer is enough
            copy.putBytes(0, buffer, offset, length);
            hook.onOffer(memberId, channel, copy, length);
            return transport.offer(memberId, channel, copy, 0, length);
        }
        return transport.offer(memberId, channel, buffer, offset, length);
    }

    public int poll(final InboundHandler handler, final int limit)
    {
        final Transport transport = delegate;
        return null == transport ? 0 : transport.poll(handler, limit);
    }

    public LinkState linkState(final int memberId)
    {
        final Transport transport = delegate;
        return null == transport ? LinkState.DISCONNECTED : transport.linkState(memberId);
    }

    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    public int localMemberId()
    {
        return localMemberId;
    }

    public void close()
    {
    }
}

package io.octopii.transport;

import org.agrona.DirectBuffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Test-only transport for fuzzing components in-process: every member is connected, every offer is
 * accepted and dropped (counted), nothing is ever received. Thread-safe.
 */
public final class DiscardingTransport implements Transport
{
    private final int localMemberId;
    private final int maxMessageLength;
    private final AtomicLong offered = new AtomicLong();

    public DiscardingTransport(final int localMemberId, final int maxMessageLength)
    {
        this.localMemberId = localMemberId;
        this.maxMessageLength = maxMessageLength;
    }

    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > maxMessageLength)
        {
            return MAX_LENGTH_EXCEEDED;
        }
        offered.incrementAndGet();
        return length;
    }

    public int poll(final InboundHandler handler, final int limit)
    {
        return 0;
    }

    public LinkState linkState(final int memberId)
    {
        return memberId == localMemberId ? LinkState.DISCONNECTED : LinkState.CONNECTED;
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

    /** Messages offered (and dropped) so far. */
    public long offered()
    {
        return offered.get();
    }
}

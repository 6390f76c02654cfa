package io.octopii.transport.sim;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;

/**
 * One member's view of a {@link SimulatedNetwork}: the {@link Transport} the simulator injects into a
 * node. {@code offer} copies the message into the network at once; {@code poll} delivers what has
 * arrived by the network's simulated clock.
 *
 * <p><b>Threads.</b> The simulator's single thread, like every other member of the same network.
 *
 * <p><b>Lifecycle.</b> Created with the network. {@link #close()} makes {@code offer} return
 * {@link #CLOSED}; {@link #reopen()} brings the same member back, as a restarted process would.
 *
 * <p><b>Failure.</b> While the member is marked down in the network, everything it sends is dropped.
 */
public final class SimulatedTransport implements Transport
{
    private static final Channel[] CHANNELS = Channel.values();

    private final SimulatedNetwork network;
    private final int memberId;
    private boolean isClosed;

    SimulatedTransport(final SimulatedNetwork network, final int memberId)
    {
        this.network = network;
        this.memberId = memberId;
    }

    /** {@inheritDoc} */
    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        return network.offer(this.memberId, memberId, channel.ordinal(), buffer, offset, length);
    }

    /** {@inheritDoc} */
    public int poll(final InboundHandler handler, final int limit)
    {
        if (isClosed)
        {
            return 0;
        }
        return network.poll(memberId, handler, limit, CHANNELS);
    }

    /** {@inheritDoc} */
    public LinkState linkState(final int memberId)
    {
        if (isClosed)
        {
            return LinkState.CLOSED;
        }
        if (memberId < 0 || memberId >= network.memberCount() || memberId == this.memberId)
        {
            return LinkState.DISCONNECTED;
        }
        if (network.isDown(memberId) || network.isBlocked(this.memberId, memberId))
        {
            return LinkState.DISCONNECTED;
        }
        return LinkState.CONNECTED;
    }

    /** {@inheritDoc} */
    public int maxMessageLength()
    {
        return network.maxMessageLength();
    }

    /** {@inheritDoc} */
    public int localMemberId()
    {
        return memberId;
    }

    /** Whether {@link #close()} was called since the last {@link #reopen()}. */
    public boolean isClosed()
    {
        return isClosed;
    }

    /** Make a closed transport usable again (the simulator restarting a crashed member). */
    public void reopen()
    {
        isClosed = false;
    }

    /** {@inheritDoc} */
    public void close()
    {
        isClosed = true;
    }
}

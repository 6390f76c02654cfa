package io.octopii.engine.internal;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;

/**
 * Sits between a node's {@link Transport} and its consensus agent: Raft traffic from voting members goes
 * to the agent's handler; client traffic on the RPC channel goes to the {@link ClientGateway}; Shipping
 * Lane traffic to the shipping handler when one is set. Anything else (consensus messages from a
 * non-voter, shipping with no lane) is dropped and counted.
 *
 * <p><b>Thread:</b> {@link #poll} on the agent thread; {@link #offer} from any thread (delegated).
 * <b>Allocation:</b> none.
 */
public final class RoutingTransport implements Transport, Transport.InboundHandler
{
    private final Transport delegate;
    private final int[] voterIds;
    private Transport.InboundHandler consensusHandler;
    private Transport.InboundHandler clientHandler;
    private Transport.InboundHandler shippingHandler;
    private long droppedMessages;

    /**
     * @param delegate the real transport; not closed by this wrapper.
     * @param voterIds the members whose consensus traffic is accepted.
     */
    public RoutingTransport(final Transport delegate, final int[] voterIds)
    {
        this.delegate = delegate;
        this.voterIds = voterIds.clone();
    }

    /** @param clientHandler receives RPC-channel messages (proposals, queries, their answers). */
    public void clientHandler(final Transport.InboundHandler clientHandler)
    {
        this.clientHandler = clientHandler;
    }

    /** @param shippingHandler receives SHIPPING-channel messages; null drops them. */
    public void shippingHandler(final Transport.InboundHandler shippingHandler)
    {
        this.shippingHandler = shippingHandler;
    }

    /** Messages dropped because nobody may receive them. */
    public long droppedMessages()
    {
        return droppedMessages;
    }

    /** The wrapped transport. */
    public Transport delegate()
    {
        return delegate;
    }

    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        return delegate.offer(memberId, channel, buffer, offset, length);
    }

    public int poll(final InboundHandler handler, final int limit)
    {
        consensusHandler = handler;
        return delegate.poll(this, limit);
    }

    public void onMessage(
        final int fromMemberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        switch (channel)
        {
            case CONSENSUS:
                if (isVoter(fromMemberId))
                {
                    consensusHandler.onMessage(fromMemberId, channel, buffer, offset, length);
                    return;
                }
                break;

            case RPC:
                if (null != clientHandler)
                {
                    clientHandler.onMessage(fromMemberId, channel, buffer, offset, length);
                    return;
                }
                break;

            case SHIPPING:
                if (null != shippingHandler)
                {
                    shippingHandler.onMessage(fromMemberId, channel, buffer, offset, length);
                    return;
                }
                break;

            default:
                break;
        }
        droppedMessages++;
    }

    private boolean isVoter(final int memberId)
    {
        for (final int id : voterIds)
        {
            if (id == memberId)
            {
                return true;
            }
        }
        return false;
    }

    public LinkState linkState(final int memberId)
    {
        return delegate.linkState(memberId);
    }

    public int maxMessageLength()
    {
        return delegate.maxMessageLength();
    }

    public int consensusBatchLength()
    {
        return delegate.consensusBatchLength();
    }

    public int localMemberId()
    {
        return delegate.localMemberId();
    }

    /** Does not close the delegate: its owner does. */
    public void close()
    {
    }
}

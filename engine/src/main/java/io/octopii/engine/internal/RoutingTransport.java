package io.octopii.engine.internal;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;

/**
 * Sits between a node's {@link Transport} and its consensus agent: Raft traffic from voting members goes
 * to the agent's handler; on the RPC channel, RPC-framework messages (template ids 30-39, see
 * {@link Transport#isRpcMessage}) go to the RPC handler (the node's {@code RpcEndpoint}) and client traffic
 * to the {@link ClientGateway}; Shipping Lane traffic to the shipping handler when one is set. Anything
 * else (consensus messages from a non-voter, shipping with no lane) is dropped and counted, RPC-framework
 * messages with no endpoint yet on a counter of their own.
 *
 * <p>A transport that diverts RPC messages ({@link Transport#divertRpc}, QUIC) hands them to the endpoint
 * on its own threads, so only those queued before the endpoint existed come this way; with one that does
 * not (Aeron) every RPC message does, on the agent thread.
 *
 * <p><b>Thread:</b> {@link #poll} on the agent thread; {@link #offer} from any thread (delegated);
 * {@link #rpcHandler} from any thread. <b>Allocation:</b> none.
 */
public final class RoutingTransport implements Transport, Transport.InboundHandler
{
    private final Transport delegate;
    private final int[] voterIds;
    private Transport.InboundHandler consensusHandler;
    private Transport.InboundHandler clientHandler;
    private Transport.InboundHandler shippingHandler;
    /** Set once, from whichever thread first asks the node for its RPC endpoint, while the agent polls. */
    private volatile Transport.InboundHandler rpcHandler;
    private long droppedMessages;
    private long droppedRpcMessages;

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

    /**
     * @param rpcHandler receives RPC-framework messages (template ids 30-39) on the agent thread; it must copy
     *                   and return without blocking (an {@code RpcEndpoint}'s {@code onMessage} does). Null drops them.
     */
    public void rpcHandler(final Transport.InboundHandler rpcHandler)
    {
        this.rpcHandler = rpcHandler;
    }

    /** Messages dropped because nobody may receive them (RPC-framework ones aside). */
    public long droppedMessages()
    {
        return droppedMessages;
    }

    /** RPC-framework messages dropped because the node had no RPC endpoint yet. Agent thread. */
    public long droppedRpcMessages()
    {
        return droppedRpcMessages;
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
                if (Transport.isRpcMessage(buffer, offset))
                {
                    onRpcMessage(fromMemberId, channel, buffer, offset, length);
                    return;
                }
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

    private void onRpcMessage(
        final int fromMemberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        final Transport.InboundHandler handler = rpcHandler;
        if (null != handler)
        {
            handler.onMessage(fromMemberId, channel, buffer, offset, length);
        }
        else
        {
            droppedRpcMessages++;
        }
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

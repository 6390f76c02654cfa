package io.octopii.rpc;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.RpcErrorCode;
import io.octopii.codec.sbe.RpcErrorDecoder;
import io.octopii.codec.sbe.RpcOneWayDecoder;
import io.octopii.codec.sbe.RpcRequestDecoder;
import io.octopii.codec.sbe.RpcResponseDecoder;
import io.octopii.transport.Transport;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The endpoint's duty cycle: decodes inbound RPC messages (responses complete pending requests,
 * requests go to workers) and expires pending requests past their deadline or whose link is down.
 * Messages reaching it passed the transport's frame validation.
 *
 * <p><b>Thread:</b> the endpoint's agent thread. Completing a request allocates nothing; dispatching
 * an inbound request copies its payload (callee side).
 */
final class RpcAgent implements Agent, MessageHandler, PendingRequests.LinkCheck
{
    private static final long SCAN_INTERVAL_NS = 1_000_000L;
    private final RpcEndpoint endpoint;
    private final String roleName;
    private final PendingRequests pending;
    private final Transport transport;
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final RpcRequestDecoder request = new RpcRequestDecoder();
    private final RpcResponseDecoder response = new RpcResponseDecoder();
    private final RpcOneWayDecoder oneWay = new RpcOneWayDecoder();
    private final RpcErrorDecoder error = new RpcErrorDecoder();
    private final UnsafeBuffer payloadView = new UnsafeBuffer(0, 0);
    private long lastScanNs;

    RpcAgent(final RpcEndpoint endpoint, final String roleName)
    {
        this.endpoint = endpoint;
        this.roleName = roleName;
        this.pending = endpoint.pending();
        this.transport = endpoint.transport();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public int doWork()
    {
        int work = endpoint.inbound().read(this, 256);
        final long nowNs = System.nanoTime();
        if (nowNs - lastScanNs >= SCAN_INTERVAL_NS)
        {
            lastScanNs = nowNs;
            work += expire(nowNs);
        }
        return work;
    }

    private int expire(final long nowNs)
    {
        int expired = 0;
        int slot = 0;
        while ((slot = pending.nextExpired(slot, nowNs, this)) >= 0)
        {
            final long correlationId = pending.correlationId(slot);
            final boolean isTimedOut = pending.isPastDeadline(slot, nowNs);
            final RpcResponseListener listener = pending.remove(correlationId);
            if (listener != null)
            {
                expired++;
                endpoint.increment(isTimedOut ? RpcEvent.TIMED_OUT : RpcEvent.LINK_LOST);
                complete(listener, correlationId, isTimedOut ? RpcStatus.TIMED_OUT : RpcStatus.LINK_LOST, null);
            }
            slot++;
        }
        return expired;
    }

    @Override
    public boolean isUp(final int memberId)
    {
        return transport.linkState(memberId) == Transport.LinkState.CONNECTED;
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int fromMemberId = msgTypeId - 1;
        header.wrap(buffer, index);
        final int bodyOffset = index + MessageHeaderDecoder.ENCODED_LENGTH;
        final int blockLength = header.blockLength();
        final int version = header.version();
        switch (header.templateId())
        {
            case RpcResponseDecoder.TEMPLATE_ID:
            {
                response.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = response.correlationId();
                response.handlerId();
                final RpcResponseListener listener = pending.remove(correlationId);
                if (listener == null)
                {
                    endpoint.increment(RpcEvent.LATE_RESPONSES);
                    return;
                }
                response.wrapPayload(payloadView);
                endpoint.increment(RpcEvent.RESPONSES_COMPLETED);
                try
                {
                    listener.onResponse(correlationId, payloadView, 0, payloadView.capacity());
                }
                catch (final Throwable ex)
                {
                    endpoint.onError(ex);
                }
                break;
            }

            case RpcErrorDecoder.TEMPLATE_ID:
            {
                error.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = error.correlationId();
                error.handlerId();
                final short code = error.codeRaw(); // raw: code() throws on a value this version does not know
                final RpcResponseListener listener = pending.remove(correlationId);
                if (listener == null)
                {
                    endpoint.increment(RpcEvent.LATE_RESPONSES);
                    return;
                }
                endpoint.increment(RpcEvent.RESPONSES_COMPLETED);
                complete(listener, correlationId, status(code), error.message());
                break;
            }

            case RpcRequestDecoder.TEMPLATE_ID:
            {
                request.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = request.correlationId();
                final int handlerId = request.handlerId();
                final long deadline = request.deadlineEpochNs();
                request.wrapPayload(payloadView);
                onRequest(fromMemberId, correlationId, handlerId, deadline, false);
                break;
            }

            case RpcOneWayDecoder.TEMPLATE_ID:
            {
                oneWay.wrap(buffer, bodyOffset, blockLength, version);
                final int handlerId = oneWay.handlerId();
                oneWay.wrapPayload(payloadView);
                onRequest(fromMemberId, 0, handlerId, Long.MAX_VALUE, true);
                break;
            }

            default:
                endpoint.increment(RpcEvent.MALFORMED);
        }
    }

    private void onRequest(
        final int fromMemberId, final long correlationId, final int handlerId, final long deadlineEpochNs,
        final boolean isOneWay)
    {
        final RpcHandler handler = endpoint.handler(handlerId);
        if (handler == null)
        {
            endpoint.increment(RpcEvent.NO_HANDLER);
            if (!isOneWay)
            {
                endpoint.sendError(fromMemberId, correlationId, handlerId, RpcErrorCode.NO_HANDLER,
                    "no handler " + handlerId + " on member " + transport.localMemberId());
            }
            return;
        }
        if (endpoint.clock().nanoTime() - deadlineEpochNs > 0)
        {
            endpoint.increment(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE);
            return;
        }
        final byte[] payload = new byte[payloadView.capacity()];
        payloadView.getBytes(0, payload);
        final InboundRequest task = new InboundRequest(
            endpoint, handler, fromMemberId, correlationId, handlerId, deadlineEpochNs, isOneWay, payload);
        if (!endpoint.dispatch(task))
        {
            endpoint.increment(RpcEvent.OVERLOADED);
            if (!isOneWay)
            {
                endpoint.sendError(fromMemberId, correlationId, handlerId, RpcErrorCode.OVERLOADED,
                    "member " + transport.localMemberId() + " has too many queued requests");
            }
        }
    }

    private void complete(
        final RpcResponseListener listener, final long correlationId, final int status, final String detail)
    {
        try
        {
            listener.onFailure(correlationId, status, detail);
        }
        catch (final Throwable ex)
        {
            endpoint.onError(ex);
        }
    }

    /** A wire error code as a status; HANDLER_FAILED for HANDLER_FAILED and for codes this version does not know. */
    private static int status(final short code)
    {
        if (code == RpcErrorCode.NO_HANDLER.value())
        {
            return RpcStatus.NO_HANDLER;
        }
        if (code == RpcErrorCode.DEADLINE_EXCEEDED.value())
        {
            return RpcStatus.DEADLINE_EXCEEDED;
        }
        if (code == RpcErrorCode.OVERLOADED.value())
        {
            return RpcStatus.OVERLOADED;
        }
        return RpcStatus.HANDLER_FAILED;
    }
}

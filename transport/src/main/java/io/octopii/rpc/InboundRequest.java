package io.octopii.rpc;

import io.octopii.codec.sbe.RpcErrorCode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One inbound request or one-way message on its way through a worker: runs the handler and is the
 * handler's {@link RpcResponder}. Only the first answer counts; an answer after the deadline is dropped.
 *
 * <p><b>Thread:</b> created on the agent thread, run on a worker, answered from any thread.
 */
final class InboundRequest implements Runnable, RpcResponder
{
    private final RpcEndpoint endpoint;
    private final RpcHandler handler;
    private final int fromMemberId;
    private final long correlationId;
    private final int handlerId;
    private final long deadlineEpochNs;
    private final boolean isOneWay;
    private final byte[] payload;
    private final AtomicBoolean isAnswered = new AtomicBoolean();

    InboundRequest(
        final RpcEndpoint endpoint,
        final RpcHandler handler,
        final int fromMemberId,
        final long correlationId,
        final int handlerId,
        final long deadlineEpochNs,
        final boolean isOneWay,
        final byte[] payload)
    {
        this.endpoint = endpoint;
        this.handler = handler;
        this.fromMemberId = fromMemberId;
        this.correlationId = correlationId;
        this.handlerId = handlerId;
        this.deadlineEpochNs = deadlineEpochNs;
        this.isOneWay = isOneWay;
        this.payload = payload;
    }

    @Override
    public void run()
    {
        if (!isOneWay && endpoint.clock().nanoTime() - deadlineEpochNs > 0)
        {
            endpoint.increment(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE);
            return;
        }
        endpoint.increment(RpcEvent.HANDLED);
        try
        {
            handler.onRequest(fromMemberId, new UnsafeBuffer(payload), 0, payload.length, this);
        }
        catch (final Throwable ex)
        {
            endpoint.increment(RpcEvent.HANDLER_FAILED);
            fail(ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    @Override
    public void respond(final DirectBuffer buffer, final int offset, final int length)
    {
        if (claim())
        {
            endpoint.sendResponse(fromMemberId, correlationId, handlerId, buffer, offset, length);
        }
    }

    @Override
    public void respond(final byte[] bytes)
    {
        respond(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    @Override
    public void fail(final String message)
    {
        if (claim())
        {
            endpoint.sendError(fromMemberId, correlationId, handlerId, RpcErrorCode.HANDLER_FAILED, message);
        }
    }

    private boolean claim()
    {
        if (isOneWay || !isAnswered.compareAndSet(false, true))
        {
            return false;
        }
        if (endpoint.clock().nanoTime() - deadlineEpochNs > 0)
        {
            endpoint.increment(RpcEvent.RESPONSES_AFTER_DEADLINE);
            return false;
        }
        return true;
    }

    @Override
    public boolean isOneWay()
    {
        return isOneWay;
    }

    @Override
    public long deadlineEpochNs()
    {
        return deadlineEpochNs;
    }
}

package io.octopii.rpc;

import org.agrona.DirectBuffer;

/**
 * Completes one request, exactly once: either {@link #onResponse} or {@link #onFailure}.
 *
 * <p><b>Thread:</b> called on the endpoint's agent thread (or the caller's thread for a failure
 * detected while sending); must not block. The payload is valid only during the call.
 */
public interface RpcResponseListener
{
    void onResponse(long correlationId, DirectBuffer payload, int offset, int length);

    /**
     * @param status one of the {@link RpcStatus} completion codes.
     * @param detail the callee's message for {@link RpcStatus#HANDLER_FAILED}, otherwise null.
     */
    void onFailure(long correlationId, int status, String detail);
}
